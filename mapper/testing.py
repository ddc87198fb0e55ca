"""Send the previewed request for real from the editor (or record it, in test mode)."""

from dataclasses import dataclass

from destinations.errors import DestinationError
from destinations.models import Destination
from mapper.preview import Preview


@dataclass(frozen=True, slots=True)
class TrialSend:
    sent: bool
    message: str
    status: int | None = None
    response: str = ""


def send_test_event(destination: Destination, preview: Preview) -> TrialSend:
    if not preview.would_send or preview.result is None or preview.result.request is None:
        return TrialSend(False, "Nothing was sent: fix the errors shown in the preview first.")
    request = preview.result.request
    if destination.test_mode:
        return TrialSend(
            False, f"Test mode: the request was recorded here and not sent to {destination.definition.title}."
        )
    try:
        with destination.open_client() as client:
            result = client.send(request.method, request.path, request.body)
    except DestinationError as error:
        return TrialSend(False, error.message, status=error.status, response=error.response_excerpt)
    return TrialSend(
        True, f"Sent to {destination.definition.title}.", status=result.status, response=result.response_excerpt
    )
