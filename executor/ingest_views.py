"""HTTP endpoints that take events: Relay's own API and Segment's tracking API. Thin by design.

Headers are read from request.META: request.headers would first build a dictionary of all of them, at
every request, for the three or four these views read."""

import base64
import binascii
import functools
import zlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.problems import problem_response
from executor import sources
from executor.envelope import MAX_BODY_BYTES, EnvelopeError, Problem, parse_body
from executor.group_commit import CommitterUnavailable
from executor.ingest import authenticate, ingest
from executor.metrics import INGEST_REQUESTS
from executor.models import InboundEvent, WriteKey


def counted(endpoint: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Count each answer of an ingest endpoint in the metrics, by HTTP status."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            INGEST_REQUESTS.labels(endpoint, str(response.status_code)).inc()
            return response

        return wrapper

    return decorate


@counted("api")
@csrf_exempt
@require_POST
def events(request: HttpRequest) -> HttpResponse:
    """POST /api/v1/events: one event (an object) or a batch (a list), with `Authorization: Bearer <write key>`."""
    write_key = authenticate(_bearer(request))
    if write_key is None:
        return _unauthorized('Bearer realm="relay"')
    refusal = _refuse_from_browser(request, write_key)
    if refusal is not None:
        return refusal
    try:
        document = _read_json(request)
        if isinstance(document, list):
            result = ingest(document, source=InboundEvent.Source.API, write_key=write_key)
            return JsonResponse(
                {
                    "accepted": result.accepted,
                    "duplicates": len(result.duplicates),
                    "rejected": len(document) - result.accepted - len(result.duplicates),
                    "results": result.results(),
                },
                status=202,
            )
        result = ingest([document], source=InboundEvent.Source.API, write_key=write_key, pointer_prefix=None)
    except EnvelopeError as error:
        return _envelope_problem(error)
    except CommitterUnavailable:
        return _busy()
    (answer,) = result.results()
    if answer["status"] == "rejected":
        return _invalid_event(result.checked[0].problems)
    # "duplicate": this write key sent this messageId before; it is stored (and delivered) once.
    return JsonResponse({"status": answer["status"], "messageId": answer["messageId"]}, status=202)


# analytics.js 2.0's short paths (and the mobile SDKs' batch path) name the same calls.
SHORT_CALLS = {"t": "track", "i": "identify", "p": "page", "s": "screen", "g": "group", "a": "alias", "b": "batch"}


@counted("segment")
@csrf_exempt
def segment(request: HttpRequest, call: str) -> HttpResponse:
    """Segment's HTTP tracking API (/v1/track, /v1/identify, /v1/batch, ...) and analytics.js's short paths
    (/v1/t, /v1/i, /v1/b, ...): write key as Basic user name or `writeKey` in the body; JSON sent as
    application/json or text/plain (browsers send text/plain to skip the preflight). RudderStack's SDKs
    post to the same long paths."""
    if request.method == "OPTIONS":
        return _preflight(request)
    if request.method != "POST":
        return _with_cors(request, HttpResponseNotAllowed(["POST", "OPTIONS"]), None)
    return _receive(request, SHORT_CALLS.get(call, call), _basic_user(request))


@counted("beacon")
@csrf_exempt
def beacon(request: HttpRequest) -> HttpResponse:
    """POST /beacon/v1/batch?writeKey=…: RudderStack's sendBeacon batches (a text/plain `{batch, sentAt}`).
    A beacon cannot set headers, so the key is in the query."""
    if request.method == "OPTIONS":
        return _preflight(request)
    if request.method != "POST":
        return _with_cors(request, HttpResponseNotAllowed(["POST", "OPTIONS"]), None)
    return _receive(request, "batch", request.GET.get("writeKey", ""))


def _receive(request: HttpRequest, call: str, raw_key: str) -> HttpResponse:
    write_key = authenticate(raw_key)
    try:
        document = _read_json(request, text_ok=True)
        if write_key is None and isinstance(document, dict):
            write_key = authenticate(str(document.get("writeKey") or ""))
        if write_key is None:
            return _with_cors(request, _unauthorized('Basic realm="relay"'), None)
        refusal = _refuse_from_browser(request, write_key)
        if refusal is not None:
            return refusal
        response = _ingest_segment(document, call, write_key)
    except EnvelopeError as error:
        response = _envelope_problem(error)
    except CommitterUnavailable:
        response = _busy()
    return _with_cors(request, response, write_key)


def _ingest_segment(document: Any, call: str, write_key: WriteKey) -> HttpResponse:
    if call == "batch":
        raw_events = document.get("batch") if isinstance(document, dict) else None
        if not isinstance(raw_events, list):
            return _invalid_event([Problem("/batch", "batch must be a list of events.")])
        result = ingest(
            _with_context(raw_events, document),
            source=InboundEvent.Source.SEGMENT,
            write_key=write_key,
            pointer_prefix="/batch",
            sent_at=document.get("sentAt"),
        )
    else:
        if not isinstance(document, dict):
            return _invalid_event([Problem("", "An event must be a JSON object.")])
        event = {key: value for key, value in document.items() if key != "writeKey"}
        result = ingest(
            [{**event, "type": call}], source=InboundEvent.Source.SEGMENT, write_key=write_key, pointer_prefix=None
        )
        if not result.checked[0].accepted:
            return _invalid_event(result.checked[0].problems)
        # A duplicate (a retry of a messageId this write key sent before) is a success, stored once.
    results = result.results()
    rejected = [row for row in results if row["status"] == "rejected"]
    duplicates = [row for row in results if row["status"] == "duplicate"]
    return JsonResponse({"success": True, "accepted": result.accepted, "duplicates": duplicates, "rejected": rejected})


def _origin(request: HttpRequest) -> str:
    # Chromium sends "null" from sandboxed frames and file: pages: an origin no source can list.
    return request.META.get("HTTP_ORIGIN", "")


def _refuse_from_browser(request: HttpRequest, write_key: WriteKey) -> HttpResponse | None:
    """A page may send only with a browser source's key, from one of its origins; a browser source is
    held to its rates. Requests without an Origin (servers, mobile apps) are not pages."""
    origin = _origin(request)
    if origin and not sources.origin_allowed(write_key, origin):
        detail = (
            "This origin is not one of the source's allowed origins."
            if write_key.is_browser
            else "A server write key is secret: a web page must send with a browser source's key."
        )
        return problem_response(403, "Origin not allowed", detail)
    if write_key.is_browser:
        verdict = sources.admit(write_key, sources.client_address(request.META))
        if not verdict.allowed:
            detail = (
                "Slow down: this address sends more requests with this source than one visitor may."
                if verdict.limit == "address"
                else "Slow down: this source sends more requests than its limit, from all its visitors together."
            )
            response = problem_response(429, "Too many requests", detail)
            # Retry-After for RudderStack and the mobile SDKs, X-RateLimit-Reset (seconds) for analytics.js.
            response["Retry-After"] = response["X-RateLimit-Reset"] = str(verdict.retry_after)
            return _with_cors(request, response, write_key)
    return None


def _preflight(request: HttpRequest) -> HttpResponse:
    """Answer a CORS preflight: only for an origin some browser source lists (the preflight carries no key)."""
    origin = _origin(request)
    response = HttpResponse(status=204)
    if origin and sources.any_source_allows(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, GET, OPTIONS"
        response["Access-Control-Allow-Headers"] = sources.allowed_request_headers(
            request.META.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")
        )
        response["Access-Control-Max-Age"] = sources.PREFLIGHT_MAX_AGE
    response["Vary"] = "Origin"
    return response


def _with_cors(request: HttpRequest, response: HttpResponse, write_key: WriteKey | None) -> HttpResponse:
    """Let the page read the answer when it comes from one of the source's origins (with no key known yet,
    from an origin some browser source lists, so that the SDK sees its 401 rather than a network error)."""
    origin = _origin(request)
    response["Vary"] = "Origin"
    if not origin:
        return response
    if sources.origin_allowed(write_key, origin) if write_key is not None else sources.any_source_allows(origin):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = sources.EXPOSED_HEADERS
    return response


def _busy() -> HttpResponse:
    response = problem_response(
        503,
        "Busy",
        "The events could not be stored in time. Retry with the same messageIds: events that were stored "
        "after all are recognised and stored once.",
    )
    response["Retry-After"] = "5"
    return response


def _with_context(raw_events: list[Any], document: dict[str, Any]) -> list[Any]:
    # analytics libraries put a shared `context` and `sentAt` on the batch, not on each event.
    shared = document.get("context")
    if not isinstance(shared, dict):
        return raw_events
    merged = []
    for raw in raw_events:
        if isinstance(raw, dict):
            own = raw.get("context") if isinstance(raw.get("context"), dict) else {}
            raw = {**raw, "context": {**shared, **own}}
        merged.append(raw)
    return merged


def _read_json(request: HttpRequest, *, text_ok: bool = False) -> Any:
    """The JSON document of the body. With `text_ok`, JSON sent as text/plain too (what browsers send to
    avoid a preflight, and what a beacon's Blob is)."""
    if request.content_type != "application/json" and not (text_ok and request.content_type == "text/plain"):
        raise EnvelopeError(415, "Unsupported media type", "Send JSON with Content-Type: application/json.")
    declared = request.META.get("CONTENT_LENGTH", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise EnvelopeError(413, "Request too large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise EnvelopeError(413, "Request too large", f"The body is larger than {MAX_BODY_BYTES} bytes.") from None
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding == "gzip":
        body = _gunzip(body)
    elif encoding not in ("", "identity"):
        raise EnvelopeError(415, "Unsupported content encoding", "Content-Encoding may be gzip or identity.")
    return parse_body(body)


def _gunzip(body: bytes) -> bytes:
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(body, MAX_BODY_BYTES + 1)
    except zlib.error:
        raise EnvelopeError(400, "Invalid gzip", "The body is not valid gzip.") from None
    if len(data) > MAX_BODY_BYTES or decompressor.unconsumed_tail:
        raise EnvelopeError(413, "Request too large", f"The body is larger than {MAX_BODY_BYTES} bytes unzipped.")
    return data


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _basic_user(request: HttpRequest) -> str:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[0]


def _unauthorized(challenge: str) -> HttpResponse:
    response = problem_response(401, "Unauthorized", "A valid, active write key is required.")
    response["WWW-Authenticate"] = challenge
    return response


def _envelope_problem(error: EnvelopeError) -> HttpResponse:
    extensions = {"errors": [p.as_dict() for p in error.problems]} if error.problems else {}
    return problem_response(error.status, error.title, error.detail, **extensions)


def _invalid_event(problems: list[Problem]) -> HttpResponse:
    detail = problems[0].detail if len(problems) == 1 else f"The event has {len(problems)} problems."
    return problem_response(422, "Invalid event", detail, errors=[p.as_dict() for p in problems])


@csrf_exempt
def rudderstack_source_config(request: HttpRequest) -> HttpResponse:
    """GET /sourceConfig/?writeKey=…: what RudderStack's JS SDK loads first (its `configUrl` pointed here):
    the source, enabled, with no device-mode destinations (Relay delivers)."""
    if request.method == "OPTIONS":
        return _preflight(request)
    key = _browser_key(request.GET.get("writeKey", "") or _basic_user(request))
    if key is None:
        return _with_cors(request, _unauthorized('Basic realm="relay"'), None)
    source = {"id": f"relay-{key.pk}", "name": key.label, "workspaceId": "relay", "enabled": True}
    body = {"isHosted": False, "source": {**source, "config": {}, "destinations": []}}
    return _with_cors(request, JsonResponse(body), key)


@csrf_exempt
def segment_settings(request: HttpRequest, write_key: str) -> HttpResponse:
    """GET /v1/projects/<writeKey>/settings: what analytics.js 2.0 loads first (its `cdnURL` pointed here):
    send everything to this Relay, with no device-mode destinations and no metrics to Segment."""
    key = _browser_key(write_key)
    if key is None:
        return _with_cors(request, problem_response(404, "Not found", "No browser source has this write key."), None)
    api_host = request.get_host() + "/v1"
    body = {
        "integrations": {"Segment.io": {"apiKey": write_key, "apiHost": api_host, "protocol": request.scheme}},
        "plan": {},
        "edgeFunction": {},
        "analyticsNextEnabled": True,
        "middlewareSettings": {},
        "enabledMiddleware": {},
        "metrics": {"sampleRate": 0},
        "legacyVideoPluginsEnabled": False,
        "remotePlugins": [],
    }
    return _with_cors(request, JsonResponse(body), key)


def _browser_key(raw_key: str) -> WriteKey | None:
    # Only a browser source's settings are answered: they hold its key, which only a browser key may show.
    key = authenticate(raw_key)
    return key if key is not None and key.is_browser else None
