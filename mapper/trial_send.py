"""Send the previewed request for real from the editor or the API's test-send (or record it, in test mode):
the sending half of mapper.commands.send_test_event, which checks the role and audits.

A test send reaches real people: a Subscribe test signs the sample's phone up for marketing texts.
So a live send is asked first, in a sentence that says what it will do; a request holding a masked
value (•••) is never sent; and every test send is audited (who, which action, the outcome: never
the request, which holds personal data). Test mode records without asking.
"""

from dataclasses import dataclass
from typing import Any

import phonenumbers

from destinations.definition import ActionType, BodyLayout
from destinations.errors import DestinationError
from destinations.models import Destination
from mapper import masking
from mapper.preview import Preview

AUDIT_VERB = "test_event_sent"


@dataclass(frozen=True, slots=True)
class TrialSend:
    sent: bool
    message: str
    status: int | None = None
    response: str = ""
    # Set when nothing was sent yet because a live send must be confirmed: what it will do.
    confirm: str = ""
    # Nothing was sent because nothing could be: the preview has errors, or the request holds a masked value.
    refused: bool = False


def trial_send(
    destination: Destination,
    action_type: ActionType,
    preview: Preview,
    *,
    confirmed: bool = False,
    shows_values: bool = True,
) -> tuple[TrialSend, str | None]:
    """Send (or record, in test mode) the request `preview` built, once a live send is `confirmed`;
    with the outcome to audit (None when nothing happened yet: the live send must be confirmed).
    `preview` is judged on the real event; `shows_values` says whether the person may see its
    identifiers (else the confirmation names none). Called by mapper.commands.send_test_event."""
    request = preview.result.request if preview.would_send and preview.result else None
    if request is None:
        return TrialSend(False, _REFUSED, refused=True), "refused"
    if masking.holds_mask(request.body):
        return TrialSend(False, _MASKED, refused=True), "refused"
    if not destination.enabled and not destination.test_mode:
        return TrialSend(False, _DISABLED, refused=True), "refused"
    if destination.test_mode:
        recorded = TrialSend(
            False, f"Test mode: the request was recorded here and not sent to {destination.definition.title}."
        )
        return recorded, "recorded"
    if not confirmed:
        asked = TrialSend(False, "", confirm=confirmation(destination, action_type, preview, shows_values=shows_values))
        return asked, None
    try:
        with destination.open_client() as client:
            result = client.send(request.method, request.path, request.body)
    except DestinationError as error:
        return TrialSend(False, error.message, status=error.status, response=error.response_excerpt), "failed"
    sent = TrialSend(
        True, f"Sent to {destination.definition.title}.", status=result.status, response=result.response_excerpt
    )
    return sent, "sent"


_REFUSED = "Nothing was sent: fix the errors shown in the preview first."
# A disabled destination is sent nothing, a test event included (test mode records, and sends nothing anyway).
_DISABLED = "Nothing was sent: this destination is disabled. An admin enables it again in its Settings & key."
_MASKED = (
    "Nothing was sent: the sample holds masked values (•••) that stand for no stored event. Load the event "
    "again from the delivery log, or type real values."
)


def confirmation(destination: Destination, action_type: ActionType, preview: Preview, *, shows_values: bool) -> str:
    """What a live send will do, in a sentence, such as "This subscribes +1 415… to marketing text
    messages": from the preview's summary when the action type writes one."""
    body = preview.result.request.body if preview.result and preview.result.request else {}
    who = person(body, destination.definition.body_layout) if shows_values else "the person in the stored event"
    account = destination.company_name or destination.name
    if preview.summary:
        does = preview.summary.split(". ")[0].rstrip(".").replace("this person", who, 1)
        does = does[0].lower() + does[1:]
    else:
        does = f"sends {action_type.title} ({action_type.method} {action_type.path}) about {who}"
    return f"This is the live {destination.definition.title} account of {account}: it {does}. It cannot be undone."


def person(body: dict[str, Any], layout: BodyLayout) -> str:
    """Who a request is about, recognisable without being spelt out: +1 415…, j…@example.com, from where the
    destination type's bodies hold a phone number or an email address (BodyLayout.phones, .emails)."""
    phone, email = layout.phone_of(body), layout.email_of(body)
    if phone:
        try:
            parsed = phonenumbers.parse(phone, None)
            national = str(parsed.national_number)
            return f"+{parsed.country_code} {national[:3]}…"
        except phonenumbers.NumberParseException:
            return "a phone number"
    if "@" in email:
        return f"{email[0]}…@{email.rsplit('@', 1)[1]}"
    return "the person in the sample"
