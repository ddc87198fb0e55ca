"""Destinations still on the first default privacy rules get the new defaults: the ICD-10-CM code
set with context instead of a code's shape, and names that tell retail compounds (shipping
insurance, item condition, loyalty member id) from health data. Rules an admin changed stay."""

from django.db import migrations

from destinations import privacy

# The defaults as they were before this migration, to recognise rules nobody changed.
OLD_DEFAULTS = {
    "name": [
        {"label": "Diagnosis", "pattern": "diagnos"},
        {"label": "Condition", "pattern": "\\bcondition|_condition|condition_"},
        {"label": "Medication", "pattern": "medicat|medicine|\\bdrug|prescri|\\brx\\b|dosage|\\bdose\\b|pharmac"},
        {"label": "Treatment", "pattern": "treatment|therap|procedure|surgery|operation_"},
        {"label": "Symptom", "pattern": "symptom|disease|illness|disorder|allerg|injur"},
        {"label": "Test result", "pattern": "lab.?result|test.?result|biopsy|screening.?result"},
        {"label": "Clinical codes", "pattern": "\\bicd|\\bcpt\\b|cpt.?code|hcpcs|snomed|\\bndc\\b"},
        {
            "label": "Insurance",
            "pattern": "insur|member.?id|policy.?(number|id)|\\bpayer|medicaid|medicare|group.?number",
        },
        {
            "label": "Health record",
            "pattern": "medical|health.?(record|history|condition|status)|\\bpatient|clinical|\\bmrn\\b|\\behr\\b",
        },
        {
            "label": "Sensitive health",
            "pattern": "pregnan|\\bhiv\\b|mental.?health|psychiatr|substance|addiction|oncolog|cancer|diabet",
        },
    ],
    "term": [
        {
            "label": "Health conditions",
            "terms": [
                "HIV",
                "hepatitis",
                "cancer",
                "tumor",
                "tumour",
                "chemotherapy",
                "diabetes",
                "diabetic",
                "dialysis",
                "depression",
                "schizophrenia",
                "bipolar disorder",
                "dementia",
                "alzheimer's",
                "epilepsy",
                "pregnant",
                "pregnancy",
                "miscarriage",
                "abortion",
                "IVF",
                "infertility",
                "opioid",
                "methadone",
                "suboxone",
                "overdose",
                "addiction",
                "STD",
                "chlamydia",
                "gonorrhea",
                "syphilis",
                "herpes",
            ],
        },
        {
            "label": "Clinical words",
            "terms": [
                "diagnosis",
                "diagnosed",
                "prescription",
                "prescribed",
                "patient",
                "symptoms",
                "biopsy",
                "lab result",
                "test result",
                "positive for",
                "tested positive",
                "ICD-10",
                "mental health",
            ],
        },
    ],
    "value": [
        {"label": "ICD-10 code", "pattern": "^[A-TV-Z][0-9][0-9AB]\\.[0-9A-TV-Z]{1,4}$"},
        {"label": "ICD-10 code without its dot", "pattern": "^[A-TV-Z][0-9][0-9AB][0-9A-TV-Z]{0,4}$"},
        {"label": "CPT category II/III code", "pattern": "^[0-9]{4}[FT]$"},
    ],
}
FIELDS = {"name": "blocked_names", "value": "blocked_values", "term": "blocked_terms"}


def forwards(apps, schema_editor):
    Destination = apps.get_model("destinations", "Destination")
    for destination in Destination.objects.all():
        changed = []
        for kind, field in FIELDS.items():
            if getattr(destination, field) == OLD_DEFAULTS[kind]:
                setattr(destination, field, privacy.default_rules(kind))
                changed.append(field)
        if changed:
            destination.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("destinations", "0006_subscription_defaults")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
