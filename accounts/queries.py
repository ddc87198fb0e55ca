"""The audit log's filters, shared by its page and its API."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import QuerySet

from accounts.models import AuditEntry
from core.query_filters import Parser, parse_filters, text

# Each filter, read as text no longer than the column it is compared with (a longer one can match nothing).
AUDIT_FILTERS: dict[str, Parser] = {
    "verb": text(64),
    "actor": text(150),
    "target_type": text(64),
    "target_id": text(64),
}
COLUMNS = {"verb": "verb", "actor": "actor_name", "target_type": "target_type", "target_id": "target_id"}


def filter_entries(params: Mapping[str, Any], *, others: Iterable[str] | None = None) -> QuerySet[AuditEntry]:
    """The entries the filters of `params` choose; BadFilter (a 400 naming it) for one that cannot be read."""
    filters = parse_filters(params, AUDIT_FILTERS, others=others)
    return AuditEntry.objects.filter(**{COLUMNS[name]: value for name, value in filters.items() if value})
