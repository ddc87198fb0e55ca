"""RFC 9457 problem details: the one home of every error answer under /api/ and /v1/.

`problem_response` builds one, DRF's exception handler answers API errors with one, and the
middleware turns whatever else Django answers there (405 from a decorator, 404 for an unknown
path, 413 for a body over the limit, a 500) into one, so that no client of the JSON API ever has
to read HTML.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from core.commands import Refused
from core.query_filters import BadFilter

if TYPE_CHECKING:
    from rest_framework.exceptions import APIException

PROBLEM_CONTENT_TYPE = "application/problem+json"
JSON_API_PREFIXES = ("/api/", "/v1/")


def problem_response(status: int, title: str, detail: str, **extensions: Any) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extensions}
    return JsonResponse(
        body, status=status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    """Answer every API error as an RFC 9457 problem document; validation errors list each field."""
    # Imported here, not above: the middleware below is loaded by every process (accounts.middleware,
    # through config.wiring), and DRF with what it pulls in (yaml, requests, markdown, pygments when
    # installed) held 15 MB in each worker, which never answers an API request.
    from rest_framework import exceptions
    from rest_framework.response import Response

    if isinstance(exc, BadFilter):
        # A query parameter that cannot be read: named, as a field of a body would be.
        exc = exceptions.ValidationError({name: [message] for name, message in exc.errors.items()})
    elif isinstance(exc, Refused):
        # A command's refusal (core.commands): each message on the field it names, with its code.
        refused, detail = exc, {}
        for name, code, message in refused.messages():
            detail.setdefault(name or "non_field_errors", []).append(exceptions.ErrorDetail(message, code))
        exc = exceptions.ValidationError(detail)
        exc.status_code = refused.status
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # A command's refusal says which role it needs (accounts.roles.refusal); others say DRF's words.
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None
    body: dict[str, Any] = {"type": "about:blank", "status": exc.status_code}
    if isinstance(exc, exceptions.ValidationError):
        body["title"] = "Invalid request"
        body["errors"] = list(_flatten(exc.detail, ""))
        body["detail"] = (
            body["errors"][0]["message"] if len(body["errors"]) == 1 else f"{len(body['errors'])} problems."
        )
    else:
        body["title"] = getattr(exc, "title", None) or _title(exc)
        body["detail"] = str(exc.detail) if not isinstance(exc.detail, dict | list) else _title(exc)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    renderer = getattr(context.get("request"), "accepted_renderer", None)
    if renderer is not None and getattr(renderer, "format", "json") != "json":
        # A view that renders HTML (the API docs page) would render the problem as a page: answer JSON anyway.
        problem = problem_response(**body)
        for name, value in headers.items():
            problem[name] = value
        return problem
    response = Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    return response


def _title(exc: "APIException") -> str:
    return {
        400: "Bad request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
        406: "Not acceptable",
        415: "Unsupported media type",
        429: "Too many requests",
    }.get(exc.status_code, "Error")


def _flatten(detail: Any, path: str) -> Any:
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = path if key == "non_field_errors" else f"{path}.{key}" if path else str(key)
            yield from _flatten(value, name)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                yield from _flatten(value, f"{path}.{index}" if path else str(index))
            else:
                yield from _flatten(value, path)
    else:
        yield {"field": path, "code": getattr(detail, "code", "invalid"), "message": str(detail)}


_DETAILS = {
    404: "Nothing is at this address of the API.",
    405: "This address does not take that method.",
    413: "The body is larger than this API takes.",
    500: "Something went wrong on our side; nothing about the request was logged. Try again.",
}


class ProblemJsonMiddleware:
    """Under /api/ and /v1/, every error answer is problem+json, whatever produced it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(JSON_API_PREFIXES) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith((PROBLEM_CONTENT_TYPE, "application/json")):
            return response
        return self._as_problem(response.status_code, response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith(JSON_API_PREFIXES) and isinstance(exception, RequestDataTooBig):
            return problem_response(413, "Request too large", _DETAILS[413])
        return None

    @staticmethod
    def _as_problem(status: int, original: HttpResponse) -> HttpResponse:
        title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        detail = _DETAILS.get(status, title + ".")
        problem = problem_response(status, title, detail)
        # Every header the answer had (Allow, WWW-Authenticate, Retry-After, the security headers and CORS
        # set further in) but those that describe its body.
        for header, value in original.items():
            if header.lower() not in ("content-type", "content-length"):
                problem[header] = value
        return problem
