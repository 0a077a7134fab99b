"""Template filters every page may use: `{% load gantry %}`."""

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()

_UNITS = (("d", 86400), ("h", 3600), ("m", 60))


@register.filter
def age(moment: datetime | None) -> str:
    """How long ago, in its largest unit: '3d', '5h', '12m', 'now'."""
    if moment is None:
        return "\N{EN DASH}"
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    for suffix, size in _UNITS:
        if seconds >= size:
            return f"{seconds // size}{suffix}"
    return "now"


@register.filter
def ago(moment: datetime | None) -> str:
    """'3d ago', '5h ago', or 'just now'."""
    text = age(moment)
    return "just now" if text == "now" else f"{text} ago"
