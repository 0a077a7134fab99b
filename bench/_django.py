"""Django for the benchmarks that render pages in process, on the bench database."""

from __future__ import annotations

import os


def setup_for_pages() -> None:
    """Django set up, the bench database migrated and the static files collected
    (DEBUG is off: pages name their static files through the collected manifest)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)
