from django.core.management.base import BaseCommand

from executor.models import WriteKey


class Command(BaseCommand):
    help = "Create a write key for a source and print it once (only its hash is stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("label", help="What sends with this key, such as 'checkout service'.")

    def handle(self, *args: object, **options: object) -> None:
        key, raw = WriteKey.issue(str(options["label"]))
        self.stdout.write(f"Write key for “{key.label}” (shown once, store it now):")
        self.stdout.write(raw)
