"""The REST API's shared parts: RFC 9457 errors and role permissions."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response

from config.roles import ADMIN, ENGINEER, has_role

if TYPE_CHECKING:
    from rest_framework.views import APIView

PROBLEM = "application/problem+json"


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer every API error as an RFC 9457 problem document; validation errors list each field."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
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
        body["title"] = _title(exc)
        body["detail"] = str(exc.detail) if not isinstance(exc.detail, dict | list) else _title(exc)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    response = Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM)
    return response


def _title(exc: exceptions.APIException) -> str:
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


class RolePermission(permissions.BasePermission):
    """Reads need `read_role` (engineer by default); writes need the view's `write_role`."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return has_role(request.user, getattr(view, "read_role", ENGINEER))
        return has_role(request.user, getattr(view, "write_role", ADMIN))
