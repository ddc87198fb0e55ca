"""core/csp.py: the site's Content-Security-Policy header, built once, is the one Django builds, follows the
settings, and leaves nonces and a view's own policy to Django."""

from django.http import HttpRequest, HttpResponse
from django.utils.csp import CSP, LazyNonce, build_policy

from core.csp import ContentSecurityPolicyMiddleware


def _answer(middleware: ContentSecurityPolicyMiddleware, response: HttpResponse | None = None) -> HttpResponse:
    request = HttpRequest()
    middleware.process_request(request)
    return middleware.process_response(request, response or HttpResponse())


def test_the_header_is_the_policy_django_builds_from_the_settings(settings) -> None:
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    expected = build_policy(settings.SECURE_CSP)
    assert "frame-ancestors 'none'" in expected
    assert _answer(middleware)[CSP.HEADER_ENFORCE] == expected
    assert _answer(middleware)[CSP.HEADER_ENFORCE] == expected


def test_a_changed_policy_is_sent_from_the_next_answer_on(settings) -> None:
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    _answer(middleware)
    settings.SECURE_CSP = {"default-src": [CSP.SELF], "img-src": ["https://cdn.example"]}
    assert _answer(middleware)[CSP.HEADER_ENFORCE] == "default-src 'self'; img-src https://cdn.example"
    settings.SECURE_CSP["img-src"].append("data:")  # changed in place
    assert _answer(middleware)[CSP.HEADER_ENFORCE] == "default-src 'self'; img-src https://cdn.example data:"


def test_a_policy_with_a_nonce_gets_a_new_nonce_at_each_answer(settings) -> None:
    settings.SECURE_CSP = {"script-src": [CSP.SELF, CSP.NONCE]}
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    headers = []
    for _ in range(2):
        request = HttpRequest()
        middleware.process_request(request)
        assert isinstance(request._csp_nonce, LazyNonce)
        nonce = str(request._csp_nonce)  # a template used it
        headers.append(middleware.process_response(request, HttpResponse())[CSP.HEADER_ENFORCE])
        assert headers[-1] == f"script-src 'self' 'nonce-{nonce}'"
    assert headers[0] != headers[1]


def test_a_views_own_policy_and_a_report_only_policy_are_kept(settings) -> None:
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse())
    own = HttpResponse()
    own._csp_config = {"default-src": [CSP.NONE]}
    assert _answer(middleware, own)[CSP.HEADER_ENFORCE] == "default-src 'none'"
    settings.SECURE_CSP_REPORT_ONLY = {"default-src": [CSP.SELF]}
    answer = _answer(middleware)
    assert answer[CSP.HEADER_REPORT_ONLY] == "default-src 'self'"
    assert answer[CSP.HEADER_ENFORCE] == build_policy(settings.SECURE_CSP)
