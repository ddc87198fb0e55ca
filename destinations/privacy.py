"""Privacy rules a destination applies before anything leaves: blocked names and values, an
allowlist of names, and a consent condition. Attentive's terms forbid health information in custom
events and attributes, and there is no business associate agreement to lean on.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import re2

from destinations.definition import BodyPath, FieldError, origin_of

# Names (of properties, attributes, identifiers, source fields and the event itself) that suggest
# health information.
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
# Whole values that look like clinical codes. Without its dot an ICD-10 code (B20, F329) looks
# like many product codes: such a value is blocked all the same, and the message says how an admin
# exempts a field that carries product codes.
DEFAULT_VALUE_RULES: tuple[tuple[str, str], ...] = (
    ("ICD-10 code", r"^[A-TV-Z][0-9][0-9AB]\.[0-9A-TV-Z]{1,4}$"),
    ("ICD-10 code without its dot", r"^[A-TV-Z][0-9][0-9AB][0-9A-TV-Z]{0,4}$"),
    ("CPT category II/III code", r"^[0-9]{4}[FT]$"),
)
# Words and phrases that make free text health information ("Patient is HIV positive"), matched
# as whole words, case-insensitively, in every text that would leave.
DEFAULT_TERM_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Health conditions",
        (
            "HIV",
            "hepatitis",
            "cancer",
            "tumor",
            "tumour",
            "chemotherapy",
            "diabetes",
            "diabetic",
            "dialysis",
            "depression",
            "schizophrenia",
            "bipolar disorder",
            "dementia",
            "alzheimer's",
            "epilepsy",
            "pregnant",
            "pregnancy",
            "miscarriage",
            "abortion",
            "IVF",
            "infertility",
            "opioid",
            "methadone",
            "suboxone",
            "overdose",
            "addiction",
            "STD",
            "chlamydia",
            "gonorrhea",
            "syphilis",
            "herpes",
        ),
    ),
    (
        "Clinical words",
        (
            "diagnosis",
            "diagnosed",
            "prescription",
            "prescribed",
            "patient",
            "symptoms",
            "biopsy",
            "lab result",
            "test result",
            "positive for",
            "tested positive",
            "ICD-10",
            "mental health",
        ),
    ),
)
MAX_PATTERN_LENGTH = 500
MAX_REMEMBERED_NAMES = 10_000
TEXT_SEPARATOR = "\n\x1f\n"


class _RuleSet:
    """Labelled patterns, searched as one RE2 alternation first: nearly every text matches none,
    and one search costs what one rule does. Only a match asks which rule it was."""

    def __init__(self, rules: list[tuple[str, str]]) -> None:
        self.rules = rules
        self._each = [(label, _compile(pattern)) for label, pattern in rules]
        self._any = _compile("|".join(f"(?:{pattern})" for _, pattern in rules)) if rules else None

    def first_match(self, text: str) -> str | None:
        if self._any is None or not self._any.search(text):
            return None
        return next((label for label, rule in self._each if rule.search(text)), None)


def _compile(pattern: str) -> "re2._Regexp":
    # RE2 cannot backtrack: a rule an admin writes runs in time linear in the value, whatever it is.
    return re2.compile("(?i)" + pattern)


def _terms_pattern(terms: Iterable[str]) -> str:
    words = [re2.escape(term.strip()).replace(r"\ ", r"\s+") for term in terms if term.strip()]
    return r"\b(?:" + "|".join(words) + r")\b" if words else ""


CONSENT = "consent"
BLOCKING_CODES = frozenset({"blocked_by_rule", "not_allowlisted"})


def default_rules(kind: str) -> list[dict[str, Any]]:
    if kind == "term":
        return [{"label": label, "terms": list(terms)} for label, terms in DEFAULT_TERM_RULES]
    rules = DEFAULT_NAME_RULES if kind == "name" else DEFAULT_VALUE_RULES
    return [{"label": label, "pattern": pattern} for label, pattern in rules]


def terms_to_text(rules: Iterable[Mapping[str, Any]]) -> str:
    return "\n".join(f"{rule['label']} = {', '.join(rule['terms'])}" for rule in rules)


def terms_from_text(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Read `Label = word, phrase, …` lines; return the rules and one message per line that is not one."""
    rules, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        label, sep, words = line.partition("=")
        terms = [term.strip()[:100] for term in words.split(",") if term.strip()]
        if not sep or not label.strip() or not terms:
            problems.append(f"Line {number}: write “Label = word, phrase, …”.")
            continue
        rules.append({"label": label.strip()[:100], "terms": terms})
    return rules, problems


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
        pattern = pattern.strip()
        if len(pattern) > MAX_PATTERN_LENGTH:
            # Refused rather than cut: a cut pattern is not the one that was checked.
            problems.append(f"Line {number}: a rule may be at most {MAX_PATTERN_LENGTH} characters.")
            continue
        try:
            _compile(pattern)
        except re2.error:
            problems.append(f"Line {number}: not a valid regular expression (RE2 syntax, no look-arounds).")
            continue
        rules.append({"label": label.strip()[:100], "pattern": pattern})
    return rules, problems


# The consent condition is an expression of the mapper's language: the mapper registers how to
# check one (imports flow one way), each check giving a message or None.
CONDITION_CHECKS: list[Callable[[str], str | None]] = []


def condition_problem(expression: str) -> str | None:
    """What is wrong with a consent condition, or None."""
    return next((problem for check in CONDITION_CHECKS if (problem := check(expression))), None)


@dataclass(frozen=True)
class PrivacyPolicy:
    name_rules: tuple[tuple[str, str], ...] = DEFAULT_NAME_RULES
    value_rules: tuple[tuple[str, str], ...] = DEFAULT_VALUE_RULES
    allowlist: frozenset[str] | None = None
    consent: str = ""
    term_rules: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_TERM_RULES
    # Source paths (such as properties.sku) whose values the value and term rules do not judge.
    exceptions: frozenset[str] = frozenset()
    # The sign-up disclosure an admin recorded: the legal text subscribers agreed to. Without it,
    # an action that subscribes people cannot be enabled.
    disclosure: str = ""

    @classmethod
    def of(
        cls,
        name_rules: Iterable[Mapping[str, str]],
        value_rules: Iterable[Mapping[str, str]],
        allowlist: Iterable[str] | None,
        consent: str,
        term_rules: Iterable[Mapping[str, Any]] = (),
        exceptions: Iterable[str] = (),
        disclosure: str = "",
    ) -> "PrivacyPolicy":
        """Return the policy for these settings; the same settings give the same (compiled) policy."""
        return _policy(
            tuple((rule["label"], rule["pattern"]) for rule in name_rules),
            tuple((rule["label"], rule["pattern"]) for rule in value_rules),
            frozenset(allowlist) if allowlist is not None else None,
            consent.strip(),
            tuple((rule["label"], tuple(rule["terms"])) for rule in term_rules),
            frozenset(path.strip() for path in exceptions if path.strip()),
            disclosure.strip(),
        )

    @cached_property
    def _names(self) -> "_RuleSet":
        return _RuleSet([(label, pattern) for label, pattern in self.name_rules])

    @cached_property
    def _values(self) -> "_RuleSet":
        return _RuleSet([(label, pattern) for label, pattern in self.value_rules])

    @cached_property
    def _terms(self) -> "_RuleSet":
        return _RuleSet([(label, pattern) for label, terms in self.term_rules if (pattern := _terms_pattern(terms))])

    @cached_property
    def _text_rules(self) -> "_RuleSet":
        """Value and word rules together: a value that matches neither costs one search."""
        return _RuleSet([*self._values.rules, *self._terms.rules])

    @cached_property
    def _name_verdicts(self) -> dict[str, str | None]:
        # Names (keys, source path parts) repeat from event to event: judge each once.
        return {}

    def blocked_sources(self, sources: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, str]]:
        """For each field whose value is read from a blocked event path: (that path, the rule).
        An action's sources do not change (a compiled action keeps one mapping for its life), so
        the answer is remembered per mapping, by identity: hashing its contents on every event
        cost more than the rest of this check."""
        verdicts = self._source_verdicts
        remembered = verdicts.get(id(sources))
        # The mapping itself is kept beside the answer, so that its id cannot be reused meanwhile.
        if remembered is not None and remembered[0] is sources:
            return remembered[1]
        found = {}
        for field_key, paths in sources.items():
            for path in paths:
                label = self.blocked_source(path)
                if label:
                    found[field_key] = (path, label)
                    break
        if len(verdicts) >= MAX_REMEMBERED_NAMES:
            verdicts.clear()
        verdicts[id(sources)] = (sources, found)
        return found

    @cached_property
    def _source_verdicts(self) -> dict[int, tuple[Mapping[str, Any], dict[str, tuple[str, str]]]]:
        return {}

    def blocked_source(self, path: str) -> str | None:
        """The label of the first name rule that a part of an event path (a.b.c) matches."""
        key = "\x00source:" + path  # beside names in one bounded memory; NUL never starts a name
        verdicts = self._name_verdicts
        if key not in verdicts:
            verdicts[key] = next(filter(None, (self.blocked_name(part) for part in path.split("."))), None)
        return verdicts[key]

    def blocked_name(self, name: str) -> str | None:
        verdicts = self._name_verdicts
        if name in verdicts:
            return verdicts[name]
        readable = name.replace("_", " ").replace("-", " ")
        label = self._names.first_match(name) or self._names.first_match(readable)
        if len(verdicts) >= MAX_REMEMBERED_NAMES:
            verdicts.clear()
        verdicts[name] = label
        return label

    def blocked_value(self, value: Any) -> str | None:
        """The label of the first value or term rule that `value` (a text) matches."""
        if not isinstance(value, str):
            return None
        return self._text_rules.first_match(value.strip())

    @cached_property
    def _any_text_rule(self) -> Any:
        # Multi-line, so that a rule anchored to a whole value (^…$) matches one line of the
        # joined texts; the separator is neither a word nor a space character, so that no word
        # rule can match across two texts.
        rules = self._text_rules.rules
        return _compile("(?m)" + "|".join(f"(?:{pattern})" for _, pattern in rules)) if rules else None

    def any_text_blocked(self, texts: list[str]) -> bool:
        """Whether any of `texts` (already stripped) could match a value or word rule, in one
        search. A text holding line breaks is judged line by line here: stricter, never laxer."""
        rule = self._any_text_rule
        return rule is not None and rule.search(TEXT_SEPARATOR.join(texts)) is not None

    def blocked_text(self, text: str) -> str | None:
        """The label of the first term rule that `text` contains as whole words."""
        return self._terms.first_match(text)

    def is_exception(self, source: str) -> bool:
        return any(source == path or source.startswith(path + ".") for path in self.exceptions)


# Where values are identifiers Relay normalises itself or ids it makes: no value rule applies.
_UNJUDGED_VALUES: frozenset[BodyPath] = frozenset(
    {("user", "phone"), ("user", "email"), ("externalEventId",), ("occurredAt",)}
)


def check_body(
    policy: PrivacyPolicy,
    body: Mapping[str, Any],
    origins: Mapping[BodyPath, str],
    kind: str,
    sources: Mapping[str, tuple[str, ...]] | None = None,
) -> list[FieldError]:
    """Return an error for every name, source or value in `body` that the policy stops, on the
    field it came from.

    `kind` is "property" (custom events) or "attribute" (user attributes). `sources` gives, for
    each field key, the paths of the event its value is read from (mapper.engine.source_paths):
    a health field renamed on its way out is stopped by where it came from.
    """
    sources = sources or {}
    errors: list[FieldError] = []
    blocked_sources = policy.blocked_sources(sources)
    if blocked_sources:
        for field_key in dict.fromkeys(origins.values()):
            if field_key in blocked_sources:
                path, label = blocked_sources[field_key]
                errors.append(_blocked(field_key, label, f"Its value comes from “{path}”, which"))
    event_name = body.get("type")
    texts = _texts(body)
    # Nearly every body matches no value or word rule: one search over all its texts says so.
    suspect = policy.any_text_blocked(texts)
    if isinstance(event_name, str):
        label = policy.blocked_name(event_name) or (policy.blocked_text(event_name) if suspect else None)
        if label:
            errors.append(_blocked("event_name", label, "The event name"))
    named = body.get("properties")
    if isinstance(named, dict):
        _check_names(policy, named, ("properties",), origins, kind, errors, top_level=True)
    identifiers = body.get("user", {}).get("externalIdentifiers", {}).get("customIdentifiers", [])
    for index, item in enumerate(identifiers if isinstance(identifiers, list) else []):
        label = policy.blocked_name(str(item.get("name", "")))
        if label:
            field_key = origin_of(("user", "externalIdentifiers", "customIdentifiers", index), origins)
            errors.append(_blocked(field_key, label, f"Identifier “{item.get('name')}”"))
    if suspect:
        _check_values(policy, body, origins, sources, errors)
    return errors


def _texts(body: Mapping[str, Any]) -> list[str]:
    """Every text of the body that the value and word rules judge (the event name among them),
    stripped as the rules judge them."""
    stack: list[Any] = []
    for key, value in body.items():
        if key == "user" and isinstance(value, dict):
            stack.extend(member for name, member in value.items() if ("user", name) not in _UNJUDGED_VALUES)
        elif (key,) not in _UNJUDGED_VALUES:
            stack.append(value)
    texts: list[str] = []
    keep, pop, extend = texts.append, stack.pop, stack.extend
    while stack:
        value = pop()
        kind = type(value)  # bodies are built of exact JSON types: cheaper than isinstance
        if kind is str:
            keep(value.strip())
        elif kind is dict:
            extend(value.values())
        elif kind is list:
            extend(value)
        elif isinstance(value, str):
            keep(value.strip())
        elif isinstance(value, dict | list):
            extend(value.values() if isinstance(value, dict) else value)
    return texts


def _check_names(
    policy: PrivacyPolicy,
    value: Any,
    path: BodyPath,
    origins: Mapping[BodyPath, str],
    kind: str,
    errors: list[FieldError],
    *,
    top_level: bool = False,
) -> None:
    """Check the names of an object's members, and of every object inside it, lists included."""
    if isinstance(value, list):
        for index, member in enumerate(value):
            _check_names(policy, member, (*path, index), origins, kind, errors)
        return
    if not isinstance(value, dict):
        return
    allowlist = policy.allowlist if top_level else None
    for name, member in value.items():
        if allowlist is not None and name not in allowlist:
            errors.append(
                FieldError(
                    origin_of((*path, name), origins),
                    "not_allowlisted",
                    f"The {kind} “{name}” is not on this destination's allowlist, so it may not leave.",
                )
            )
            continue
        label = policy.blocked_name(name)
        if label:
            what = f"The {kind} “{name}”" if top_level else f"The name “{name}” inside a {kind}"
            errors.append(_blocked(origin_of((*path, name), origins), label, what))
            continue
        if isinstance(member, dict | list):
            _check_names(policy, member, (*path, name), origins, kind, errors)


def _check_values(
    policy: PrivacyPolicy,
    body: Mapping[str, Any],
    origins: Mapping[BodyPath, str],
    sources: Mapping[str, tuple[str, ...]],
    errors: list[FieldError],
) -> None:
    """Judge every text that would leave by the value and term rules, one by one, to name the field
    (only once the one search over them all found something)."""
    texts: list[tuple[str, BodyPath]] = []
    stack: list[tuple[Any, BodyPath]] = [(body, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            stack.extend((member, (*path, name)) for name, member in value.items())
        elif isinstance(value, list):
            stack.extend((member, (*path, index)) for index, member in enumerate(value))
        elif isinstance(value, str) and path not in _UNJUDGED_VALUES and path[:1] != ("type",):
            texts.append((value, path))
    judged: set[str] = set()
    for value, path in texts:
        field_key = origin_of(path, origins)
        if field_key in judged:
            continue
        label = policy.blocked_value(value)
        if not label:
            continue
        leaf_sources = _leaf_sources(path, origins, sources.get(field_key, ()))
        if leaf_sources and all(policy.is_exception(source) for source in leaf_sources):
            continue
        judged.add(field_key)
        source = leaf_sources[0] if leaf_sources else ""
        errors.append(_blocked_value(field_key, label, source))


def _leaf_sources(path: BodyPath, origins: Mapping[BodyPath, str], field_sources: tuple[str, ...]) -> list[str]:
    """The event paths a text at `path` in the body came from: its field's sources, followed by
    where inside them it sat (list indexes left out)."""
    for end in range(len(path), 0, -1):
        if path[:end] in origins:
            inner = ".".join(str(part) for part in path[end:] if isinstance(part, str))
            return [f"{source}.{inner}" if inner and source else source or inner for source in field_sources]
    return list(field_sources)


def _blocked(field_key: str, label: str, what: str) -> FieldError:
    return FieldError(
        field_key,
        "blocked_by_rule",
        f"{what} matches the privacy rule “{label}”: health information may not be sent to Attentive. "
        "Nothing of this request leaves.",
    )


def _blocked_value(field_key: str, label: str, source: str) -> FieldError:
    where = f" (from “{source}”)" if source else ""
    exception = (
        f" If it is not (a product or postal code, say), an admin can add “{source}” to the exceptions in the "
        "destination's privacy rules."
        if source
        else ""
    )
    return FieldError(
        field_key,
        "blocked_by_rule",
        f"A value{where} matches the privacy rule “{label}”, so it may be health information: nothing of this "
        f"request leaves.{exception}",
    )


@lru_cache(maxsize=256)
def _policy(
    name_rules: tuple[tuple[str, str], ...],
    value_rules: tuple[tuple[str, str], ...],
    allowlist: frozenset[str] | None,
    consent: str,
    term_rules: tuple[tuple[str, tuple[str, ...]], ...],
    exceptions: frozenset[str],
    disclosure: str,
) -> PrivacyPolicy:
    # Routing asks for a destination's policy once per action and event: compile its rules once.
    return PrivacyPolicy(name_rules, value_rules, allowlist, consent, term_rules, exceptions, disclosure)
