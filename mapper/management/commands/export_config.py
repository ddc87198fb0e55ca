import json
import sys

from django.core.management.base import BaseCommand

from accounts.audit import record
from mapper.config_io import export_config


class Command(BaseCommand):
    help = "Print every destination's settings and actions (never API keys) as one JSON document."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", help="Write to this file instead of standard output.")

    def handle(self, *args: object, **options: object) -> None:
        text = json.dumps(export_config(), indent=2, ensure_ascii=False) + "\n"
        record(None, "config_exported", via="command")
        if options["output"]:
            with open(str(options["output"]), "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            sys.stdout.write(text)
