"""The REST API's role permissions and paging (its errors are core.problems')."""

from typing import TYPE_CHECKING

from rest_framework import permissions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

from accounts.roles import ADMIN, ENGINEER, has_role, refusal
from core.query_filters import LIST_PARAMETERS, a_number, parse_filters

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.views import APIView

__all__ = ["LIST_PARAMETERS", "RolePermission", "StrictLimitOffsetPagination"]


class RolePermission(permissions.BasePermission):
    """Reads need `read_role` (engineer by default); writes need the view's `write_role`."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            needed = getattr(view, "read_role", ENGINEER)
        else:
            needed = getattr(view, "write_role", ADMIN)
        # DRF makes a permission per request, so the refusal can say what the page's 403 says, and more.
        self.message = refusal(needed)
        return has_role(request.user, needed)


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """`limit` and `offset` read as filters are: a malformed one is a 400 naming it, not the first page."""

    def paginate_queryset(self, queryset: "QuerySet", request: Request, view: "APIView | None" = None) -> list | None:
        parse_filters(request.query_params, {"limit": a_number(1), "offset": a_number(0)}, others=None)
        return super().paginate_queryset(queryset, request, view)
