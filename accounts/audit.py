"""Record who did what. Entries name things (destination, action), never personal data or keys."""

from typing import Any

from accounts.models import AuditEntry
from core.text import counted


def record(actor: Any, verb: str, target: Any = None, **details: Any) -> AuditEntry:
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        verb=verb,
        target_type=_kind_of(target),
        target_id=str(getattr(target, "pk", "") or ""),
        target_name=str(target)[:200] if target is not None else "",
        details=details,
    )


def _kind_of(target: Any) -> str:
    """A model's name ("user"), also through the lazy object a request's user is."""
    if target is None:
        return ""
    meta = getattr(target, "_meta", None)
    return meta.model_name if meta is not None else type(target).__name__.lower()


# The three receivers below are connected in config.wiring.
def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(user, "login")
    ip_address = getattr(request, "axes_ip_address", None)
    if ip_address:
        # The user's own mistakes from this address are forgiven; others' failures from it still count.
        from axes.handlers.proxy import AxesProxyHandler

        AxesProxyHandler.reset_attempts(ip_address=ip_address, username=user.get_username())


def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(user, "logout")


def login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The name typed is kept when it is a user's (to spot attacks), else as a keyed hash; the password never.
    # Attempts refused by a lockout are not recorded: the lockout itself was, once.
    if _refused_by_lockout(request):
        return
    from accounts.login_names import recorded_name

    details = {"username": recorded_name(credentials.get("username"))}
    AuditEntry.objects.create(actor_name="anonymous", verb="login_failed", details=details)
    if getattr(request, "axes_locked_out", False):
        AuditEntry.objects.create(actor_name="anonymous", verb="login_locked_out", details=details)


def _refused_by_lockout(request: Any) -> bool:
    """django-axes refused this attempt unseen because its address is locked out (axes counts the attempts
    it looks at in axes_failures_since_start; its receiver runs before this one, axes being installed first)."""
    return bool(getattr(request, "axes_locked_out", False)) and getattr(request, "axes_failures_since_start", 0) is None


# What each verb says, as a sentence: {who} did it, {what} it was done to.
_SENTENCES = {
    "action_changed": "{who} changed the action {what}",
    "action_created": "{who} created the action {what}",
    "action_deleted": "{who} deleted the action {what}",
    "action_disabled": "{who} disabled the action {what}",
    "action_enabled": "{who} enabled the action {what}",
    "action_restored": "{who} restored an earlier version of the action {what}",
    "actions_reordered": "{who} reordered the actions of {what}",
    "backfill_cancelled": "{who} cancelled a backfill of the action {what}",
    "backfill_dry_run": "{who} counted a backfill of the action {what} (a dry run: nothing sent)",
    "backfill_started": "{who} started a backfill of the action {what}",
    "api_token_created": "{who} created an API token {what}",
    "api_token_revoked": "{who} revoked the API token {what}",
    "api_tokens_revoked": "The API tokens of {what} were revoked",
    "config_exported": "{who} exported the configuration",
    "config_imported": "{who} imported a configuration",
    "deliveries_rerun": "{who} re-ran invalid deliveries",
    "destination_changed": "{who} changed the destination {what}",
    "destination_created": "{who} added the destination {what}",
    "destination_key_replaced": "{who} replaced the API key of {what}",
    "destination_verified": "{who} verified the API key of {what}",
    "encryption_key_rotated": "The encryption key was rotated",
    "erasure_completed": "Every destination has processed {what}",
    "erasure_forwarded": "{what} was forwarded",
    "erasure_forward_failed": "{what} could not be forwarded (it is tried again at the next check)",
    "erasure_processed": "A destination processed {what}",
    "erasure_purged": "Relay deleted what it stored for {what}",
    "erasure_requested": "{who} filed {what}",
    "login": "{who} signed in",
    "login_failed": "A sign-in failed",
    "login_locked_out": "Sign-in was paused for an address after too many failures",
    "logout": "{who} signed out",
    "privacy_rules_changed": "{who} changed the privacy rules of {what}",
    "privacy_exception_added": "{who} marked a blocked field as not health information for {what}",
    "password_reset": "{who} reset the password of {what}",
    "password_changed": "{who} chose a new password",
    "replay": "{who} replayed deliveries {as_what}",
    "test_event_sent": "{who} sent a test event through {what}",
    "two_factor_disabled": "{who} turned two-factor sign-in off",
    "two_factor_enabled": "{who} turned two-factor sign-in on",
    "two_factor_reset": "{who} reset the two-factor sign-in of {what}",
    "recovery_codes_created": "{who} made new two-factor recovery codes",
    "recovery_code_used": "{who} signed in with a recovery code",
    "user_changed": "{who} changed the user {what}",
    "user_created": "{who} added the user {what}",
    "source_created": "{who} created the website source {what}",
    "source_origins_changed": "{who} changed the allowed origins of {what}",
    "write_key_created": "{who} created the write key {what}",
    "write_key_revoked": "{who} revoked the write key {what}",
}
# How a detail reads in words.
_DETAIL_WORDS = {
    "version": "version {}",
    "total": "{} in all",
    "role": "role {}",
    "active": "active: {}",
    "username": "as “{}”",
    "second_factor": "at the second step",
    "selection": "({})",
    "destination": "with {}",
    "events": "{}",
    "deliveries": "{}",
    "kind": "{}",
    "reason": "because {}",
    "left": "{} left",
    "outcome": "{}",
    "source": "field {}",
    "fields": "fields {}",
    "status": "HTTP {}",
    "backfill": "backfill #{}",
    "would_send": "{} would be sent",
    "ok": "key accepted: {}",
}
# Details that are counts, as (one, many).
_COUNTED = {
    "tokens": ("token", "tokens"),
    "events": ("event", "events"),
    "deliveries": ("delivery", "deliveries"),
    "revoked_tokens": ("API token revoked", "API tokens revoked"),
}


def verb_label(verb: str) -> str:
    """What a verb means, as the audit log's filter offers it: "Someone changed the action …"."""
    template = _SENTENCES.get(verb, "{who}: " + verb.replace("_", " ") + " {what}")
    return " ".join(template.format(who="Someone", what="…", as_what="…").split())


# How a coded detail value reads.
_VALUE_WORDS = {"password_reset": "the password was reset", "password_changed": "a new password was chosen"}


def sentence(entry: AuditEntry) -> str:
    """The entry as a sentence a person reads, such as "ada changed the action “Shipped” (version 3)."."""
    template = _SENTENCES.get(entry.verb, "{who}: " + entry.verb.replace("_", " ") + " {what}")
    name = entry.target_name
    text = template.format(
        who=entry.actor_name or "someone", what=f"“{name}”" if name else "", as_what=f"as {name}" if name else ""
    )
    words = []
    for key, value in (entry.details or {}).items():
        if key == "second_factor" and value:
            words.append(_DETAIL_WORDS[key])
        elif key in _COUNTED and isinstance(value, int):
            words.append(counted(value, *_COUNTED[key]))
        elif key in _DETAIL_WORDS and key != "second_factor":
            value = _VALUE_WORDS.get(value, value) if isinstance(value, str) else value
            if isinstance(value, list):
                value = ", ".join(map(str, value))
            words.append(_DETAIL_WORDS[key].format("yes" if value is True else "no" if value is False else value))
        else:
            value = ", ".join(map(str, value)) if isinstance(value, list) else value
            words.append(f"{key.replace('_', ' ')} {value}")
    return " ".join(text.split()) + (f" ({', '.join(words)})" if words else "") + "."
