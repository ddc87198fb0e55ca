from django.core.management.base import BaseCommand, CommandError

from executor.models import WriteKey
from executor.sources import OriginError, normalize_origins


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
            origins = normalize_origins(list(options["origin"]))
        except OriginError as error:
            raise CommandError(f"--origin: {error}") from None
        kind = WriteKey.Kind.BROWSER if origins else WriteKey.Kind.SERVER
        key, raw = WriteKey.issue(str(options["label"]), kind=kind, allowed_origins=origins)
        if key.is_browser:
            self.stdout.write(f"Browser write key for “{key.label}” (public; its page shows it to admins):")
        else:
            self.stdout.write(f"Write key for “{key.label}” (shown once, store it now):")
        self.stdout.write(raw)
