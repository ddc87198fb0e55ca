from django.core.management.base import BaseCommand, CommandError

from accounts.roles import SYSTEM
from core.commands import Refused
from executor.commands import issue_write_key


class Command(BaseCommand):
    help = "Create a write key for a source and print it once (only its hash is stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("label", help="What sends with this key, such as 'checkout service'.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            key, raw = issue_write_key(SYSTEM, label=str(options["label"]))
        except Refused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"Write key for “{key.label}” (shown once, store it now):")
        self.stdout.write(raw)
