import json

from django.core.management.base import BaseCommand, CommandError

from accounts.roles import SYSTEM
from core.commands import Refused
from mapper.commands import import_configuration


class Command(BaseCommand):
    help = "Import a configuration document: checked completely first, then applied all or nothing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Only check the document.")
        parser.add_argument("--prune", action="store_true", help="Delete actions that the document does not list.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            with open(str(options["path"]), encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, json.JSONDecodeError) as error:
            raise CommandError(f"Cannot read {options['path']}: {error}") from None
        try:
            result = import_configuration(
                SYSTEM, document=document, prune=bool(options["prune"]), dry_run=bool(options["dry_run"])
            )
        except Refused as refused:
            problems = list(refused.messages())
            lines = "\n".join(f"  {path or '(document)'}: {message}" for path, _code, message in problems)
            raise CommandError(f"Nothing was imported; {len(problems)} problem(s):\n{lines}") from None
        if options["dry_run"]:
            self.stdout.write("The document is valid.")
            return
        self.stdout.write(json.dumps(result.summary()))
