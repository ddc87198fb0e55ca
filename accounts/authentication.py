"""`Authorization: Bearer <personal API token>` for the REST API."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts import two_factor
from accounts.models import API_TOKEN_PREFIX, ApiToken, PasswordChangeRequired, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=1)
NEW_PASSWORD_REQUIRED_MESSAGE = "Choose your own password first: sign in to Relay in a browser (/account/password/)."  # noqa: S105 - a sentence


class TwoFactorSetupRequired(exceptions.PermissionDenied):
    title = "Two-factor sign-in required"
    default_detail = two_factor.SETUP_REQUIRED_MESSAGE


class NewPasswordRequired(exceptions.PermissionDenied):
    title = "New password required"
    default_detail = NEW_PASSWORD_REQUIRED_MESSAGE


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[object, ApiToken] | None:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        raw = raw.strip()
        if not raw.startswith(API_TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Not a Relay API token.")
        token = (
            ApiToken.objects.select_related("user").filter(token_hash=hash_token(raw), revoked_at__isnull=True).first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        if two_factor.missing_for(token.user):
            # A token obeys what the user's session obeys: no way around the set-up page.
            raise TwoFactorSetupRequired
        if PasswordChangeRequired.objects.filter(user=token.user).exists():
            raise NewPasswordRequired
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="relay"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token in the OpenAPI schema."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (rat_…)."}
