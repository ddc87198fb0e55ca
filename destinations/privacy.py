"""Privacy rules a destination applies before anything leaves: blocked names and values, an
allowlist of names, and a consent condition. Attentive's terms forbid health information in custom
events and attributes, and there is no business associate agreement to lean on.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from destinations.definition import BodyPath, FieldError, origin_of

# Names (of properties, attributes, identifiers, and the event itself) that suggest health information.
DEFAULT_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("Diagnosis", r"diagnos"),
    ("Condition", r"\bcondition|_condition|condition_"),
    ("Medication", r"medicat|medicine|\bdrug|prescri|\brx\b|dosage|\bdose\b|pharmac"),
    ("Treatment", r"treatment|therap|procedure|surgery|operation_"),
    ("Symptom", r"symptom|disease|illness|disorder|allerg|injur"),
    ("Test result", r"lab.?result|test.?result|biopsy|screening.?result"),
    ("Clinical codes", r"\bicd|\bcpt\b|cpt.?code|hcpcs|snomed|\bndc\b"),
    ("Insurance", r"insur|member.?id|policy.?(number|id)|\bpayer|medicaid|medicare|group.?number"),
    ("Health record", r"medical|health.?(record|history|condition|status)|\bpatient|clinical|\bmrn\b|\behr\b"),
    ("Sensitive health", r"pregnan|\bhiv\b|mental.?health|psychiatr|substance|addiction|oncolog|cancer|diabet"),
)
# Values that look like clinical codes (whole values only, to spare product codes and postal codes).
DEFAULT_VALUE_RULES: tuple[tuple[str, str], ...] = (
    ("ICD-10 code", r"^[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{1,4}$"),
    ("CPT category II/III code", r"^[0-9]{4}[FT]$"),
)


CONSENT = "consent"
BLOCKING_CODES = frozenset({"blocked_by_rule", "not_allowlisted"})


def default_rules(kind: str) -> list[dict[str, str]]:
    rules = DEFAULT_NAME_RULES if kind == "name" else DEFAULT_VALUE_RULES
    return [{"label": label, "pattern": pattern} for label, pattern in rules]


def rules_to_text(rules: Iterable[Mapping[str, str]]) -> str:
    return "\n".join(f"{rule['label']} = {rule['pattern']}" for rule in rules)


def rules_from_text(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Read `Label = regex` lines; return the rules and one message per line that is not a rule."""
    rules, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, pattern = line.partition("=")
        if not sep or not label.strip() or not pattern.strip():
            problems.append(f"Line {number}: write “Label = regular expression”.")
            continue
        try:
            re.compile(pattern.strip(), re.IGNORECASE)
        except re.error as error:
            problems.append(f"Line {number}: not a valid regular expression ({error.msg}).")
            continue
        rules.append({"label": label.strip()[:100], "pattern": pattern.strip()[:500]})
    return rules, problems


@dataclass(frozen=True)
class PrivacyPolicy:
    name_rules: tuple[tuple[str, str], ...] = DEFAULT_NAME_RULES
    value_rules: tuple[tuple[str, str], ...] = DEFAULT_VALUE_RULES
    allowlist: frozenset[str] | None = None
    consent: str = ""

    @classmethod
    def of(
        cls,
        name_rules: Iterable[Mapping[str, str]],
        value_rules: Iterable[Mapping[str, str]],
        allowlist: Iterable[str] | None,
        consent: str,
    ) -> "PrivacyPolicy":
        """Return the policy for these settings; the same settings give the same (compiled) policy."""
        return _policy(
            tuple((rule["label"], rule["pattern"]) for rule in name_rules),
            tuple((rule["label"], rule["pattern"]) for rule in value_rules),
            frozenset(allowlist) if allowlist is not None else None,
            consent.strip(),
        )

    @cached_property
    def _names(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in self.name_rules]

    @cached_property
    def _values(self) -> list[tuple[str, re.Pattern[str]]]:
        return [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in self.value_rules]

    def blocked_name(self, name: str) -> str | None:
        readable = name.replace("_", " ").replace("-", " ")
        return next((label for label, rule in self._names if rule.search(name) or rule.search(readable)), None)

    def blocked_value(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        text = value.strip()
        return next((label for label, rule in self._values if rule.search(text)), None)


@dataclass(slots=True)
class _Finding:
    errors: list[FieldError] = field(default_factory=list)


def check_body(
    policy: PrivacyPolicy, body: Mapping[str, Any], origins: Mapping[BodyPath, str], kind: str
) -> list[FieldError]:
    """Return an error for every name or value in `body` that the policy stops, on the field it came from.

    `kind` is "property" (custom events) or "attribute" (user attributes).
    """
    finding = _Finding()
    event_name = body.get("type")
    if isinstance(event_name, str):
        label = policy.blocked_name(event_name)
        if label:
            finding.errors.append(_blocked("event_name", label, "The event name"))
    named = body.get("properties")
    if isinstance(named, dict):
        _check_map(policy, named, ("properties",), origins, kind, finding, top_level=True)
    identifiers = body.get("user", {}).get("externalIdentifiers", {}).get("customIdentifiers", [])
    for index, item in enumerate(identifiers if isinstance(identifiers, list) else []):
        label = policy.blocked_name(str(item.get("name", "")))
        if label:
            field_key = origin_of(("user", "externalIdentifiers", "customIdentifiers", index), origins)
            finding.errors.append(_blocked(field_key, label, f"Identifier “{item.get('name')}”"))
    return finding.errors


def _check_map(
    policy: PrivacyPolicy,
    mapping: Mapping[str, Any],
    path: BodyPath,
    origins: Mapping[BodyPath, str],
    kind: str,
    finding: _Finding,
    *,
    top_level: bool,
) -> None:
    for name, value in mapping.items():
        where = (*path, name)
        field_key = origin_of(where, origins)
        if top_level and policy.allowlist is not None and name not in policy.allowlist:
            finding.errors.append(
                FieldError(
                    field_key,
                    "not_allowlisted",
                    f"The {kind} “{name}” is not on this destination's allowlist, so it may not leave.",
                )
            )
            continue
        label = policy.blocked_name(name)
        if label:
            finding.errors.append(_blocked(field_key, label, f"The {kind} “{name}”"))
            continue
        for leaf in _leaves(value):
            label = policy.blocked_value(leaf)
            if label:
                finding.errors.append(_blocked(field_key, label, f"A value of the {kind} “{name}”"))
                break
        if isinstance(value, dict):
            _check_map(policy, value, where, origins, kind, finding, top_level=False)


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for member in value.values():
            yield from _leaves(member)
    elif isinstance(value, list):
        for member in value:
            yield from _leaves(member)
    else:
        yield value


def _blocked(field_key: str, label: str, what: str) -> FieldError:
    return FieldError(
        field_key,
        "blocked_by_rule",
        f"{what} matches the privacy rule “{label}”: health information may not be sent to Attentive. "
        "Nothing of this request leaves.",
    )


@lru_cache(maxsize=256)
def _policy(
    name_rules: tuple[tuple[str, str], ...],
    value_rules: tuple[tuple[str, str], ...],
    allowlist: frozenset[str] | None,
    consent: str,
) -> PrivacyPolicy:
    # Routing asks for a destination's policy once per action and event: compile its rules once.
    return PrivacyPolicy(name_rules, value_rules, allowlist, consent)
