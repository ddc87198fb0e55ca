"""Prepare a fresh install: the first admin, and a demo destination in test mode with the presets."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import record
from accounts.roles import ADMIN, SYSTEM
from destinations.commands import create_destination
from destinations.models import Destination
from mapper.commands import save_action

DEMO_DESTINATION = "Demo (test mode)"


class Command(BaseCommand):
    help = "Create the first admin (once) and a demo destination (of the default type) in test mode with every preset."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-demo", action="store_true", help="Skip the demo destination.")

    def handle(self, *args: object, **options: object) -> None:
        with transaction.atomic():
            self._first_admin()
            if not options["no_demo"]:
                self._demo_destination()

    def _first_admin(self) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        password = os.environ.get("RELAY_ADMIN_PASSWORD", "")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(15)
        admin = users.objects.create_superuser(
            username=settings.RELAY_ADMIN_USERNAME,
            email=settings.RELAY_ADMIN_EMAIL,
            password=password,
        )
        # Every user's creation is in the audit log, the first admin's too.
        record(SYSTEM, "user_created", admin, role=ADMIN)
        self.stdout.write(self.style.SUCCESS(f"Created the first admin: {settings.RELAY_ADMIN_USERNAME}"))
        if generated:
            # Printed once, to the operator's terminal only; it is stored hashed.
            self.stdout.write(f"  password: {password}   (shown once; change it after signing in)")

    def _demo_destination(self) -> None:
        # Made as an admin would make it, through the commands the pages call, each audited as "system".
        if Destination.objects.exists():
            return
        destination = create_destination(
            SYSTEM,
            name=DEMO_DESTINATION,
            api_key=None,  # test mode sends nothing: the demo needs no key
            settings={
                "test_mode": True,
                # A demo's disclosure, so that the Subscribed preset can be tried.
                "subscription_disclosure": "Demo: by signing up you agree to receive recurring automated marketing "
                "messages at the number provided. Consent is not a condition of purchase. Reply STOP to cancel.",
            },
        )
        created = 0
        for action_type in destination.definition.actions:
            for preset in action_type.presets:
                save_action(
                    SYSTEM,
                    destination=destination,
                    action_type=action_type.key,
                    name=preset.name,
                    trigger=preset.trigger,
                    mappings=dict(preset.mappings),
                    enabled=True,
                )
                created += 1
        self.stdout.write(self.style.SUCCESS(f"Created “{DEMO_DESTINATION}” with {created} preset actions."))
