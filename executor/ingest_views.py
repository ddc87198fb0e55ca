"""HTTP endpoints that take events: Relay's own API and Segment's tracking API. Thin by design."""

import base64
import binascii
import functools
import zlib
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.problems import problem_response
from executor.dbwrite import CommitterUnavailable
from executor.envelope import MAX_BODY_BYTES, EnvelopeError, Problem, parse_body
from executor.ingest import authenticate, ingest
from executor.metrics import INGEST_REQUESTS
from executor.models import InboundEvent


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


@counted("segment")
@csrf_exempt
@require_POST
def segment(request: HttpRequest, call: str) -> HttpResponse:
    """Segment's HTTP tracking API (/v1/track, /v1/identify, /v1/batch, ...), write key as Basic user name."""
    write_key = authenticate(_basic_user(request))
    try:
        document = _read_json(request)
        if write_key is None and isinstance(document, dict):
            write_key = authenticate(str(document.get("writeKey") or ""))
        if write_key is None:
            return _unauthorized('Basic realm="relay"')
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
            result = ingest(
                [{**document, "type": call}],
                source=InboundEvent.Source.SEGMENT,
                write_key=write_key,
                pointer_prefix=None,
            )
            if not result.checked[0].accepted:
                return _invalid_event(result.checked[0].problems)
            # A duplicate (a retry of a messageId this write key sent before) is a success, stored once.
    except EnvelopeError as error:
        return _envelope_problem(error)
    except CommitterUnavailable:
        return _busy()
    results = result.results()
    rejected = [row for row in results if row["status"] == "rejected"]
    duplicates = [row for row in results if row["status"] == "duplicate"]
    return JsonResponse({"success": True, "accepted": result.accepted, "duplicates": duplicates, "rejected": rejected})


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


def _read_json(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        raise EnvelopeError(415, "Unsupported media type", "Send JSON with Content-Type: application/json.")
    declared = request.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise EnvelopeError(413, "Request too large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        body = request.body
    except RequestDataTooBig:
        raise EnvelopeError(413, "Request too large", f"The body is larger than {MAX_BODY_BYTES} bytes.") from None
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
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
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _basic_user(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
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
