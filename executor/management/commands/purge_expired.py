import json

from django.core.management.base import BaseCommand

from executor.retention import purge


class Command(BaseCommand):
    help = "Delete event bodies, payloads and response excerpts older than RELAY_RETENTION_DAYS (workers also do this hourly)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override RELAY_RETENTION_DAYS.")

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(json.dumps(purge(days=options["days"]).as_dict()))
