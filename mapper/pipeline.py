"""Run one action on one event: trigger, mappings, builder, schema. Pure: no ORM, no HTTP.

This is the route step. The executor runs it to create deliveries and the preview runs it on
a sample event, so what the preview shows is what the executor does.
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from destinations import privacy
from destinations.definition import NO_DISCLOSURE, ActionType, BodyLayout, BuildContext, FieldError, Skip, row_keys
from destinations.registry import DESTINATION_TYPES
from mapper import engine, validation
from mapper.consent import FIELD as CONSENT_FIELD
from mapper.consent import NO_CONSENT, Requirement

# Namespace of the derived externalEventId: uuid5(namespace, "<action>:[<source>:]<messageId>").
EXTERNAL_EVENT_ID_NAMESPACE = uuid.UUID("9d4b3c0e-54a5-4d55-9f38-6f1c1f0a8e21")
_NAMESPACE_BYTES = EXTERNAL_EVENT_ID_NAMESPACE.bytes


@dataclass(frozen=True, slots=True)
class ActionConfig:
    """What an action is, independent of how it is stored."""

    destination_type: str
    action_type: str
    trigger: str
    mappings: tuple[tuple[str, str], ...]
    action_id: str = ""
    # The consent category the event must grant (the action's, else its destination's): mapper.consent.
    consent: Requirement | None = None
    # compile_action's cache hashes the config on every event: the hash of its (nested) tuples is
    # worked out once, when it is made.
    _hash: int = field(init=False, repr=False, compare=False)
    # The action compiled from this config (compile_action's answer, which depends on nothing
    # else), kept on it when first asked for: read with one attribute lookup per event instead of
    # a cache lookup that calls __hash__. It holds the action's own expressions, no event's value.
    compiled: Any = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = (self.destination_type, self.action_type, self.trigger, self.mappings, self.action_id, self.consent)
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def of(
        cls,
        destination_type: str,
        action_type: str,
        trigger: str,
        mappings: Mapping[str, str],
        action_id: object = "",
        consent: Requirement | None = None,
    ) -> "ActionConfig":
        return cls(
            destination_type,
            action_type,
            trigger,
            tuple(mappings.items()),
            str(action_id or ""),
            consent,
        )


class PreparedRequest(NamedTuple):
    # A tuple: made once per event on the route step's hot path, where a frozen dataclass costs more.
    method: str
    path: str
    body: dict[str, Any]


OutcomeKind = Literal["unmatched", "skipped", "blocked", "invalid", "queued"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happens to a delivery of this result, in one word and one sentence: the executor
    records it, the preview shows it."""

    kind: OutcomeKind
    reason: str = ""


@dataclass(slots=True)
class ActionResult:
    trigger_matched: bool
    fields: dict[str, Any] = field(default_factory=dict)
    request: PreparedRequest | None = None
    errors: list[FieldError] = field(default_factory=list)
    consent_given: bool = True
    # Who would refuse an invalid request, in the outcome's sentence: the destination type's title.
    refused_by: str = "the destination"
    # The error codes that skip the delivery instead, with their reasons (the action type's).
    skips: tuple[Skip, ...] = ()

    @property
    def blocked(self) -> bool:
        """True when a privacy rule stops the request."""
        return any(error.code in privacy.BLOCKING_CODES for error in self.errors)

    @property
    def ok(self) -> bool:
        """True when the trigger matched, consent was given and the request may be sent."""
        return self.trigger_matched and self.consent_given and self.request is not None and not self.has_errors

    @property
    def has_errors(self) -> bool:
        return any(error.severity == "error" for error in self.errors)

    @property
    def outcome(self) -> Outcome:
        """Unmatched, skipped (no consent, or a skip code of the action type), blocked (privacy rules), invalid (the
        destination would refuse it) or queued. Test mode is the destination's, decided by routing."""
        if not self.trigger_matched:
            return Outcome("unmatched", "The trigger does not match this event.")
        codes = {error.code for error in self.errors if error.severity == "error"}
        if not self.consent_given:
            for error in self.errors:
                if error.code == NO_CONSENT:  # "No consent for Marketing: …"
                    return Outcome("skipped", f"Skipped: {error.message[:1].lower()}{error.message[1:]}"[:500])
        if not self.consent_given and any(error.code == "no_consent" for error in self.errors):
            return Outcome("skipped", "Skipped: the destination's consent condition is false for this event.")
        if self.blocked:
            return Outcome("blocked", _blocked_reason(self.errors))
        for skip in self.skips:
            if skip.code in codes and (not skip.only_error or len(codes) == 1):
                return Outcome("skipped", skip.reason)
        if codes:
            return Outcome("invalid", _invalid_reason(self.errors, self.refused_by))
        return Outcome("queued")

    @property
    def warnings(self) -> list[FieldError]:
        return [error for error in self.errors if error.severity == "warning"]


@dataclass(frozen=True, slots=True)
class _CompiledAction:
    action_type: ActionType
    trigger: engine.Expression | None
    # The trigger written out as one function, when it can be called directly (mapper.engine.reader).
    test: engine.Test | None
    mappings: tuple[tuple[str, engine.Expression], ...]
    # All the mappings read at once, when every one can be called directly (mapper.engine.reader).
    read: engine.Reader | None
    errors: tuple[FieldError, ...]
    derives_event_id: bool
    # For each field key, the event paths its value is read from (privacy rules judge them).
    sources: dict[str, tuple[str, ...]]
    # Validated identifiers mapped as a fallback chain: each alternative, to send the first valid.
    candidates: dict[str, tuple[engine.Expression, ...]]
    # Required fields the configuration leaves empty (already an error above): a builder finding no
    # value there says the same thing again, so its own "missing" on them is dropped.
    unmapped: frozenset[str]
    # The destination type's title, for the sentence that says it would refuse a request.
    destination_title: str
    # Where its bodies hold what the privacy rules judge besides every text.
    body_layout: BodyLayout
    # The row keys of each row group among its field keys (BuildContext.rows): its keys are the
    # same on every event, so the builders are given them instead of finding them per event.
    rows: Mapping[str, tuple[tuple[str, str], ...]]


@lru_cache(maxsize=1024)
def compile_action(config: ActionConfig) -> _CompiledAction:
    """Return the action compiled once: its expressions, and what is wrong with its configuration."""
    destination_type = DESTINATION_TYPES[config.destination_type]
    action_type = destination_type.action(config.action_type)
    if action_type is None:
        raise ValueError(f"Unknown action type {config.action_type!r}.")
    mappings = dict(config.mappings)
    errors = validation.check_configuration(action_type, config.trigger, mappings)
    broken = {error.field for error in errors}
    compiled = tuple(
        (key, engine.compile_expression(expression))
        for key, expression in mappings.items()
        if key not in broken and isinstance(expression, str) and expression.strip()
    )
    trigger = None if validation.TRIGGER in broken else engine.compile_expression(config.trigger)
    derives_event_id = action_type.field("external_event_id") is not None and not dict(compiled).get(
        "external_event_id"
    )
    sources = {key: engine.source_paths(expression.source) for key, expression in compiled}
    candidates = {
        key: alternatives
        for key, expression in compiled
        if key in action_type.validated_identifiers and (alternatives := engine.alternatives(expression.source))
    }
    unmapped = frozenset(error.field for error in errors if error.code == "missing_required")
    return _CompiledAction(
        action_type,
        trigger,
        engine.compile_test(trigger) if trigger is not None else None,
        compiled,
        engine.compile_reader(compiled),
        tuple(errors),
        derives_event_id,
        sources,
        candidates,
        unmapped,
        destination_type.title,
        destination_type.body_layout,
        MappingProxyType(row_keys(key for key, _ in compiled)),
    )


def run_action(
    config: ActionConfig,
    event: Mapping[str, Any],
    *,
    region: str = "US",
    now: datetime | None = None,
    evaluate_unmatched: bool = False,
    policy: privacy.PrivacyPolicy | None = None,
    source: str = "",
    defaults: Mapping[str, str] | None = None,
) -> ActionResult:
    """Return what `config` does with `event`: whether it matches, each field's value, the request
    it would send and every error and warning, on the field that causes it.

    `evaluate_unmatched` builds the request even when the trigger does not match (the preview
    shows it); the executor stops at the trigger. `policy` is the destination's privacy rules:
    consent first, then blocked names and values in the finished request. `source` names where
    the event came from (its write key): two sources may use the same messageId for different
    events, so the derived externalEventId tells them apart. `defaults` are the destination's
    settings a builder falls back on when the event lacks a value.
    """
    action = config.compiled
    if action is None:
        action = compile_action(config)
        object.__setattr__(config, "compiled", action)  # frozen: set once, as __post_init__ sets _hash
    if action.errors and any(e.field == validation.TRIGGER for e in action.errors):
        return ActionResult(trigger_matched=False, errors=list(action.errors))
    errors = list(action.errors)
    try:
        if action.test is not None:
            matched = action.test(event)
        elif action.trigger is None:
            matched = False
        else:
            matched = action.trigger.is_true(event)
    except engine.EvaluationError as error:
        return ActionResult(
            False,
            errors=[*errors, FieldError(validation.TRIGGER, error.code, error.message)],
        )
    if not matched and not evaluate_unmatched:
        return ActionResult(trigger_matched=False, errors=errors)
    # One attribute test for the (many) actions that require no consent category.
    refusal = config.consent.refusal(event) if config.consent is not None else ""
    if refusal:
        errors.append(FieldError(CONSENT_FIELD, NO_CONSENT, refusal, "warning"))
        if not evaluate_unmatched:
            # Nothing of it is built, so nothing of it is stored: the delivery records only why.
            return ActionResult(matched, errors=errors, consent_given=False)

    if action.read is not None:
        values = action.read(event)
    else:
        values = {}
        for key, expression in action.mappings:
            if expression.direct is not None:
                values[key] = expression.direct(event)
                continue
            try:
                values[key] = expression.evaluate(event)
            except engine.EvaluationError as error:
                errors.append(FieldError(key, error.code, error.message))
    if action.candidates:
        # The chain's own value goes first (nearly always valid), its alternatives only when it is
        # not. _Fallbacks(action.candidates, event) without its __init__ (a Python frame per event).
        fallbacks = _new(_Fallbacks)
        fallbacks._candidates = action.candidates
        fallbacks._event = event
    else:
        fallbacks = _NO_FALLBACKS
    # Made with tuple.__new__ (a NamedTuple's own __new__ is a Python function), once per event.
    context = tuple.__new__(
        BuildContext,
        (
            region,
            now or datetime.now(UTC),
            _derived_event_id(config, event, source) if action.derives_event_id else "",  # default_external_event_id
            fallbacks,
            defaults or _NO_FALLBACKS,
            action.rows,
        ),
    )
    built = action.action_type.build(values, context)
    if action.unmapped:
        errors.extend(e for e in built.errors if not (e.code == "missing_required" and e.field in action.unmapped))
    else:
        errors.extend(built.errors)
    # A valid body (nearly every one) is said so by the compiled check, without validate_body's call.
    if not action.action_type.is_valid(built.body):
        errors.extend(validation.validate_body(action.action_type, built.body, built.origins, action.destination_title))
    consent_given = not refusal
    if policy is not None:
        # The event's name read here from an exact dict (nearly every event), as _event_name reads it.
        name = event.get("event") or event.get("name") if type(event) is dict else None
        errors.extend(
            privacy.check_body(
                policy,
                built.body,
                built.origins,
                action.action_type.named_value,
                action.sources,
                name if type(name) is str else _event_name(event),
                action.destination_title,
                action.body_layout,
            )
        )
        consent_given = (_consent(policy, event, errors) if policy.consent else True) and consent_given
        disclosure = action.action_type.needs_disclosure
        if disclosure and not policy.disclosure:
            # Cleared after the action was enabled: it stops subscribing people at once.
            errors.append(FieldError(disclosure.field, NO_DISCLOSURE, disclosure.missing))
    # tuple.__new__ straight: a NamedTuple's own __new__ is a Python function, a frame per event.
    request = tuple.__new__(PreparedRequest, (action.action_type.method, action.action_type.path, built.body))
    # Made without the dataclass's __init__ (a Python frame per event): every slot is set here.
    result = _new(ActionResult)
    result.trigger_matched = matched
    result.fields = values
    result.request = request
    result.errors = validation.dedupe(errors) if errors else errors
    result.consent_given = consent_given
    result.refused_by = action.destination_title
    result.skips = action.action_type.skip_reasons
    return result


_new = object.__new__


# No fallbacks and no defaults: an empty mapping no one can write to, shared.
_NO_FALLBACKS: Mapping[str, Any] = MappingProxyType({})


class _Fallbacks(Mapping[str, Callable[[], Iterator[Any]]]):
    """For each chained identifier, its alternatives' values on this event, made only when a
    builder asks (nearly never: the chain's own value is nearly always valid)."""

    __slots__ = ("_candidates", "_event")

    def __init__(self, candidates: Mapping[str, tuple[engine.Expression, ...]], event: Any) -> None:
        self._candidates = candidates
        self._event = event

    def __getitem__(self, key: str) -> Callable[[], Iterator[Any]]:
        return partial(_each, self._candidates[key], self._event)

    def get(self, key: str, default: Any = None) -> Any:  # without Mapping's KeyError on a miss
        alternatives = self._candidates.get(key)
        return default if alternatives is None else partial(_each, alternatives, self._event)

    def __iter__(self) -> Iterator[str]:
        return iter(self._candidates)

    def __len__(self) -> int:
        return len(self._candidates)


def _blocked_reason(errors: list[FieldError]) -> str:
    """A sentence naming each stopped field, the event path it came from and the rule."""
    stops = []
    for error in errors:
        if error.code == "not_allowlisted":
            stops.append(f"“{error.field}” (not on the allowlist)")
        elif error.code == "blocked_by_rule":
            source = f" from “{error.source}”" if error.source else ""
            stops.append(f"“{error.field}”{source} (rule “{error.rule}”)")
    return f"Stopped by the destination's privacy rules: {'; '.join(dict.fromkeys(stops))}."[:500]


def _event_name(event: Mapping[str, Any]) -> str:
    """The received event's name (track) or page/screen name: context for the privacy rules."""
    # An exact dict first: Mapping's isinstance goes through the ABC machinery, on every event.
    name = event.get("event") or event.get("name") if type(event) is dict or isinstance(event, Mapping) else None
    return name if isinstance(name, str) else ""


def _invalid_reason(errors: list[FieldError], refused_by: str) -> str:
    """A sentence: the first problem in the marketer's words, and how many more there are."""
    problems = [error for error in errors if error.severity == "error"]
    first = f"“{problems[0].field}”: {problems[0].message}" if problems[0].field else problems[0].message
    more = len(problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"Not sent, {refused_by} would refuse it. {first}{tail}"[:500]


def _each(alternatives: tuple[engine.Expression, ...], event: Any) -> Iterator[Any]:
    for alternative in alternatives:
        try:
            yield alternative.evaluate(event)
        except engine.EvaluationError:
            continue  # the chain's own value reported it already, if it was this one


def _consent(policy: privacy.PrivacyPolicy, event: Mapping[str, Any], errors: list[FieldError]) -> bool:
    if not policy.consent:
        return True
    try:
        given = engine.compile_expression(policy.consent).is_true(event)
    except engine.MappingError as error:
        errors.append(FieldError(privacy.CONSENT, error.code, f"The destination's consent condition: {error.message}"))
        return False
    if not given:
        errors.append(
            FieldError(
                privacy.CONSENT,
                "no_consent",
                "The destination's consent condition is false for this event: it is skipped.",
                "warning",
            )
        )
    return given


def _derived_event_id(config: ActionConfig, event: Mapping[str, Any], source: str = "") -> str:
    """Return an id stable across retries and replays: the same event from the same source through
    the same action gives the same id: str(uuid.uuid5(EXTERNAL_EVENT_ID_NAMESPACE, prefix + messageId)),
    the prefix naming the action and the source, worked out without building UUID objects (hot path)."""
    message_id = event.get("messageId") if type(event) is dict or isinstance(event, Mapping) else None
    if not isinstance(message_id, str) or not message_id:
        canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
        message_id = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    # The namespace and prefix are hashed once per action and source, then copied.
    hasher = _prefix_hash(config.action_id, source).copy()
    hasher.update(message_id.encode())
    text = hasher.hexdigest()
    # The version nibble (13th hex digit) becomes 5, the variant bits of the 17th become 10.
    return f"{text[:8]}-{text[8:12]}-5{text[13:16]}-{_VARIANT[text[16]]}{text[17:20]}-{text[20:32]}"


@lru_cache(maxsize=1024)
def _prefix_hash(action_id: str, source: str) -> Any:
    """The namespace and what precedes the messageId in the name the id is derived from, hashed
    (one per action and source)."""
    prefix = f"{action_id or 'unsaved'}:{source}:" if source else f"{action_id or 'unsaved'}:"
    return hashlib.sha1(_NAMESPACE_BYTES + prefix.encode(), usedforsecurity=False)


# A hex digit with its two high bits set to the RFC 4122 variant (10): the uuid's 17th digit.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


# Codes a literal mapping can earn whatever the event: the request it builds is never sendable.
_STATIC_CODES = frozenset({"forbidden_character", "invalid_value", "invalid_name", "not_scalar", "not_object"})


def never_delivers(config: ActionConfig, policy: privacy.PrivacyPolicy | None = None) -> list[FieldError]:
    """What makes an action unable to deliver anything, whatever the event: no identifier mapped,
    a configuration error, a fixed text the destination refuses, a value read from (or a fixed text
    matching) what the privacy rules stop. An action with any of these is not saved as enabled."""
    action = compile_action(config)
    mappings = dict(config.mappings)
    problems = [error for error in action.errors if error.severity == "error"]
    disclosure = action.action_type.needs_disclosure
    if disclosure and not (policy and policy.disclosure):
        problems.append(FieldError(disclosure.field, NO_DISCLOSURE, disclosure.required))
    if not action.action_type.maps_an_identifier(mappings):
        problems.append(action.action_type.no_identifier_mapped())
    if action.errors:
        return validation.dedupe(problems)
    literals = {key for key, expression in action.mappings if not engine.source_paths(expression.source)}
    result = run_action(config, {}, evaluate_unmatched=True, policy=policy)
    problems.extend(
        error
        for error in result.errors
        if error.field in literals
        and error.severity == "error"
        and (error.code in _STATIC_CODES or error.code in privacy.BLOCKING_CODES)
    )
    # Identifiers that are all fixed texts: one the destination refuses (a phone "12") is refused for every
    # event. One read from the event beside it may be valid when a real event comes, so then it is not.
    declared = action.action_type.identifier_keys
    identifiers = [key for key, _ in action.mappings if key in declared or key.partition(".")[0] in declared]
    if identifiers and all(key in literals for key in identifiers):
        problems.extend(
            error
            for error in result.errors
            if error.field in identifiers and error.severity == "error" and error.code not in _STATIC_CODES
        )
    if policy is not None:
        for field_key, (path, label) in policy.blocked_sources(action.sources).items():
            problems.append(
                FieldError(
                    field_key,
                    "blocked_by_rule",
                    f"Its value comes from “{path}”, which matches the privacy rule “{label}”: nothing of it may "
                    "leave.",
                    source=path,
                    rule=label,
                )
            )
    return validation.dedupe(problems)
