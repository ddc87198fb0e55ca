"""Configuration as code: export every destination's settings and actions (never keys) as one JSON
document, and import one: validated completely before anything is written, then all or nothing.
Importing the same document twice changes nothing."""

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import re2
from django.db import transaction

from destinations import privacy
from destinations.identifiers import is_supported_region
from destinations.models import Destination, allowlist_by_default
from destinations.registry import DESTINATION_TYPES, default_destination_type
from mapper import validation
from mapper.consent import category_problem
from mapper.models import Action
from mapper.pipeline import ActionConfig
from mapper.serializers import ActionSerializer

FORMAT = "relay-config"
FORMAT_VERSION = 1
PRIVACY_SETTINGS = Destination.PRIVACY_FIELDS
# Every setting a destination may hold; one of Destination.OPTIONAL_SETTINGS only when its type declares it.
DESTINATION_SETTINGS = (*Destination.SETTINGS_FIELDS, *PRIVACY_SETTINGS)
MAX_DISCLOSURE = 2000
# The keys each level of a document may hold. Anything else is refused by name: a misspelt setting
# ("allowlist_enable") silently ignored would leave a healthcare destination without the rule it asked for.
DOCUMENT_KEYS = ("format", "version", "destinations", "prune")
DESTINATION_KEYS = ("name", "type", *DESTINATION_SETTINGS, "actions")
ACTION_KEYS = ("name", "action_type", "trigger", "mappings", "enabled", "consent_category", "consent_when_unknown")
RULE_KEYS = {
    "blocked_names": ("label", "pattern"),
    "blocked_values": ("label", "pattern"),
    "blocked_terms": ("label", "terms"),
}


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    message: str
    code: str = "invalid"


@dataclass(slots=True)
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, int]:
        keys = (
            "destinations_created",
            "destinations_updated",
            "actions_created",
            "actions_updated",
            "actions_deleted",
            "unchanged",
        )
        return {key: self.counts.get(key, 0) for key in keys}


def export_config() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "destinations": [
            {
                "name": destination.name,
                "type": destination.type,
                **{name: getattr(destination, name) for name in (*destination.settings_fields, *PRIVACY_SETTINGS)},
                "actions": [
                    {
                        "name": action.name,
                        "action_type": action.action_type,
                        "trigger": action.trigger,
                        "mappings": action.mappings,
                        "enabled": action.enabled,
                        # Only when set: a file of actions that require no consent reads as before.
                        **action.consent_settings(),
                    }
                    for action in destination.actions.order_by("position", "id")
                ],
            }
            for destination in Destination.objects.order_by("name")
        ],
    }


def import_config(document: Any, *, user: Any = None, prune: bool = False, dry_run: bool = False) -> ImportResult:
    result = ImportResult(problems=list(_problems(document)))
    if result.problems or dry_run:
        return result
    with transaction.atomic():
        for entry in document["destinations"]:
            _apply_destination(entry, user, prune or bool(document.get("prune")), result.counts)
    return result


def _problems(document: Any) -> Any:
    if not isinstance(document, dict):
        yield Problem("", "The configuration must be a JSON object.")
        return
    yield from unknown_keys(document, DOCUMENT_KEYS, "")
    if document.get("format") != FORMAT or document.get("version") != FORMAT_VERSION:
        yield Problem("format", f'Expected "format": "{FORMAT}" and "version": {FORMAT_VERSION}.')
    destinations = document.get("destinations")
    if not isinstance(destinations, list):
        yield Problem("destinations", "destinations must be a list.")
        return
    names = Counter(d.get("name") for d in destinations if isinstance(d, dict))
    for index, entry in enumerate(destinations):
        path = f"destinations.{index}"
        if not isinstance(entry, dict):
            yield Problem(path, "Each destination must be an object.")
            continue
        yield from unknown_keys(entry, DESTINATION_KEYS, path)
        yield from _name_problems(entry.get("name"), f"{path}.name", names, "")
        kind = entry.get("type", default_destination_type())
        if kind not in DESTINATION_TYPES:
            yield Problem(f"{path}.type", f"Unknown destination type {kind!r}.")
            continue
        definition = DESTINATION_TYPES[kind]
        for name in Destination.OPTIONAL_SETTINGS:
            if name in entry and not definition.has_setting(name):
                yield Problem(
                    f"{path}.{name}", f"{definition.title} destinations have no such setting.", "not_a_setting"
                )
        region = entry.get("default_region", "US")
        if not isinstance(region, str) or not is_supported_region(region):
            yield Problem(f"{path}.default_region", "Not a known region code.")
        for flag in ("test_mode", "enabled", "allowlist_enabled"):
            if flag in entry and not isinstance(entry[flag], bool):
                yield Problem(f"{path}.{flag}", f"{flag} must be true or false.")
        disclosure = entry.get("subscription_disclosure", "")
        if not isinstance(disclosure, str) or len(disclosure) > MAX_DISCLOSURE:
            yield Problem(f"{path}.subscription_disclosure", f"A text of at most {MAX_DISCLOSURE} characters.")
        for name in ("default_locale", "default_sign_up_source_id"):
            value = entry.get(name, "")
            if not isinstance(value, str) or len(value) > Destination._meta.get_field(name).max_length:
                yield Problem(f"{path}.{name}", f"{name} must be a short text.")
        # Rules each valid may still be too large to search together; judged only once each is valid.
        privacy_problems = list(_privacy_problems(entry, path)) or list(_rules_together_problems(entry, path))
        yield from privacy_problems
        # Rules that do not compile judge no action (they would fail there, lazily): they are reported above.
        # The disclosure still counts, or every enabled Subscribe action would be flagged as well.
        policy = _disclosure_only(entry) if privacy_problems else _policy_of(entry)
        yield from _action_problems(entry.get("actions", []), f"{path}.actions", DESTINATION_TYPES[kind], policy)


def unknown_keys(mapping: dict[str, Any], allowed: Iterable[str], path: str) -> Iterator[Problem]:
    """One problem per key of `mapping` that is not in `allowed`, at that key's own path, with the
    closest known key as a suggestion."""
    known = tuple(allowed)
    for key in mapping:
        if key in known:
            continue
        where = f"{path}.{key}" if path else str(key)
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f" Did you mean “{close[0]}”?" if close else f" Known keys: {', '.join(known)}."
        yield Problem(where, f"Unknown key “{key}”.{hint}", "unknown_key")


def _name_problems(name: Any, path: str, names: Counter[Any], scope: str) -> Any:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        yield Problem(path, "A name (text, at most 200 characters) is required.")
    elif names[name] > 1:
        yield Problem(path, f"“{name}” appears more than once{scope}.")


def _privacy_problems(entry: dict[str, Any], path: str) -> Any:
    consent = entry.get("consent_expression", "")
    if not isinstance(consent, str):
        yield Problem(f"{path}.consent_expression", "consent_expression must be text.")
    elif consent.strip():
        for error in validation.expression_errors("consent", consent):
            yield Problem(f"{path}.consent_expression", error.message)
    category = entry.get("consent_category", "")
    if not isinstance(category, str):
        yield Problem(f"{path}.consent_category", "consent_category must be text.")
    elif category_problem(category):
        yield Problem(f"{path}.consent_category", category_problem(category))
    if entry.get("consent_when_unknown", privacy.CONSENT_SKIP) not in (privacy.CONSENT_SKIP, privacy.CONSENT_SEND):
        yield Problem(f"{path}.consent_when_unknown", 'consent_when_unknown must be "skip" or "send".')
    names = entry.get("allowed_names", [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        yield Problem(f"{path}.allowed_names", "allowed_names must be a list of names.")
    for key in ("blocked_names", "blocked_values"):
        rules = entry.get(key)
        if rules is None:
            continue
        if not isinstance(rules, list) or not all(
            isinstance(r, dict) and {"label", "pattern"} <= set(r) for r in rules
        ):
            yield Problem(f"{path}.{key}", f"{key} must be a list of {{label, pattern}}.")
            continue
        for index, rule in enumerate(rules):
            yield from unknown_keys(rule, RULE_KEYS[key], f"{path}.{key}.{index}")
        _, problems = privacy.rules_from_text(privacy.rules_to_text(rules))
        for problem in problems:
            yield Problem(f"{path}.{key}", problem)
    terms = entry.get("blocked_terms")
    if terms is not None and not (
        isinstance(terms, list)
        and all(
            isinstance(r, dict)
            and isinstance(r.get("label"), str)
            and isinstance(r.get("terms"), list)
            and all(isinstance(t, str) for t in r["terms"])
            for r in terms
        )
    ):
        yield Problem(f"{path}.blocked_terms", "blocked_terms must be a list of {label, terms: [text]}.")
    elif terms is not None:
        for index, rule in enumerate(terms):
            yield from unknown_keys(rule, RULE_KEYS["blocked_terms"], f"{path}.blocked_terms.{index}")
        for problem in privacy.terms_from_text(privacy.terms_to_text(terms))[1]:
            yield Problem(f"{path}.blocked_terms", problem)
    exceptions = entry.get("privacy_exceptions", [])
    if not isinstance(exceptions, list) or not all(isinstance(e, str) for e in exceptions):
        yield Problem(f"{path}.privacy_exceptions", "privacy_exceptions must be a list of source paths.")


def _rules_together_problems(entry: dict[str, Any], path: str) -> Iterator[Problem]:
    try:
        together = privacy.rules_problem(
            entry.get("blocked_names", privacy.default_rules("name")),
            entry.get("blocked_values", privacy.default_rules("value")),
            entry.get("blocked_terms", privacy.default_rules("term")),
        )
    except (KeyError, TypeError, AttributeError):
        together = None  # malformed rules, reported on their own
    if together:
        yield Problem(f"{path}.{together[0]}", together[1])


def _disclosure_only(entry: dict[str, Any]) -> privacy.PrivacyPolicy:
    """No rules, only the destination's sign-up disclosure: what actions are judged by while the
    file's rules are malformed."""
    return privacy.PrivacyPolicy.of([], [], None, "", [], [], str(entry.get("subscription_disclosure", "")))


def _policy_of(entry: dict[str, Any]) -> privacy.PrivacyPolicy | None:
    """The privacy rules the imported destination will have (None while they are malformed: those
    problems are reported on their own)."""
    try:
        return privacy.PrivacyPolicy.of(
            entry.get("blocked_names", privacy.default_rules("name")),
            entry.get("blocked_values", privacy.default_rules("value")),
            entry.get("allowed_names", []) if entry.get("allowlist_enabled", allowlist_by_default()) else None,
            str(entry.get("consent_expression", "")),
            entry.get("blocked_terms", privacy.default_rules("term")),
            entry.get("privacy_exceptions", []),
            str(entry.get("subscription_disclosure", "")),
        )
    except (KeyError, TypeError, AttributeError, ValueError, re2.error):
        return None


def _action_problems(actions: Any, path: str, destination_type: Any, policy: privacy.PrivacyPolicy | None) -> Any:
    if not isinstance(actions, list):
        yield Problem(path, "actions must be a list.")
        return
    names = Counter(a.get("name") for a in actions if isinstance(a, dict))
    for index, action in enumerate(actions):
        where = f"{path}.{index}"
        if not isinstance(action, dict):
            yield Problem(where, "Each action must be an object.")
            continue
        yield from unknown_keys(action, ACTION_KEYS, where)
        name = action.get("name")
        if isinstance(name, str) and names[name] > 1:  # the serializer below judges the name itself
            yield Problem(f"{where}.name", f"“{name}” appears more than once in this destination.")
        if destination_type.action(action.get("action_type", "")) is None:
            yield Problem(f"{where}.action_type", "Unknown action type.")
            continue
        if "enabled" in action and not isinstance(action["enabled"], bool):
            # Stricter than the API's form-friendly reading ("yes"): a config file says true or false.
            yield Problem(f"{where}.enabled", "enabled must be true or false.")
            continue
        if "consent_category" in action and not isinstance(action["consent_category"], str):
            yield Problem(f"{where}.consent_category", "consent_category must be text.")
            continue
        # Judged by the API's own serializer: what the API refuses, import refuses, in the same words.
        serializer = ActionSerializer(
            data={key: action[key] for key in ACTION_KEYS if key in action},
            context={"destination_type": destination_type, "policy": policy},
        )
        if not serializer.is_valid():
            for field, detail, code in _flat_errors(serializer.errors):
                yield Problem(f"{where}.{field}" if field else where, detail, code)
            continue
        # The same rule as the editor and the API (mapper.commands): an enabled action must be able to deliver.
        from mapper.commands import field_name, refusal_to_deliver  # commands imports this module

        data = serializer.validated_data
        config = ActionConfig.of(
            destination_type.key, data["action_type"], data.get("trigger", ""), data.get("mappings", {})
        )
        refusal = refusal_to_deliver(config, policy, enabled=data.get("enabled", True))
        for error in refusal.blockers if refusal is not None else []:
            yield Problem(f"{where}.{field_name(error)}", error.message, error.code)


def _flat_errors(errors: Any, path: str = "") -> Any:
    """DRF's nested errors as (dotted field path, message, code)."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = "" if key == "non_field_errors" else str(key)
            yield from _flat_errors(value, f"{path}.{name}" if path and name else path or name)
    elif isinstance(errors, list):
        for item in errors:
            yield from _flat_errors(item, path)
    else:
        yield path, str(errors), getattr(errors, "code", None) or "invalid"


def _apply_destination(entry: dict[str, Any], user: Any, prune: bool, counts: Counter[str]) -> None:
    destination = Destination.objects.filter(name=entry["name"]).first()
    wanted = {
        "type": entry.get("type", default_destination_type()),
        "default_region": entry.get("default_region", "US"),
        "test_mode": entry.get("test_mode", False),
        "enabled": entry.get("enabled", True),
        "consent_expression": entry.get("consent_expression", ""),
        "consent_category": entry.get("consent_category", "").strip(),
        "consent_when_unknown": entry.get("consent_when_unknown", privacy.CONSENT_SKIP),
        "allowlist_enabled": entry.get("allowlist_enabled", allowlist_by_default()),
        "allowed_names": entry.get("allowed_names", []),
        "blocked_names": entry.get("blocked_names", privacy.default_rules("name")),
        "blocked_values": entry.get("blocked_values", privacy.default_rules("value")),
        "blocked_terms": entry.get("blocked_terms", privacy.default_rules("term")),
        "privacy_exceptions": entry.get("privacy_exceptions", []),
    }
    # The settings of the type's own, each as the file says or its default (Destination's).
    for setting in DESTINATION_TYPES[wanted["type"]].settings:
        wanted[setting.field] = entry.get(setting.field, Destination._meta.get_field(setting.field).get_default())
    if destination is None:
        # No key travels with a configuration: a new destination waits for an admin to add one.
        destination = Destination.objects.create(name=entry["name"], **wanted)
        counts["destinations_created"] += 1
    elif any(getattr(destination, name) != value for name, value in wanted.items()):
        for name, value in wanted.items():
            setattr(destination, name, value)
        destination.save()
        counts["destinations_updated"] += 1
    else:
        counts["unchanged"] += 1
    existing = {action.name: action for action in destination.actions.order_by("position", "pk")}
    # Positions are an order, not numbers: a file listing the actions in the order they are in changes
    # none of them, whatever numbers they hold (gaps left by a deletion, a reorder's).
    # (A new action among them renumbers them all: its number must not tie with one kept.)
    listed = [item["name"] for item in entry.get("actions", [])]
    same_order = set(listed) <= set(existing) and listed == [name for name in existing if name in set(listed)]
    for position, item in enumerate(entry.get("actions", [])):
        action = existing.pop(item["name"], None)
        fields = {
            "action_type": item["action_type"],
            "trigger": item.get("trigger", ""),
            "mappings": dict(item.get("mappings", {})),
            "enabled": item.get("enabled", True),
            "consent_category": item.get("consent_category", "").strip(),
            "consent_when_unknown": item.get("consent_when_unknown", ""),
            "position": position,
        }
        if action is None:
            Action.objects.create(
                destination=destination, name=item["name"], created_by=user, updated_by=user, **fields
            )
            counts["actions_created"] += 1
        elif any(
            getattr(action, name) != value for name, value in fields.items() if name != "position" or not same_order
        ):
            for name, value in fields.items():
                setattr(action, name, value)
            action.updated_by = user
            action.save()
            counts["actions_updated"] += 1
        else:
            counts["unchanged"] += 1
    if prune:
        for action in existing.values():
            action.delete()
            counts["actions_deleted"] += 1
