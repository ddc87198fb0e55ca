"""The REST API's role permissions (its errors are config.problems')."""

from typing import TYPE_CHECKING

from rest_framework import permissions
from rest_framework.request import Request

from accounts.roles import ADMIN, ENGINEER, has_role

if TYPE_CHECKING:
    from rest_framework.views import APIView


class RolePermission(permissions.BasePermission):
    """Reads need `read_role` (engineer by default); writes need the view's `write_role`."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return has_role(request.user, getattr(view, "read_role", ENGINEER))
        return has_role(request.user, getattr(view, "write_role", ADMIN))
