"""What a person does to actions, one function each (see core/commands.py): save, enable, disable,
restore, duplicate, delete and reorder an action, send a test event, import a configuration.

The editor, the API, version restore, config import and `manage.py import_config` all call these, so
the rules (who may, and "an enabled action must be able to deliver something") are written once,
and each user action leaves one audit entry whatever the path.
"""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Max

from accounts.audit import record
from accounts.roles import ADMIN, MARKETER, require
from core.commands import Refused
from destinations import privacy
from destinations.definition import ActionType, FieldError
from destinations.models import Destination
from mapper import config_io, trial_send, validation
from mapper.models import Action, ActionVersion
from mapper.pipeline import ActionConfig, never_delivers
from mapper.preview import Preview


class NeverDelivers(Refused):
    """An enabled action that could deliver nothing: each reason on its field (the API answers 422).
    Saving it disabled keeps the work. `blockers` are the reasons as the editor lists them."""

    status = 422

    def __init__(self, blockers: list[FieldError]) -> None:
        self.blockers = blockers
        messages, codes = _by_field(blockers)
        super().__init__(messages, codes=codes)


def field_name(error: FieldError) -> str:
    """Where an action's field error sits in the API's (and a config file's) terms: `trigger` or
    `mappings.<field key>`."""
    return "trigger" if error.field == validation.TRIGGER else f"mappings.{error.field}"


def _by_field(errors: list[FieldError]) -> tuple[dict[str, list[str]], dict[str, str]]:
    messages: dict[str, list[str]] = {}
    codes: dict[str, str] = {}
    for error in errors:
        messages.setdefault(field_name(error), []).append(error.message)
        codes.setdefault(field_name(error), error.code)
    return messages, codes


def refusal_to_deliver(
    config: ActionConfig, policy: privacy.PrivacyPolicy | None, *, enabled: bool
) -> NeverDelivers | None:
    """The one home of the rule "an enabled action must be able to deliver something": why the action,
    enabled, could deliver nothing whatever the event (None when it could, or is disabled)."""
    if not enabled:
        return None
    blockers = never_delivers(config, policy)
    return NeverDelivers(blockers) if blockers else None


def _user(actor: Any) -> Any:
    """The user to name as creator or editor (none for the command line)."""
    return actor if getattr(actor, "is_authenticated", False) else None


def save_action(
    actor: Any,
    *,
    destination: Destination,
    action_type: str,
    name: str,
    trigger: str,
    mappings: dict[str, str],
    enabled: bool,
    action: Action | None = None,
    consent: tuple[str, str] | None = None,
    sample_event: Any = None,
    sample_private: bool = False,
) -> Action:
    """Create (`action` None) or change an action; each save that changes what it does is a new version.
    Refused when the configuration is wrong (400) or when, enabled, it could deliver nothing (422).
    `consent` is (category, what events without consent information get), None to keep what it was.
    `sample_event` (the real event, never a masked copy) is kept with it so that it reopens on it."""
    require(actor, MARKETER)
    if action is not None and action_type != action.action_type:
        raise Refused({"action_type": "The action type of a saved action cannot change."})
    definition: ActionType | None = destination.definition.action(action_type)
    if definition is None:
        raise Refused({"action_type": "This destination has no such action type."})
    errors = validation.check_configuration(definition, trigger, mappings)
    if errors:
        messages, codes = _by_field(errors)
        raise Refused(messages, codes=codes)
    config = ActionConfig.of(destination.type, action_type, trigger, mappings)
    refusal = refusal_to_deliver(config, destination.privacy_policy, enabled=enabled)
    if refusal is not None:
        raise refusal
    _refuse_a_taken_name(destination, name, action)
    if action is not None and not _changes(action, name, trigger, mappings, enabled, consent):
        if sample_event is not None:  # reopens on another sample: not a change of what it does
            action.sample_event, action.sample_private = sample_event, sample_private
            action.save(update_fields=["sample_event", "sample_private"])
        return action  # saved as it was: nothing changed, so nothing is recorded
    with transaction.atomic():
        created = action is None
        if action is None:
            position = (destination.actions.aggregate(top=Max("position"))["top"] or 0) + 1
            action = Action(
                destination=destination, action_type=action_type, position=position, created_by=_user(actor)
            )
        action.name, action.trigger, action.mappings, action.enabled = name, trigger, dict(mappings), enabled
        if consent is not None:
            action.consent_category, action.consent_when_unknown = consent
        action.updated_by = _user(actor)
        if sample_event is not None:
            action.sample_event, action.sample_private = sample_event, sample_private
        action.save()
        record(actor, "action_created" if created else "action_changed", action, version=action.version)
    return action


def _refuse_a_taken_name(destination: Destination, name: str, action: Action | None) -> None:
    """Actions are told apart by name (a configuration file matches them by it): one name per destination."""
    taken = destination.actions.filter(name=name)
    if action is not None:
        taken = taken.exclude(pk=action.pk)
    if taken.exists():
        raise Refused({"name": f"This destination has an action named “{name}” already."}, codes={"name": "unique"})


def _changes(
    action: Action, name: str, trigger: str, mappings: dict[str, str], enabled: bool, consent: tuple[str, str] | None
) -> bool:
    now = (action.name, action.trigger, dict(action.mappings), action.enabled)
    wanted = (name, trigger, dict(mappings), enabled)
    return now != wanted or (consent is not None and consent != (action.consent_category, action.consent_when_unknown))


MAX_NAME = Action._meta.get_field("name").max_length


def _free_name(destination_id: int, name: str) -> str:
    """`name (copy)`, else `name (copy 2)`, `name (copy 3)`…: the first a destination's actions do not use."""
    taken = set(Action.objects.filter(destination_id=destination_id).values_list("name", flat=True))
    suffixes = (" (copy)", *(f" (copy {number})" for number in range(2, len(taken) + 3)))
    # The name is cut, never the suffix: a name of the longest length still gets a free copy.
    return next(name[: MAX_NAME - len(end)] + end for end in suffixes if name[: MAX_NAME - len(end)] + end not in taken)


def enable_action(actor: Any, *, action: Action) -> Action:
    """Switch an action on; refused (422) when it could deliver nothing."""
    require(actor, MARKETER)
    refusal = refusal_to_deliver(action.config(), action.destination.privacy_policy, enabled=True)
    if refusal is not None:
        raise refusal
    return _set_enabled(actor, action, True)


def disable_action(actor: Any, *, action: Action) -> Action:
    """Switch an action off: it stops sending at once (the page asks first for a live destination)."""
    require(actor, MARKETER)
    return _set_enabled(actor, action, False)


def _set_enabled(actor: Any, action: Action, enabled: bool) -> Action:
    """Idempotent: an action already in that state (a stale page, a second click, an API retry) is left
    as it is, with no audit entry for a change nobody made."""
    with transaction.atomic():
        if Action.objects.filter(pk=action.pk, enabled=enabled).exists():
            action.enabled = enabled
            return action
        action.enabled, action.updated_by = enabled, _user(actor)
        action.save(update_fields=["enabled", "updated_by", "updated_at"])
        record(actor, "action_enabled" if enabled else "action_disabled", action)
    return action


def restore_action(actor: Any, *, action: Action, version: ActionVersion) -> Action:
    """Make the action what `version` was, saved as a new version noted "Restored from vN". A version
    that could no longer deliver (the privacy rules changed since, say) comes back disabled, as the
    editor would save it."""
    require(actor, MARKETER)
    if version.action_id != action.pk:
        raise Refused({"version": "That version belongs to another action."})
    snapshot = version.snapshot
    action.name, action.trigger = snapshot["name"], snapshot["trigger"]
    action.mappings, action.enabled = dict(snapshot["mappings"]), snapshot["enabled"]
    action.consent_category = snapshot.get("consent_category", "")
    action.consent_when_unknown = snapshot.get("consent_when_unknown", "")
    note = f"Restored from v{version.number}"
    if refusal_to_deliver(action.config(), action.destination.privacy_policy, enabled=action.enabled):
        action.enabled = False
        note += ", disabled: it could no longer deliver"
    with transaction.atomic():
        action.updated_by = _user(actor)
        action.version_note = note
        action.save()
        record(actor, "action_restored", action, version=version.number)
    return action


def duplicate_action(actor: Any, *, action: Action) -> Action:
    """A disabled copy, placed right after the original."""
    require(actor, MARKETER)
    with transaction.atomic():
        copy = Action.objects.create(
            destination_id=action.destination_id,
            action_type=action.action_type,
            name=_free_name(action.destination_id, action.name),
            trigger=action.trigger,
            mappings=dict(action.mappings),
            consent_category=action.consent_category,
            consent_when_unknown=action.consent_when_unknown,
            enabled=False,
            position=action.position + 1,
            created_by=_user(actor),
            updated_by=_user(actor),
        )
        Action.objects.filter(destination_id=action.destination_id, position__gt=action.position).exclude(
            pk=copy.pk
        ).update(position=F("position") + 1)
        record(actor, "action_created", copy, duplicated_from=action.pk)
    return copy


def delete_action(actor: Any, *, action: Action) -> None:
    require(actor, MARKETER)
    with transaction.atomic():
        record(actor, "action_deleted", action)
        action.delete()


def reorder_actions(actor: Any, *, destination: Destination, order: Sequence[int]) -> list[Action]:
    """Set the order of a destination's actions: `order` lists every action id, first to last."""
    require(actor, MARKETER)
    current = set(destination.actions.values_list("id", flat=True))
    if (
        not all(isinstance(item, int) and not isinstance(item, bool) for item in order)
        or len(order) != len(current)
        or set(order) != current
    ):
        raise Refused({"order": "List every action id of this destination exactly once."})
    with transaction.atomic():
        for position, action_id in enumerate(order):
            Action.objects.filter(pk=action_id).update(position=position)
        record(actor, "actions_reordered", destination)
    return list(destination.actions.order_by("position", "id"))


def send_test_event(
    actor: Any,
    *,
    destination: Destination,
    action_type: ActionType,
    preview: Preview,
    action: Action | None = None,
    confirmed: bool = False,
    shows_values: bool = True,
) -> trial_send.TrialSend:
    """Send (or record, in test mode) the request `preview` built; a live send only once `confirmed`.
    Every outcome is audited (who, which action, the outcome; never the request), except the question
    asked before a live send, which sends nothing."""
    require(actor, MARKETER)
    sent, outcome = trial_send.trial_send(
        destination, action_type, preview, confirmed=confirmed, shows_values=shows_values
    )
    if outcome is not None:
        details: dict[str, Any] = {"outcome": outcome, "action_type": action_type.key, "destination": destination.name}
        if sent.status is not None:
            details["status"] = sent.status
        record(actor, trial_send.AUDIT_VERB, action if action is not None else destination, **details)
    return sent


def import_configuration(
    actor: Any, *, document: Any, prune: bool = False, dry_run: bool = False
) -> config_io.ImportResult:
    """Check a configuration document completely, then apply it all or nothing (admins). Refused with
    every problem on its path; a dry run checks only and records nothing."""
    require(actor, ADMIN)
    with transaction.atomic():
        result = config_io.import_config(document, user=_user(actor), prune=prune, dry_run=dry_run)
        if result.problems:
            messages: dict[str, list[str]] = {}
            codes: dict[str, str] = {}
            for problem in result.problems:  # several problems may share a path: keep them all
                messages.setdefault(problem.path, []).append(problem.message)
                codes.setdefault(problem.path, problem.code)
            raise Refused(messages, codes=codes)
        if not dry_run:
            record(actor, "config_imported", **result.summary())
    return result
