"""Check a destination's API key with its type's client (Attentive: GET /v1/me) and record what it says."""

from dataclasses import dataclass

from django.utils import timezone

from destinations.definition import DestinationType
from destinations.errors import AuthenticationError, DestinationError, RetryableError
from destinations.models import Destination


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    company_name: str = ""
    message: str = ""
    # Why not, for a program: key_rejected (the destination refused it), key_unchecked (it could not be
    # asked: try again), key_check_failed (it answered something else).
    code: str = ""


def verify_key(definition: DestinationType, api_key: str) -> Verification:
    """Check a key that is not stored yet with the destination type's own client."""
    try:
        with definition.client(api_key) as client:
            return Verification(True, company_name=client.verify())
    except DestinationError as error:
        return verify_failure(error, definition.title)


def verify_destination(destination: Destination) -> Verification:
    """Check the stored key; on success record the company and lift any pause."""
    if not destination.has_api_key:
        return Verification(False, message="This destination has no API key.")
    try:
        with destination.open_client() as client:
            company = client.verify()
    except DestinationError as error:
        return verify_failure(error, destination.definition.title)
    destination.company_name = company
    destination.verified_at = timezone.now()
    destination.needs_attention = False
    destination.attention_reason = ""
    destination.save(update_fields=["company_name", "verified_at", "needs_attention", "attention_reason", "updated_at"])
    return Verification(True, company_name=company)


def verify_failure(error: DestinationError, title: str) -> Verification:
    """What went wrong, naming the destination type (`title`) that answered."""
    if isinstance(error, AuthenticationError):
        # The client's message names the type and its answer ("Attentive rejected the API key (401).").
        return Verification(False, message=f"The key did not work: {error.message}", code="key_rejected")
    if isinstance(error, RetryableError):
        return Verification(
            False, message=f"Could not check the key with {title}: {error.message}", code="key_unchecked"
        )
    return Verification(False, message=f"{title} answered unexpectedly: {error.message}", code="key_check_failed")
