from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--label", default="command line")

    def handle(self, *args: object, **options: object) -> None:
        try:
            user = get_user_model().objects.get(username=options["username"])
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {options['username']!r}.") from None
        _, raw = ApiToken.issue(user, str(options["label"]))
        self.stdout.write(f"API token for {user.get_username()} (shown once, store it now):")
        self.stdout.write(raw)
