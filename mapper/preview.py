"""The live preview: an unsaved action run on a sample event through the executor's own route step."""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from core import jsondoc
from destinations.definition import BodyLayout, FieldError, ProductTable
from destinations.models import Destination
from mapper import consent, hints, masking, product_list, trigger_builder
from mapper.pipeline import ActionConfig, ActionResult, run_action
from mapper.samples import Reach

SAMPLE_FIELD = "sample_event"


@dataclass(slots=True)
class Preview:
    result: ActionResult | None
    errors: list[FieldError] = field(default_factory=list)
    request: dict[str, Any] | None = None
    # How many of the last events received the trigger matches (the editor's, not the API's).
    reach: Reach | None = None
    # What the person receives because of this request (subscriptions), in a sentence.
    summary: str = ""
    # Judged on stored values the person may not see (see mapper.sample_refs): shown masked.
    hidden: bool = False
    # The trigger builder's conditions that compare a number with text ("88.00"): offered "as a number".
    number_offers: list[int] = field(default_factory=list)
    # Where the destination type's request bodies hold the event's name (shown unmasked unless it looks like
    # health information).
    body_layout: BodyLayout = field(default_factory=BodyLayout)
    # The action type's products table, which names a left-out product for those who may see values.
    product_table: ProductTable | None = None

    @property
    def resolved_values(self) -> list[tuple[str, Any]]:
        """(field key, value) of every mapped field, for templates: field names are the user's (a
        property named `items` or `keys`), so a template must never look them up on the dict."""
        return list(self.result.fields.items()) if self.result else []

    @property
    def request_headers(self) -> list[tuple[str, str]]:
        return list(self.request["headers"].items()) if self.request else []

    @property
    def trigger_matched(self) -> bool:
        return bool(self.result and self.result.trigger_matched)

    @property
    def would_send(self) -> bool:
        return bool(self.result and self.request and not self.has_errors)

    @property
    def has_errors(self) -> bool:
        return any(error.severity == "error" for error in self.errors)

    def shown_to(self, *, is_admin: bool) -> "Preview":
        """The preview as this person may see it: values masked when it was judged on values
        they may not see (its verdicts, errors and counts stay: they never quote event data).
        Someone who may see the values sees a left-out product named by its id or name."""
        if is_admin or not self.hidden:
            if self.product_table is None:
                return self
            fields = self.result.fields if self.result else {}
            return replace(self, errors=product_list.name_products(self.errors, fields, self.product_table))
        result = replace(self.result, fields=masking.mask(self.result.fields)) if self.result else None
        request = (
            {**self.request, "body": masking.payload_for_viewer(self.request["body"], self.body_layout, is_admin=False)}
            if self.request
            else None
        )
        return replace(self, result=result, request=request)

    def errors_by_field(self) -> dict[str, list[FieldError]]:
        grouped: dict[str, list[FieldError]] = defaultdict(list)
        for error in self.errors:
            grouped[error.field].append(error)
        return dict(grouped)

    def as_dict(self) -> dict[str, Any]:
        """The preview as the API answers it."""
        outcome = self.result.outcome if self.result else None
        return {
            "trigger_matched": self.trigger_matched,
            # What the executor would do with it: unmatched, skipped, blocked, invalid or queued.
            "outcome": {"kind": outcome.kind, "reason": outcome.reason} if outcome else None,
            "fields": self.result.fields if self.result else {},
            "request": self.request,
            "errors": [error.as_dict() for error in self.errors],
            "summary": self.summary,
        }


def parse_sample(text: str) -> tuple[Any, FieldError | None]:
    """Return the sample event, or an error that says where the JSON breaks or why the event
    could not be ingested (the limits of ingest hold here too: 64 KB, 32 levels, no NUL)."""
    if not text.strip():
        return None, FieldError(SAMPLE_FIELD, "invalid_sample", "Paste a sample event (JSON) to preview.")
    if len(text) > 4 * jsondoc.MAX_EVENT_BYTES:  # before parsing: the limit is on the event
        return None, FieldError(
            SAMPLE_FIELD, "invalid_sample", f"The sample is larger than {jsondoc.MAX_EVENT_BYTES} bytes."
        )
    try:
        sample = jsondoc.loads(text)
    except jsondoc.DocumentError as error:
        return None, FieldError(SAMPLE_FIELD, "invalid_sample", str(error))
    problem = sample_problem(sample)
    return (None, problem) if problem else (sample, None)


def sample_problem(sample: Any) -> FieldError | None:
    """An error when `sample` is not an event that ingest would take, else None."""
    if not isinstance(sample, dict):
        return FieldError(SAMPLE_FIELD, "invalid_sample", "A sample event must be a JSON object.")
    shape = jsondoc.shape_problem(sample)
    if shape is None:
        return None
    where, message = shape
    return FieldError(SAMPLE_FIELD, "invalid_sample", f"{message} (at {where})" if where else message)


def preview(
    destination: Destination,
    action_type: str,
    trigger: str,
    mappings: dict[str, str],
    sample: Any,
    *,
    action_id: object = "",
    consent_category: str = "",
    consent_when_unknown: str = "",
) -> Preview:
    """Return what the action would do with `sample`: the same code path as the executor (with the
    action's consent category, else the destination's, as Action.consent_requirement resolves it)."""
    requirement = consent.requirement(
        consent_category, consent_when_unknown, destination.consent_category, destination.consent_when_unknown
    )
    config = ActionConfig.of(destination.type, action_type, trigger, mappings, action_id, requirement)
    result = run_action(
        config,
        sample,
        region=destination.default_region,
        evaluate_unmatched=True,
        policy=destination.privacy_policy,
        defaults=destination.action_defaults,
    )
    errors = list(result.errors)
    errors.extend(hints.for_preview(trigger, mappings, result.fields, sample))
    model = trigger_builder.parse_trigger(trigger)
    offers = trigger_builder.text_numbers(model, sample) if model is not None else []
    for index in offers:
        advice = trigger_builder.text_number_advice(model.conditions[index])
        errors.append(FieldError("trigger", "text_number", advice, "warning"))
    if not result.trigger_matched and not any(e.field == "trigger" for e in errors):
        errors.append(FieldError("trigger", "trigger_not_matched", "The trigger does not match this event.", "warning"))
    request = None
    if result.request is not None:
        request = {
            "method": result.request.method,
            "url": _base_url(destination) + result.request.path,
            "headers": destination.definition.auth_header(destination.api_key_last4),
            "body": result.request.body,
        }
    definition = destination.definition.action(action_type)
    summary = ""
    if definition is not None and definition.describe is not None and result.request is not None:
        outcome = result.outcome
        if outcome.kind == "queued":
            summary = definition.describe(result.request.body, destination.disclosure)
        else:  # consent false, no identifier, blocked: say plainly that nothing happens to them
            summary = f"{definition.describe_unsent} {outcome.reason}"
    return Preview(
        result,
        errors,
        request,
        summary=summary,
        number_offers=offers,
        body_layout=destination.definition.body_layout,
        product_table=definition.product_table if definition is not None else None,
    )


def _base_url(destination: Destination) -> str:
    try:
        return destination.definition.base_url()
    except ImproperlyConfigured as error:
        return f"({error})"
