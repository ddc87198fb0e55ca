"""Consent from the page: an action (or its destination, for every action of it) may require a consent
category, such as "Marketing", that the person granted on the website the event came from.

Two shapes are read, as the browser SDKs send them:

- Segment's consent wrapper (analytics.js with Consent Management): ``context.consent.categoryPreferences``,
  ``{"Marketing": true, "Analytics": false}``: true grants a category, false denies it.
- RudderStack's consent management (JS SDK v3 with OneTrust, Ketch, iubenda or a custom provider):
  ``context.consentManagement`` with ``allowedConsentIds`` and ``deniedConsentIds`` (lists of category ids
  or names; older SDKs sent ``allowedConsentIds`` as ``{id: name}``, both count) and its ``provider``.

Category names are compared ignoring case ("marketing" is "Marketing"): a marketer types the name,
a consent tool spells it its own way. What happens when the page says nothing about the category (no
consent information at all, or none about this category) is the requirement's ``when_unknown``:
``skip`` (the default: a privacy-first product sends nothing it was not told it may) or ``send``
(only a page that says no stops it: what Segment's Consent Management does, whose events without the
consent object flow on without enforcement).

Pure: no ORM, no HTTP. The route step (mapper.pipeline.run_action) is its one caller on the hot path.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from destinations import privacy

SKIP, SEND = privacy.CONSENT_SKIP, privacy.CONSENT_SEND
# What each choice means, in the marketer's words (the destination's choices, one home).
WHEN_UNKNOWN_CHOICES = privacy.CONSENT_WHEN_UNKNOWN_CHOICES
# What the editor suggests (any name may be typed): the categories Segment and most consent tools use.
SUGGESTED_CATEGORIES = ("Marketing", "Advertising", "Analytics", "Functional", "Personalization")
MAX_CATEGORY_LENGTH = privacy.MAX_CONSENT_CATEGORY_LENGTH
category_problem = privacy.consent_category_problem

FIELD = "consent_category"  # where the preview shows a skip for want of consent
NO_CONSENT = "no_consent_for_category"  # its error code


@dataclass(frozen=True, slots=True)
class Reading:
    """What an event says about consent: the categories granted and denied (case-folded), and
    whether it carries consent information at all."""

    granted: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()
    present: bool = False


@dataclass(frozen=True, slots=True)
class Requirement:
    """A consent category an action needs, and what to do when the event says nothing about it."""

    category: str
    when_unknown: str = SKIP

    def __post_init__(self) -> None:
        if self.when_unknown not in (SKIP, SEND):
            raise ValueError(f"when_unknown must be {SKIP!r} or {SEND!r}.")

    def refusal(self, event: Any) -> str:
        """Why `event` may not go (a sentence that names the category, never a value of the
        event), or "" when it may."""
        reading = read(event)
        wanted = _fold(self.category)
        if wanted in reading.granted and wanted not in reading.denied:
            return ""
        if wanted in reading.denied:
            return f"No consent for {self.category}: the page says the person did not agree to it."
        if self.when_unknown == SEND:
            return ""
        if not reading.present:
            return f"No consent for {self.category}: the event carries no consent information."
        return f"No consent for {self.category}: the event's consent does not mention it."


def requirement(
    category: str, when_unknown: str = "", default_category: str = "", default_when_unknown: str = ""
) -> Requirement | None:
    """The requirement of an action: its own category, else its destination's; its own choice for
    an event that says nothing, else its destination's, else skip. None when no category applies."""
    chosen = (category or "").strip() or (default_category or "").strip()
    if not chosen:
        return None
    mode = when_unknown or default_when_unknown or SKIP
    return Requirement(chosen, mode if mode in (SKIP, SEND) else SKIP)


def read(event: Any) -> Reading:
    """What `event` says about consent, in either SDK's shape (both, if it carries both)."""
    context = event.get("context") if isinstance(event, Mapping) else None
    if not isinstance(context, Mapping):
        return Reading()
    granted: set[str] = set()
    denied: set[str] = set()
    present = False
    segment = context.get("consent")
    preferences = segment.get("categoryPreferences") if isinstance(segment, Mapping) else None
    if isinstance(preferences, Mapping):
        present = True
        for name, value in preferences.items():
            # Only a real boolean decides: "false" as text or null says nothing either way.
            if value is True:
                granted.add(_fold(name))
            elif value is False:
                denied.add(_fold(name))
    rudder = context.get("consentManagement")
    if isinstance(rudder, Mapping):
        allowed, refused = rudder.get("allowedConsentIds"), rudder.get("deniedConsentIds")
        if allowed is not None or refused is not None:
            present = True
        granted.update(_ids(allowed))
        denied.update(_ids(refused))
    return Reading(frozenset(granted), frozenset(denied), present)


def _ids(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):  # {id: name}: either may be what the action names
        for key, name in value.items():
            yield _fold(key)
            if isinstance(name, str):
                yield _fold(name)
    elif isinstance(value, list):
        yield from (_fold(item) for item in value if isinstance(item, str | int) and not isinstance(item, bool))


def _fold(name: Any) -> str:
    return str(name).strip().casefold()
