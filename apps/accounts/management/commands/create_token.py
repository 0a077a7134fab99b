"""`manage.py create_token <username>`: issue a personal API token and print it once."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.services import create_token


class Command(BaseCommand):
    help = (
        "Create a personal API token for a user and print it. Only a digest is stored, "
        "so this is the one time the token is shown."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="What the token is for, e.g. 'ci'.")
        parser.add_argument(
            "--days", type=int, default=None, help="Days until it expires (default 90)."
        )

    def handle(self, *args: Any, username: str, name: str, days: int | None, **options: Any):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user named '{username}'.")
        try:
            issued = create_token(actor=None, user=user, name=name, expires_in_days=days)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        # Only the token goes to stdout, so `TOKEN=$(manage.py create_token me)` works.
        self.stdout.write(issued.plain)
        self.stderr.write(
            f"Token '{name}' for {username} expires {issued.token.expires_at:%Y-%m-%d}. "
            "Store it now; it cannot be shown again."
        )
