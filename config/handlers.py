"""The web process's WSGI application: Django's handler, with a shorter way through it for the ingest paths.

A source's request to an ingest path (accounts.middleware.is_ingest_path) is authenticated by its write
key and answered by a view that reads no session, user, message, cookie or CSRF token. Through the whole
stack it still went past every middleware and every URL pattern of the site: ~250 µs of CPU a request
refused at the door spent before and after its view's ~50 µs. The ingest handler is Django's own handler
(the same request, signals, error handling and 500 page) with the middleware that shape an answer on the
way out (security headers, problem+json, CSP, X-Frame-Options, Content-Length) and only the ingest URL
patterns. Every middleware not listed in SKIPPED_ON_INGEST runs there too, so one added later is not
silently left out.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, get_path_info
from django.http import HttpRequest
from django.urls import ResolverMatch, get_resolver
from django.utils.module_loading import import_string

from accounts.middleware import is_ingest_path

INGEST_URLCONF = "executor.ingest_urls"

# What a request to an ingest path does not need; the tests hold each reason.
SKIPPED_ON_INGEST = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",  # static files live under STATIC_URL, not here
        "accounts.middleware.SessionMiddleware",  # no session: a write key, not a cookie
        "django.middleware.csrf.CsrfViewMiddleware",  # every ingest view is csrf_exempt (no cookie to ride)
        "accounts.middleware.AuthenticationMiddleware",  # no user
        "accounts.middleware.AbsoluteSessionLimitMiddleware",  # acts on a signed-in user's session
        "accounts.middleware.TwoFactorRequiredMiddleware",  # acts on a signed-in user
        "accounts.middleware.PasswordChangeRequiredMiddleware",  # acts on a signed-in user
        "accounts.middleware.MessageMiddleware",  # no messages
        "axes.middleware.AxesMiddleware",  # sign-in lockouts
    }
)


def ingest_middleware() -> list[str]:
    """settings.MIDDLEWARE, in its order, less what the ingest paths do not need."""
    return [path for path in settings.MIDDLEWARE if path not in SKIPPED_ON_INGEST]


class IngestPathsOnly:
    """Mixed into a Django handler: the ingest middleware and URL patterns only (the test client's
    handler takes it too, so that the tests answer the ingest paths as the web server does)."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django's BaseHandler.load_middleware reads settings.MIDDLEWARE; this is the same chain
        # for another list (synchronous only: every middleware of the site can run synchronously).
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        handler = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for middleware_path in reversed(ingest_middleware()):
            middleware = import_string(middleware_path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        # Only the ingest patterns are tried; an unknown path is the same 404 (the site's handler404,
        # turned into problem+json) as through the whole site. reverse() still uses ROOT_URLCONF.
        match = get_resolver(INGEST_URLCONF).resolve(request.path_info)
        request.resolver_match = match
        return match


class IngestHandler(IngestPathsOnly, WSGIHandler):
    """Django's WSGI handler for the ingest paths."""


class RelayApplication:
    """The WSGI application: ingest paths to the ingest handler, everything else to Django's."""

    def __init__(self) -> None:
        self.site: BaseHandler = WSGIHandler()
        self.ingest: BaseHandler = IngestHandler()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        handler = self.ingest if is_ingest_path(get_path_info(environ)) else self.site
        return handler(environ, start_response)  # type: ignore[operator]
