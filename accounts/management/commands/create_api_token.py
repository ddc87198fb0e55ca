from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.commands import issue_api_token
from accounts.roles import SYSTEM
from core.commands import Refused


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
        try:
            _, raw = issue_api_token(SYSTEM, label=str(options["label"]), user=user)
        except Refused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"API token for {user.get_username()} (shown once, store it now):")
        self.stdout.write(raw)
