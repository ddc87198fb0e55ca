"""Re-encrypt everything stored encrypted under the newest key in RELAY_ENCRYPTION_KEYS."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, models

from accounts.audit import record
from core import crypto
from core.fields import EncryptedJSONField, EncryptedTextField

CHUNK = 500


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (API keys, two-factor secrets, event bodies, names and message ids, "
        "payloads, response excerpts) with the first key of RELAY_ENCRYPTION_KEYS. Put the new key first and keep "
        "the old ones after it until this has run; then the old keys can be removed. Safe while Relay runs: a "
        "value changed or purged meanwhile is left as it is."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = {
            f"{model.__name__}.{field.name}": _rotate_column(model, field) for model, field in encrypted_columns()
        }
        record(None, "encryption_key_rotated", **counts)
        self.stdout.write(json.dumps(counts))


def encrypted_columns() -> list[tuple[type[models.Model], models.Field]]:
    """Every column stored encrypted, found by itself: the encrypted field types, and text fields
    named `*_encrypted` (API keys, two-factor secrets). A new one cannot be forgotten."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedJSONField | EncryptedTextField)
        or (isinstance(field, models.TextField) and field.name.endswith("_encrypted"))
    ]


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    return [(model, field.name) for model, field in encrypted_columns()]


def _rotate_column(model: type[models.Model], field: models.Field) -> int:
    """Re-encrypt one column chunk by chunk, each row only if it still holds what was read.

    Ciphertext is read and written as it is stored (no decryption into Python values), and the
    conditional update keeps a purge (NULL) or an edit made meanwhile: rotation never brings back
    deleted data or overwrites a newer value.
    """
    quote = connection.ops.quote_name
    table, column, pk = quote(model._meta.db_table), quote(field.column), quote(model._meta.pk.column)
    done, last = 0, 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {column} FROM {table} WHERE {pk} > %s AND {column} IS NOT NULL AND {column} <> '' "  # noqa: S608
                f"ORDER BY {pk} LIMIT %s",
                [last, CHUNK],
            )
            rows = cursor.fetchall()
            if not rows:
                return done
            for row_pk, token in rows:
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                    [crypto.reencrypt(token), row_pk, token],
                )
                done += cursor.rowcount
        last = rows[-1][0]
