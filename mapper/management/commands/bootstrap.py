"""Prepare a fresh install: the first admin, and a demo destination in test mode with the presets."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from destinations.models import Destination
from destinations.registry import DESTINATION_TYPES
from mapper.models import Action

DEMO_DESTINATION = "Demo (test mode)"


class Command(BaseCommand):
    help = "Create the first admin (once) and a demo Attentive destination in test mode with every preset."

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
        users.objects.create_superuser(
            username=settings.RELAY_ADMIN_USERNAME,
            email=settings.RELAY_ADMIN_EMAIL,
            password=password,
        )
        self.stdout.write(self.style.SUCCESS(f"Created the first admin: {settings.RELAY_ADMIN_USERNAME}"))
        if generated:
            # Printed once, to the operator's terminal only; it is stored hashed.
            self.stdout.write(f"  password: {password}   (shown once; change it after signing in)")

    def _demo_destination(self) -> None:
        if Destination.objects.exists():
            return
        destination = Destination.objects.create(
            name=DEMO_DESTINATION,
            type="attentive",
            test_mode=True,
            # A demo's disclosure, so that the Subscribed preset can be tried (test mode sends nothing).
            subscription_disclosure="Demo: by signing up you agree to receive recurring automated marketing "
            "messages at the number provided. Consent is not a condition of purchase. Reply STOP to cancel.",
        )
        position = 0
        for action_type in DESTINATION_TYPES["attentive"].actions:
            for preset in action_type.presets:
                Action.objects.create(
                    destination=destination,
                    action_type=action_type.key,
                    name=preset.name,
                    trigger=preset.trigger,
                    mappings=dict(preset.mappings),
                    position=position,
                )
                position += 1
        self.stdout.write(self.style.SUCCESS(f"Created “{DEMO_DESTINATION}” with {position} preset actions."))
