"""Django's Content-Security-Policy middleware, building the site's policy once rather than at every answer."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoContentSecurityPolicyMiddleware
from django.utils.csp import CSP, build_policy


def _names_a_nonce(config: dict[str, Any]) -> bool:
    return any(
        CSP.NONCE in values if isinstance(values, list | tuple | set) else values == CSP.NONCE
        for values in config.values()
    )


class ContentSecurityPolicyMiddleware(DjangoContentSecurityPolicyMiddleware):
    """Django's, except that settings.SECURE_CSP is built into its header once while it stays the same:
    building it took ~20-30 µs of every answer (an ingest request's too). A policy with a nonce (new at
    each answer), a view's own policy (csp_override) and a report-only policy take Django's way."""

    _built: tuple[dict[str, Any], str] | None = None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        config = settings.SECURE_CSP
        if (
            not config
            or settings.SECURE_CSP_REPORT_ONLY
            or hasattr(response, "_csp_config")
            or hasattr(response, "_csp_ro_config")
            or CSP.HEADER_ENFORCE in response
        ):
            return super().process_response(request, response)
        built = self._built
        if built is None or built[0] != config:
            if _names_a_nonce(config):
                return super().process_response(request, response)
            # A copy: a policy changed in place is then told from the one built.
            built = self._built = ({name: _copied(values) for name, values in config.items()}, build_policy(config))
        response.headers[str(CSP.HEADER_ENFORCE)] = built[1]
        return response


def _copied(values: Any) -> Any:
    return type(values)(values) if isinstance(values, list | tuple | set) else values
