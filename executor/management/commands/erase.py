"""File a person's erasure request from the command line, and run it at once."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.roles import SYSTEM
from core.commands import Refused
from core.text import counted
from executor import commands, erasure


class Command(BaseCommand):
    help = (
        "Forget a person: delete what Relay stores of them, ask each destination to do the same, and refuse "
        "their events for RELAY_ERASURE_REFUSE_DAYS. Give exactly one of --email, --phone, --client-user-id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email")
        parser.add_argument("--phone", help="International format: +1 415 555 2671.")
        parser.add_argument("--client-user-id")

    def handle(self, *args: Any, **options: Any) -> None:
        given = [(kind, options[kind]) for kind in ("email", "phone", "client_user_id") if options[kind]]
        if len(given) != 1:
            raise CommandError("Give exactly one of --email, --phone or --client-user-id.")
        ((kind, value),) = given
        try:
            filed = commands.file_erasure(SYSTEM, kind=kind, value=value, in_background=False)
        except Refused as refused:
            raise CommandError(str(refused)) from None
        request = erasure.run(filed)
        forwards = ", ".join(f"{f.destination.name}: {f.get_state_display()}" for f in request.forwards.all())
        self.stdout.write(
            f"Erasure request #{request.pk} for {request.masked}: deleted {counted(request.purged_events, 'event', 'events')} and "
            f"{counted(request.purged_deliveries, 'delivery', 'deliveries')}; {forwards or 'no destination to ask'}. "
            f"Their events are refused until {request.refuse_until:%Y-%m-%d}."
        )
