"""The ingest endpoints in the OpenAPI schema. They are plain Django views (speed, Segment's
wire format), so drf-spectacular cannot see them: this hook describes them, limits and errors
included, from the same constants the envelope enforces."""

from typing import Any

from executor.envelope import EVENT_TYPES, MAX_BATCH_EVENTS, MAX_BODY_BYTES, MAX_DEPTH, MAX_EVENT_BYTES

SEGMENT_CALLS = ("track", "identify", "page", "screen", "group", "alias", "batch")

_PROBLEM = {"$ref": "#/components/schemas/IngestProblem"}
_LIMITS = (
    f"Limits: {MAX_BODY_BYTES // (1024 * 1024)} MB a body, {MAX_EVENT_BYTES // 1024} KB an event, "
    f"{MAX_DEPTH} levels of nesting, {MAX_BATCH_EVENTS} events a batch. Idempotent per write key and messageId: "
    "an event sent again is answered as a duplicate and stored once."
)


def _errors(*statuses: int) -> dict[str, Any]:
    meaning = {
        400: "Invalid JSON or UTF-8, NaN, Infinity or a number too large (such as 1e400).",
        401: "No valid, active write key.",
        405: "Only POST.",
        413: "The body or the batch is too large.",
        415: "Not application/json, or a Content-Encoding other than gzip.",
        422: "Not an event: the problem's errors point at each field (JSON pointers), a NUL character included.",
        503: "The events could not be stored in time: retry with the same messageIds (stored once).",
    }
    return {
        str(status): {"description": meaning[status], "content": {"application/problem+json": {"schema": _PROBLEM}}}
        for status in statuses
    }


def _components() -> dict[str, Any]:
    result_row = {
        "type": "object",
        "properties": {
            "index": {"type": "integer"},
            "status": {"type": "string", "enum": ["accepted", "duplicate", "rejected"]},
            "messageId": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/IngestFieldError"}},
        },
        "required": ["index", "status"],
    }
    return {
        "IngestEvent": {
            "type": "object",
            "description": "A Segment-style event. " + _LIMITS,
            "properties": {
                "type": {"type": "string", "enum": sorted(EVENT_TYPES), "description": "track when `event` is given."},
                "event": {"type": "string", "maxLength": 200, "description": "Required for track."},
                "userId": {"type": "string"},
                "anonymousId": {"type": "string"},
                "messageId": {"type": "string", "description": "Generated when missing; the deduplication key."},
                "timestamp": {"type": "string", "format": "date-time"},
                "sentAt": {"type": "string", "format": "date-time", "description": "Corrects the source's clock."},
                "properties": {"type": "object"},
                "traits": {"type": "object"},
                "context": {"type": "object"},
            },
            "additionalProperties": True,
        },
        "IngestFieldError": {
            "type": "object",
            "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
            "required": ["pointer", "detail"],
        },
        "IngestProblem": {
            "type": "object",
            "description": "RFC 9457 problem details.",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/IngestFieldError"}},
            },
            "required": ["title", "status", "detail"],
        },
        "IngestAccepted": {
            "type": "object",
            "properties": {
                "status": {"type": "string", "enum": ["accepted", "duplicate"]},
                "messageId": {"type": "string"},
            },
            "required": ["status", "messageId"],
        },
        "IngestBatchResult": {
            "type": "object",
            "properties": {
                "accepted": {"type": "integer"},
                "duplicates": {"type": "integer"},
                "rejected": {"type": "integer"},
                "results": {"type": "array", "items": result_row},
            },
            "required": ["accepted", "duplicates", "rejected", "results"],
        },
        "SegmentResult": {
            "type": "object",
            "properties": {
                "success": {"type": "boolean"},
                "accepted": {"type": "integer"},
                "duplicates": {"type": "array", "items": result_row},
                "rejected": {"type": "array", "items": result_row},
            },
            "required": ["success", "accepted", "duplicates", "rejected"],
        },
    }


def _event_examples() -> dict[str, Any]:
    """A real event (the documented preset's own example, which the presets' tests send end to end)."""
    from mapper.api import example_preset

    _, preset = example_preset()
    event = dict(preset.example_event)
    batch = [{**event, "messageId": f"{event.get('messageId', 'msg')}-batch-{index}"} for index in (1, 2)]
    return {
        "event": {"summary": f"One event: {preset.name}", "value": event},
        "batch": {"summary": "A batch (each event answered on its own)", "value": batch},
    }


def add_ingest_paths(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_components())
    security = result.setdefault("components", {}).setdefault("securitySchemes", {})
    security["writeKeyBearer"] = {"type": "http", "scheme": "bearer", "description": "A write key (rwk_…)."}
    security["writeKeyBasic"] = {"type": "http", "scheme": "basic", "description": "The write key as user name."}
    event = {"$ref": "#/components/schemas/IngestEvent"}
    result.setdefault("paths", {})["/api/v1/events"] = {
        "post": {
            "operationId": "ingest_events",
            "tags": ["ingest"],
            "summary": "Send one event or a batch",
            "description": _LIMITS,
            "security": [{"writeKeyBearer": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"oneOf": [event, {"type": "array", "items": event, "maxItems": MAX_BATCH_EVENTS}]},
                        "examples": _event_examples(),
                    }
                },
            },
            "responses": {
                "202": {
                    "description": "Accepted (or a duplicate). A batch answers per event.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/IngestAccepted"},
                                    {"$ref": "#/components/schemas/IngestBatchResult"},
                                ]
                            }
                        }
                    },
                },
                **_errors(400, 401, 405, 413, 415, 422, 503),
            },
        }
    }
    for call in SEGMENT_CALLS:
        body = (
            {"type": "object", "properties": {"batch": {"type": "array", "items": event}, "sentAt": {"type": "string"}}}
            if call == "batch"
            else event
        )
        result["paths"][f"/v1/{call}"] = {
            "post": {
                "operationId": f"segment_{call}",
                "tags": ["ingest (Segment tracking API)"],
                "summary": f"Segment's {call} call",
                "description": "Segment's HTTP tracking API; gzip accepted. " + _LIMITS,
                "security": [{"writeKeyBasic": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {
                    "200": {
                        "description": "Taken; rejected and duplicate events are listed.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SegmentResult"}}},
                    },
                    **_errors(400, 401, 405, 413, 415, 422, 503),
                },
            }
        }
    return result
