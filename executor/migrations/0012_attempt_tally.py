"""The attempt counters of /metrics are kept as attempts are recorded (AttemptTally), no longer
counted from attempt rows that retention and erasure delete; they start from the rows there are."""

from django.db import migrations, models
from django.db.models import Count


def count_what_is_there(apps, schema_editor) -> None:
    DeliveryAttempt = apps.get_model("executor", "DeliveryAttempt")
    AttemptTally = apps.get_model("executor", "AttemptTally")
    rows = DeliveryAttempt.objects.values("status_code").annotate(n=Count("id"))
    AttemptTally.objects.bulk_create(AttemptTally(code=str(row["status_code"] or "none"), count=row["n"]) for row in rows)


class Migration(migrations.Migration):
    dependencies = [("executor", "0011_delivery_due_by_endpoint")]

    operations = [
        migrations.CreateModel(
            name="AttemptTally",
            fields=[
                ("code", models.CharField(max_length=8, primary_key=True, serialize=False)),
                ("count", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_what_is_there, migrations.RunPython.noop),
    ]
