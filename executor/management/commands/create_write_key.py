from django.core.management.base import BaseCommand, CommandError

from accounts.roles import SYSTEM
from core.commands import Refused
from executor.commands import issue_write_key
from executor.models import WriteKey


class Command(BaseCommand):
    help = (
        "Create a write key for a source and print it once (only its hash is stored). With --origin, a browser "
        "source (a public key) that pages of those origins may send with."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("label", help="What sends with this key, such as 'checkout service'.")
        parser.add_argument(
            "--origin",
            action="append",
            default=[],
            help="An allowed origin of a browser source, such as https://shop.example.com (repeat for more).",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            origins = list(options["origin"])
            kind = WriteKey.Kind.BROWSER if origins else WriteKey.Kind.SERVER
            key, raw = issue_write_key(SYSTEM, label=str(options["label"]), kind=kind, origins=origins)
        except Refused as refused:
            raise CommandError(str(refused)) from None
        if key.is_browser:
            self.stdout.write(f"Browser write key for “{key.label}” (public; its page shows it to admins):")
        else:
            self.stdout.write(f"Write key for “{key.label}” (shown once, store it now):")
        self.stdout.write(raw)
