"""Sources: the list, a source's page (kind, origins, snippet, last used) and its live view. Thin views:
what changes a source is in executor.commands."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from accounts.roles import ADMIN, ENGINEER, has_role, role_required
from core.commands import Refused
from executor import commands, sources
from executor.models import InboundEvent, WriteKey
from mapper import masking

LIVE_EVENTS = 20
NEW_SOURCE_KEY = "relay_new_source"


@role_required(ENGINEER)
def source_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            key, raw = commands.issue_write_key(
                request.user,
                label=request.POST.get("label", ""),
                kind=request.POST.get("kind", WriteKey.Kind.SERVER),
                origins=request.POST.get("allowed_origins", "").splitlines(),
            )
        except Refused as refused:
            errors = refused.errors
        else:
            if not key.is_browser:
                # A server key is shown once, on the next page (post/redirect/get), kept encrypted until then.
                from core import crypto

                request.session[NEW_SOURCE_KEY] = {"id": key.pk, "raw": crypto.encrypt(raw)}
            messages.success(request, f"Created the source “{key.label}”.")
            return redirect("executor:source_detail", pk=key.pk)
    context = {
        "keys": WriteKey.objects.all(),
        "kinds": WriteKey.Kind.choices,
        "errors": errors,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "executor/source_list.html", context, status=400 if errors else 200)


@role_required(ENGINEER)
def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(WriteKey, pk=pk)
    is_admin = has_role(request.user, ADMIN)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                commands.revoke_write_key(request.user, key=key)
                messages.success(request, f"Revoked “{key.label}”. What it sends is now refused.")
            else:
                origins = request.POST.get("allowed_origins", "").splitlines()
                commands.change_source_origins(request.user, key=key, origins=origins)
                messages.success(request, "Saved the allowed origins.")
        except Refused as refused:
            errors = refused.errors
        else:
            return redirect("executor:source_detail", pk=key.pk)
    shown_once = None
    waiting = request.session.pop(NEW_SOURCE_KEY, None) if request.method == "GET" else None
    if waiting is not None and waiting["id"] == key.pk:
        from core import crypto

        shown_once = crypto.decrypt(waiting["raw"])
    relay_url = f"{request.scheme}://{request.get_host()}"
    # A browser key is public (it is in the website's pages), yet pages show keys to admins only.
    key_value = key.public_key if is_admin and key.is_browser else f"{key.prefix}…"
    context = {
        "key": key,
        "is_admin": is_admin,
        "errors": errors,
        "refusal": errors.get(""),  # a refusal of the whole request (revoking a source already revoked)
        "origins_text": request.POST.get("allowed_origins") if errors else "\n".join(key.allowed_origins),
        "snippets": sources.snippets(key_value, relay_url) if key.is_browser else {},
        "relay_url": relay_url,
        "shown_once": shown_once,
        "live": _live_rows(key, is_admin),
        "live_limit": LIVE_EVENTS,
    }
    response = render(request, "executor/source_detail.html", context, status=400 if errors else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(ENGINEER)
def source_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live view's rows (an HTML fragment the source page fetches every few seconds)."""
    key = get_object_or_404(WriteKey, pk=pk)
    response = render(request, "executor/source_live.html", {"live": _live_rows(key, has_role(request.user, ADMIN))})
    response["Cache-Control"] = "no-store"
    return response


def _live_rows(key: WriteKey, is_admin: bool) -> list[dict[str, object]]:
    """The last events received with this key, newest first; values masked for everyone but admins."""
    rows = []
    for event in InboundEvent.objects.filter(write_key=key).order_by("-received_at", "-id")[:LIVE_EVENTS]:
        name = event.event_name or event.event_type
        rows.append(
            {
                "event": event,
                "name": name if is_admin else masking.event_name(name),
                "body": masking.shown_json(masking.for_viewer(event.body, is_admin=is_admin), masked=not is_admin)
                if event.body is not None
                else "",
            }
        )
    return rows
