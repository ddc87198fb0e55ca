"""RFC 9457 problem details: every error of the JSON API has this shape."""

from typing import Any

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_response(status: int, title: str, detail: str, **extensions: Any) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extensions}
    return JsonResponse(
        body, status=status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
