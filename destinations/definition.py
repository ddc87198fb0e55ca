"""The vocabulary in which a destination type declares its actions.

An action type is data: its target fields, the JSON schema of the request body, and a pure
builder that turns resolved field values into that body. The mapper UI, the preview, the API
and the executor all read the same declaration, so they cannot disagree.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, Protocol

import fastjsonschema

from destinations import schema_check
from destinations.identifiers import is_plausible_api_key

Severity = Literal["error", "warning"]
BodyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem, attached to the mapping field that causes it (`field` is a field key)."""

    field: str
    code: str
    message: str
    severity: Severity = "error"
    # For a privacy rule's stop: the event path the stopped name or value came from, and the rule.
    source: str = ""
    rule: str = ""

    def as_dict(self) -> dict[str, str]:
        found = {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }
        if self.rule:
            found["rule"] = self.rule
            found["source"] = self.source
        return found


@dataclass(frozen=True, slots=True)
class TargetField:
    """One field a marketer maps: `key` is its public name in the mapping format."""

    key: str
    label: str
    help: str
    required: bool = False
    default: str = ""
    # The value must be read from the event (a field), never written as a fixed value: consent.
    from_event: bool = False


@dataclass(frozen=True, slots=True)
class RowGroup:
    """Free-form rows (`prefix.<name>`), such as custom properties or attributes."""

    prefix: str
    label: str
    help: str
    name_label: str = "Name"


@dataclass(frozen=True, slots=True)
class Preset:
    """A ready-made action for a common use case, with an example event that it matches."""

    key: str
    name: str
    description: str
    trigger: str
    mappings: Mapping[str, str]
    example_event: Mapping[str, Any]


# An empty mapping no one can write to: the default of BuildContext's mappings, shared.
_NOTHING: Mapping[str, Any] = MappingProxyType({})


class BuildContext(NamedTuple):
    """What a builder needs besides the field values.

    A tuple: made once per event on the route step's hot path (with tuple.__new__ there, not even
    a Python __new__), where a dataclass's __init__ costs several times as much.
    """

    region: str
    now: datetime
    default_external_event_id: str
    # For validated identifiers mapped as a chain (a || b): the chain's other values, computed only
    # when asked, for the builder to send the first valid one when the chain's own value is not.
    fallbacks: Mapping[str, Callable[[], Iterable[Any]]] = _NOTHING
    # The destination's settings a builder falls back on when the event lacks a value
    # (Destination.action_defaults: a subscription's locale or sign-up source).
    defaults: Mapping[str, str] = _NOTHING
    # The row keys of each row group among the action's field keys, with their names
    # ({"properties": (("properties.Total", "Total"),)}): the same on every event, so the route step
    # works them out once, when it compiles the action. None: the builder finds them in the values.
    rows: Mapping[str, tuple[tuple[str, str], ...]] | None = None


def row_keys(keys: Iterable[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """The row keys among `keys`, by row group, with their names, in the order of `keys`
    ("properties.Total" -> rows["properties"] holds ("properties.Total", "Total"))."""
    rows: dict[str, list[tuple[str, str]]] = {}
    for key in keys:
        prefix, dot, name = key.partition(".")
        if dot:
            rows.setdefault(prefix, []).append((key, name))
    return {prefix: tuple(found) for prefix, found in rows.items()}


@dataclass(slots=True)
class Built:
    """A builder's result: the body, its problems (the body is sent only when none is an
    error), and for every place in the body the field key it came from, so that schema
    errors land on the field that causes them."""

    body: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)
    origins: dict[BodyPath, str] = field(default_factory=dict)


Builder = Callable[[Mapping[str, Any], BuildContext], Built]


# eq=False: one declared object, compared and hashed by identity (it holds a dict).
@dataclass(frozen=True, eq=False, slots=True)
class BodyLayout:
    """Where a destination type's request bodies hold what the privacy rules judge besides every text
    (destinations.privacy.check_body). The default judges every name of the body as a property's."""

    # Where the names a marketer chooses sit (custom properties, attributes): each is judged as a property's
    # or an attribute's name, and an allowlist lets through only those it lists. (): the body itself.
    named: BodyPath = ()
    # Lists of {"name": …, "value": …} items (custom identifiers): each item's name is judged too.
    identifier_lists: tuple[BodyPath, ...] = ()
    # Where values are identifiers Relay normalises itself or ids it makes: no value rule judges them.
    # One or two names deep.
    unjudged_values: frozenset[BodyPath] = frozenset()
    # Where the event's name is: the name rules judge it as well as the value rules. None: nowhere.
    event_name: BodyPath | None = None
    # Where a body holds the phone number and the email address of the person it is about, the first present
    # of each (a test send's confirmation names the person by them: +1 415…, j…@example.com). (): nowhere,
    # and the confirmation cannot tell who it reaches.
    phones: tuple[BodyPath, ...] = ()
    emails: tuple[BodyPath, ...] = ()
    # unjudged_values as names at the top of the body, and inside a member of it (no tuple made per name).
    unjudged_top: frozenset[str] = field(init=False, repr=False)
    unjudged_inside: Mapping[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if any(not 1 <= len(path) <= 2 for path in self.unjudged_values):
            raise ValueError("An unjudged value's path is one or two names deep.")
        inside: dict[str, set[str]] = {}
        for path in self.unjudged_values:
            if len(path) == 2:
                inside.setdefault(str(path[0]), set()).add(str(path[1]))
        object.__setattr__(self, "unjudged_top", frozenset(str(p[0]) for p in self.unjudged_values if len(p) == 1))
        object.__setattr__(self, "unjudged_inside", {key: frozenset(names) for key, names in inside.items()})

    def phone_of(self, body: Mapping[str, Any]) -> str:
        """The phone number of the person `body` is about, at the first of `phones` that holds a text, or ""."""
        return _first_text(body, self.phones)

    def email_of(self, body: Mapping[str, Any]) -> str:
        """The email address of the person `body` is about, at the first of `emails` that holds a text, or ""."""
        return _first_text(body, self.emails)


def _first_text(body: Mapping[str, Any], paths: tuple[BodyPath, ...]) -> str:
    for path in paths:
        value: Any = body
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return value
    return ""


@dataclass(frozen=True, slots=True)
class Skip:
    """A builder's error code that means this event has nothing to send (nobody to send it about, no
    consent), not that the destination would refuse the request: the delivery is skipped, and the
    outcome says `reason`."""

    code: str
    reason: str
    # Skipped only when it is the request's only error: beside another, that one makes it invalid.
    only_error: bool = False


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What an action that subscribes people says when the destination has no sign-up disclosure (the
    legal text people agreed to) recorded: it cannot be enabled, and stops once it is cleared."""

    # The field the missing disclosure is shown on.
    field: str
    # Why the action cannot be enabled (mapper.pipeline.never_delivers).
    required: str
    # The error on a request built while there is none (cleared after the action was enabled).
    missing: str
    # The outcome's sentence for such a request (it is skipped).
    skipped: str


# The error code of a request whose action needs a disclosure the destination has not recorded.
NO_DISCLOSURE = "no_disclosure"


def origin_of(path: BodyPath, origins: Mapping[BodyPath, str]) -> str:
    """Return the field key that produced `path` in a body, or the one of its closest parent."""
    for end in range(len(path), 0, -1):
        field_key = origins.get(path[:end])
        if field_key is not None:
            return field_key
    return ""


@dataclass(frozen=True, slots=True)
class ProductTable:
    """An action field built from a list of products in the event, which the editor shows as a table
    (mapper.product_list): one row per product field, each mapped from the fields of one product."""

    field: str  # the action field the table writes, as a projection such as `products[*].{id: sku}`
    product_fields: tuple[tuple[str, str], ...]  # (the key in each product sent, the row's label), in order
    # What names a product in the preview ("product 2 (SKU-1) has no price"), first found; `invalid_code`
    # is the builder's error code for a product left out.
    named_by: tuple[str, ...] = ()
    invalid_code: str = ""


# eq=False: an action type is one declared object, hashed by identity (its schema is a dict).
@dataclass(frozen=True, eq=False)
class ActionType:
    key: str
    title: str
    description: str
    method: str
    path: str
    fields: tuple[TargetField, ...]
    row_groups: tuple[RowGroup, ...]
    schema: Mapping[str, Any]
    build: Builder
    presets: tuple[Preset, ...] = ()
    default_trigger: str = ""
    # What the named values in `properties` are called in messages: "property" or "attribute".
    named_value: str = "property"
    # Fields (and row-group prefixes) that identify a person: a request needs one of them.
    identifier_keys: tuple[str, ...] = ()
    # Identifiers the builder validates (a phone, an email): a fallback chain `a || b` for them
    # gives the builder every candidate, and the first valid one is sent.
    validated_identifiers: tuple[str, ...] = ()
    # Requests per second per API key that the destination documents for this endpoint.
    rate_limit: float = 150.0
    # Judged again when a request goes out (a retry or a replay can be hours later): a warning
    # about the body at that moment, or "".
    warn_at_send: Callable[[Mapping[str, Any], datetime], str] | None = None
    # Actions that subscribe people: they cannot be enabled before an admin records the sign-up
    # disclosure (the legal text people agreed to), and what is said when there is none.
    needs_disclosure: Disclosure | None = None
    # The builder's error codes that skip a delivery rather than make it invalid, in the order they
    # are asked (mapper.pipeline.ActionResult.outcome).
    skips: tuple[Skip, ...] = ()
    # How the identifiers are named in "No identifier is mapped (…)"; empty: their fields' labels.
    identifiers_named: str = ""
    # What the person receives because of this request, in a sentence for the preview, from the
    # body and the destination's disclosure.
    describe: Callable[[Mapping[str, Any], str], str] | None = None
    # The preview's sentence instead when the request is not sent (the outcome's reason follows).
    describe_unsent: str = "Nothing: this event is not sent."
    # A field the editor shows as a table of products (None: none).
    product_table: ProductTable | None = None

    def field(self, key: str) -> TargetField | None:
        return self._fields_by_key.get(key)

    def row_group(self, key: str) -> RowGroup | None:
        prefix, dot, name = key.partition(".")
        if not dot or not name:
            return None
        return self._groups_by_prefix.get(prefix)

    def is_known_key(self, key: str) -> bool:
        return key in self._fields_by_key or self.row_group(key) is not None

    def maps_an_identifier(self, mappings: Mapping[str, str]) -> bool:
        """Whether `mappings` map at least one identifier (always true when none is declared)."""
        if not self.identifier_keys:
            return True
        return any(
            isinstance(expression, str)
            and expression.strip()
            and (key in self.identifier_keys or key.partition(".")[0] in self.identifier_keys)
            for key, expression in mappings.items()
        )

    @cached_property
    def skip_reasons(self) -> tuple[Skip, ...]:
        """Every code that skips a delivery of this action, a missing disclosure first."""
        disclosure = self.needs_disclosure
        return (Skip(NO_DISCLOSURE, disclosure.skipped), *self.skips) if disclosure else self.skips

    def no_identifier_mapped(self) -> FieldError:
        """The error of a configuration that maps none of the identifiers (on the first of them)."""
        named = self.identifiers_named or " or ".join(
            (self.field(key) or self._groups_by_prefix.get(key) or TargetField(key, key, "")).label.lower()
            for key in self.identifier_keys
        )
        return FieldError(
            self.identifier_keys[0],
            "no_identifier_mapped",
            f"No identifier is mapped ({named}): nothing could be sent.",
        )

    def default_mappings(self) -> dict[str, str]:
        return {f.key: f.default for f in self.fields if f.default}

    def preset(self, key: str) -> Preset | None:
        return next((p for p in self.presets if p.key == key), None)

    @cached_property
    def _fields_by_key(self) -> dict[str, TargetField]:
        return {f.key: f for f in self.fields}

    @cached_property
    def _groups_by_prefix(self) -> dict[str, RowGroup]:
        return {g.prefix: g for g in self.row_groups}

    @cached_property
    def is_valid(self) -> Callable[[Any], bool]:
        """Whether a body is valid against the schema, as fast as it can be said: the schema
        compiled to Python source (destinations.schema_check), or by fastjsonschema when the schema uses
        a keyword those do not check. Property tests hold both to jsonschema's verdict."""
        return _compiled_check(self.schema)

    @cached_property
    def is_valid_ignoring_presence(self) -> Callable[[Any], bool]:
        """`is_valid` without `required` and `minProperties`. Builders report what is missing
        themselves (and the schema's own words for it are dropped), so a body that fails the schema
        but passes this has nothing left to explain: no need for jsonschema's slow error-by-error
        walk. Sound because the schema has no oneOf/anyOf/not, where dropping a requirement could
        turn a pass into a failure (a test holds this)."""
        return _compiled_check(_without_presence(self.schema))


def _compiled_check(schema: Mapping[str, Any]) -> Callable[[Any], bool]:
    try:
        return schema_check.compile_check(schema)
    except schema_check.UnsupportedSchema:
        # The schema only uses keywords that mean the same in Draft 7 (which fastjsonschema
        # compiles) and Draft 2020-12.
        validate = fastjsonschema.compile({**schema, "$schema": "http://json-schema.org/draft-07/schema#"})

        def check(body: Any) -> bool:
            try:
                validate(body)
            except fastjsonschema.JsonSchemaValueException:
                return False
            return True

        return check


def _without_presence(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            key: _without_presence(value) for key, value in schema.items() if key not in ("required", "minProperties")
        }
    if isinstance(schema, list):
        return [_without_presence(item) for item in schema]
    return schema


class SendResult(Protocol):
    """A successful answer: what a delivery attempt records."""

    status: int
    latency_ms: float
    response_excerpt: str
    rate_limit_remaining: int | None
    rate_limit_limit: int | None


class Client(Protocol):
    """What Relay asks of a destination's API, with one key: a context manager that verifies the
    key (returning the account's name) and sends one prepared request. Failures raise
    destinations.errors.DestinationError, which carries the retry decision."""

    def __enter__(self) -> "Client": ...

    def __exit__(self, *exc_info: object) -> None: ...

    def close(self) -> None: ...

    def verify(self) -> str: ...

    def send(self, method: str, path: str, body: dict[str, Any]) -> SendResult: ...

    def fetch(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class ErasureSupport:
    """How a destination is asked to forget a person: `request(client, kind, value)` files the
    request and returns the destination's id for it; `processed(client, id)` says whether it is
    done. `kind` is "email", "phone" (E.164) or "client_user_id"."""

    request: Callable[[Client, str, str], str]
    processed: Callable[[Client, str], bool]


@dataclass(frozen=True, slots=True)
class ApiKey:
    """How a destination type's key is asked for and checked before it is stored. Whatever the type, a
    key is also 8 to 512 visible ASCII characters (destinations.identifiers.is_plausible_api_key)."""

    # Where an admin finds it, a sentence for the form (such as "Marketplace → Create App.").
    where: str = ""
    # What the type's keys look like: a regular expression a whole key matches, and the same in words.
    pattern: str = r"[\x21-\x7e]{8,512}"
    shape: str = "8 to 512 visible ASCII characters"
    # How the key is checked, for the API's description (such as "GET /v1/me").
    check: str = ""

    def is_plausible(self, key: str) -> bool:
        return is_plausible_api_key(key) and re.fullmatch(self.pattern, key) is not None


@dataclass(frozen=True, slots=True)
class DestinationSetting:
    """A setting only some destination types have (such as what a subscription falls back on): shown on the
    settings page, in the API and in a configuration file only for a destination of a type that declares it.
    Its value is kept in the column of destinations.models.Destination of the same name (OPTIONAL_SETTINGS)."""

    field: str
    # What the settings page calls it.
    label: str
    # The name builders find its value under in BuildContext.defaults when it is not empty ("": none).
    default_for: str = ""


# The setting whose value is the sign-up disclosure an action's needs_disclosure asks for.
DISCLOSURE_SETTING = "subscription_disclosure"


@dataclass(frozen=True, eq=False)
class DestinationType:
    """What a destination is, declared once: its action types, how it authenticates (the key a
    client is opened with, how that key is shown), its client and where its API lives. Sending,
    the preview, test sends, key verification and the samples read only this."""

    key: str
    title: str
    actions: tuple[ActionType, ...]
    # Opens a client with an API key (and options such as base_url, timeout, transport).
    client: Callable[..., Client]
    # The API's base URL, as requests are shown in the preview (raises ImproperlyConfigured).
    base_url: Callable[[], str]
    # How the request's authentication is shown, from the key's last four characters.
    auth_header: Callable[[str], dict[str, str]]
    # How the destination is asked to forget a person (None: it cannot be).
    erasure: ErasureSupport | None = None
    # Where its request bodies hold names, identifiers and the event's name (the privacy rules ask).
    body_layout: BodyLayout = BodyLayout()
    # Its key: where it is found, what it looks like, how it is checked.
    api_key: ApiKey = ApiKey()
    # The article before its title in a sentence ("an Attentive destination").
    article: str = "a"
    # Why its privacy rules matter, a sentence atop the privacy rules page ("" for none).
    privacy_note: str = ""
    # The settings of its own a destination of this type has, besides every destination's.
    settings: tuple[DestinationSetting, ...] = ()

    def __post_init__(self) -> None:
        if any(action.needs_disclosure for action in self.actions) and not self.has_setting(DISCLOSURE_SETTING):
            raise ValueError(
                f"An action needs a disclosure, so {self.title} declares the {DISCLOSURE_SETTING} setting."
            )

    def has_setting(self, field: str) -> bool:
        return any(setting.field == field for setting in self.settings)

    @property
    def key_help(self) -> str:
        """What the create form says under the key field."""
        where = f"From {self.title}: {self.api_key.where} " if self.api_key.where else ""
        return f"{where}It is checked against {self.title} at once and never shown again."

    @property
    def key_refusal(self) -> str:
        """Why a key that cannot be one of this type's is refused."""
        return f"That is not {self.article} {self.title} API key: expected {self.api_key.shape}."

    @property
    def key_checked(self) -> str:
        """How a key is checked before it is stored, in the API's description."""
        how = f" ({self.api_key.check})" if self.api_key.check else ""
        return f"Checked against {self.title}{how} before it is stored."

    def action(self, key: str) -> ActionType | None:
        return next((a for a in self.actions if a.key == key), None)

    def open_client(self, encrypted_key: str, **options: Any) -> Client:
        """A client for a stored (encrypted) key; AuthenticationError when there is none."""
        from core import crypto
        from destinations.errors import AuthenticationError

        if not encrypted_key:
            raise AuthenticationError("This destination has no API key.")
        return self.client(crypto.decrypt(encrypted_key), **options)
