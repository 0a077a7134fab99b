"""Forms for the admin's token page; the rules stay in accounts.services."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from apps.accounts.models import ApiToken


class NewTokenForm(forms.ModelForm):
    """Who the token is for, what it is for, and how long it lives."""

    expires_in_days = forms.IntegerField(
        min_value=1,
        initial=lambda: settings.GANTRY_API_TOKEN_DAYS,
        help_text="Days until the token stops working.",
    )
    requesting_user: Any = None

    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.requesting_user
        if user is not None and not user.is_superuser:
            # Staff issue tokens for themselves only (the service enforces it too).
            self.fields["user"].queryset = get_user_model().objects.filter(pk=user.pk)
            self.fields["user"].initial = user.pk

    def clean_expires_in_days(self) -> int:
        days = self.cleaned_data["expires_in_days"]
        if days > settings.GANTRY_API_TOKEN_MAX_DAYS:
            raise forms.ValidationError(
                f"A token lives at most {settings.GANTRY_API_TOKEN_MAX_DAYS} days."
            )
        return days

    def _post_clean(self) -> None:
        # The record is built by the service on save, so skip the model's own validation
        # (its prefix and digest do not exist yet).
        pass
