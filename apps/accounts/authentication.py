"""API authentication by personal token, and throttling per token."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from apps.accounts.models import ApiToken
from apps.accounts.services import TokenRejected, authenticate_token

KEYWORD = b"bearer"


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with a token from `create_token`.

    Error messages name the token by its prefix only, never by its secret.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>', with one token and no spaces."
            )
        try:
            plain = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API token is not valid.") from None
        try:
            token = authenticate_token(plain)
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(str(rejected)) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="gantry"'


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from `manage.py create_token` or the admin.",
        }


class TokenRateThrottle(SimpleRateThrottle):
    """GANTRY_API_THROTTLE_RATE requests per token (or per browser session's user)."""

    scope = "api"

    def get_rate(self) -> str:
        # Read per request, not at import, so a changed setting takes effect.
        return settings.GANTRY_API_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return f"throttle-{self.scope}-{ident}"
