"""Attentive's deletion requests (attentive-api.md §4.4): POST /v1/privacy/delete-request files one
for an email, a phone or a client user id; GET /v1/privacy/delete-request/{id} says whether it has
been processed (Attentive does it "within thirty days")."""

from urllib.parse import quote

from destinations.definition import Client, ErasureSupport
from destinations.errors import PermanentError

_SUBJECT_FIELDS = {"email": "subjectEmail", "phone": "subjectPhone", "client_user_id": "clientUserId"}


def request_deletion(client: Client, kind: str, value: str) -> str:
    answer = client.fetch("POST", "/v1/privacy/delete-request", {_SUBJECT_FIELDS[kind]: value, "requestMsg": "Relay"})
    remote_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(remote_id, str | int) or isinstance(remote_id, bool) or not str(remote_id):
        raise PermanentError("Attentive accepted the deletion request but gave no id for it.")
    return str(remote_id)


def is_processed(client: Client, remote_id: str) -> bool:
    answer = client.fetch("GET", f"/v1/privacy/delete-request/{quote(remote_id, safe='')}")
    return isinstance(answer, dict) and answer.get("processed") is True


ERASURE = ErasureSupport(request=request_deletion, processed=is_processed)
