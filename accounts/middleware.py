"""Relay's middleware: sessions end after an absolute time, whatever the activity (the idle limit is
SESSION_COOKIE_AGE); an admin without two-factor and a user whose password was reset are sent to set
them up; and the paths that take events from sources skip the session machinery."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.problems import JSON_API_PREFIXES, problem_response

LOGIN_AT = "relay_login_at"

# The paths that take events (executor.ingest_views): a source authenticates each request with its
# write key, and those views read no user, session or message. Loading them anyway cost ~120 µs of
# CPU per request, a tenth of what a single-event request costs in all.
INGEST_PATH = "/api/v1/events"
INGEST_PREFIXES = ("/v1/", "/beacon/", "/sourceConfig/")


def is_ingest_path(path: str) -> bool:
    return path == INGEST_PATH or path.startswith(INGEST_PREFIXES)


class _NotOnIngestPaths:
    """Mixed into a middleware: requests to the ingest paths go past it untouched."""

    get_response: Callable[[HttpRequest], HttpResponse]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_ingest_path(request.path_info):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class SessionMiddleware(_NotOnIngestPaths, DjangoSessionMiddleware):
    """Django's, except on the ingest paths (no session there)."""


class AuthenticationMiddleware(_NotOnIngestPaths, DjangoAuthenticationMiddleware):
    """Django's, except on the ingest paths (no request.user there)."""


class MessageMiddleware(_NotOnIngestPaths, DjangoMessageMiddleware):
    """Django's, except on the ingest paths (no messages there)."""


# A receiver of user_logged_in, connected in config.wiring.
def remember_login_time(sender: object, request: HttpRequest | None, **kwargs: object) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = time.time()


class AbsoluteSessionLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(LOGIN_AT)
            if started is None:
                request.session[LOGIN_AT] = time.time()
            elif time.time() - float(started) > settings.RELAY_SESSION_MAX_SECONDS:
                logout(request)
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """With RELAY_REQUIRE_2FA_FOR_ADMINS, an admin without an authenticator goes to set one up first."""

    ALLOWED_PREFIXES = ("/account/two-factor/", "/logout/", "/static/", "/login/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            settings.RELAY_REQUIRE_2FA_FOR_ADMINS
            and user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            from accounts import two_factor

            if two_factor.missing_for(user):
                if request.path.startswith(JSON_API_PREFIXES):
                    return problem_response(403, "Two-factor sign-in required", two_factor.SETUP_REQUIRED_MESSAGE)
                return redirect("accounts:two_factor")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """A user whose password an admin reset chooses their own before going anywhere else."""

    ALLOWED_PREFIXES = ("/account/password/", "/logout/", "/static/", "/login/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            from accounts.models import PasswordChangeRequired

            if PasswordChangeRequired.objects.filter(user=user).exists():
                if request.path.startswith(JSON_API_PREFIXES):
                    from accounts.authentication import NEW_PASSWORD_REQUIRED_MESSAGE

                    return problem_response(403, "New password required", NEW_PASSWORD_REQUIRED_MESSAGE)
                return redirect("accounts:password_change")
        return self.get_response(request)
