"""Event names and message ids are encrypted at rest, with a keyed hash of the message id beside it.

The column types change first (ciphertext is longer than 200 characters), then existing rows are
encrypted with raw SQL: the model's fields would try to decrypt the plain text they hold.
"""

import core.fields
from django.db import migrations, models

CHUNK = 500


def encrypt_existing(apps, schema_editor):
    from core import crypto

    connection = schema_editor.connection
    table = connection.ops.quote_name("executor_inboundevent")
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, event_name, message_id FROM {table} WHERE id > %s ORDER BY id LIMIT %s", [last, CHUNK]
            )
            rows = cursor.fetchall()
            if not rows:
                return
            for pk, event_name, message_id in rows:
                cursor.execute(
                    f"UPDATE {table} SET event_name = %s, message_id = %s, message_id_hash = %s WHERE id = %s",
                    [
                        crypto.encrypt(event_name) if event_name else "",
                        crypto.encrypt(message_id),
                        crypto.lookup_hash(message_id),
                        pk,
                    ],
                )
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("executor", "0004_inboundevent_purged_at_alter_inboundevent_body"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundevent",
            name="message_id_hash",
            field=models.CharField(default="", db_index=True, editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="inboundevent",
            name="event_name",
            field=core.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="inboundevent",
            name="message_id",
            field=core.fields.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
