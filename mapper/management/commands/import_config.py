import json

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import record
from mapper.config_io import import_config


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
        result = import_config(document, prune=bool(options["prune"]), dry_run=bool(options["dry_run"]))
        if result.problems:
            lines = "\n".join(f"  {problem.path or '(document)'}: {problem.message}" for problem in result.problems)
            raise CommandError(f"Nothing was imported; {len(result.problems)} problem(s):\n{lines}")
        if options["dry_run"]:
            self.stdout.write("The document is valid.")
            return
        record(None, "config_imported", via="command", **result.summary())
        self.stdout.write(json.dumps(result.summary()))
