from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction

from core.fields import EncryptedJSONField
from destinations.definition import ActionType
from destinations.models import Destination
from destinations.registry import action_type_choices
from mapper import consent, validation
from mapper.pipeline import ActionConfig


class Action(models.Model):
    """One mapping from events to one destination call, such as a Custom Event."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="actions")
    # A callable: a new action type needs no migration.
    action_type = models.CharField(max_length=64, choices=action_type_choices)
    name = models.CharField(max_length=200)
    trigger = models.TextField(help_text="JMESPath over the event; the action runs when it is true.")
    # {field_key: JMESPath expression}, such as {"event_name": "'Order Shipped'"}.
    mappings = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    # The consent category the page must grant (mapper.consent); empty: the destination's, if any.
    consent_category = models.CharField(
        max_length=consent.MAX_CATEGORY_LENGTH,
        blank=True,
        help_text="A consent category the event must grant, such as Marketing. Empty: the destination's default.",
    )
    # What an event that says nothing about the category gets; empty: the destination's choice.
    consent_when_unknown = models.CharField(
        max_length=8, blank=True, choices=[("", "As the destination says"), *consent.WHEN_UNKNOWN_CHOICES]
    )
    position = models.PositiveIntegerField(default=0)
    # The number of the latest ActionVersion; deliveries record the version they used.
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # The sample event last saved with the action, encrypted like event bodies; `sample_private`
    # unless it is a preset's made-up example (it may hold a real person's values): everyone but admins
    # then sees it masked.
    sample_event = EncryptedJSONField(null=True, blank=True)
    sample_private = models.BooleanField(default=False)

    class Meta:
        ordering = ["destination", "position", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, and record a new immutable version when what the action does has changed."""
        with transaction.atomic():
            latest = self.versions.order_by("-number").first() if self.pk else None
            changed = latest is None or latest.snapshot != self.snapshot()
            if changed:
                self.version = (latest.number if latest else 0) + 1
                if kwargs.get("update_fields") is not None:
                    kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)
            if changed:
                ActionVersion.objects.create(
                    action=self,
                    number=self.version,
                    snapshot=self.snapshot(),
                    created_by=self.updated_by,
                    note=getattr(self, "version_note", "")[:200],
                )

    @property
    def definition(self) -> ActionType | None:
        return self.destination.definition.action(self.action_type)

    def config(self) -> ActionConfig:
        return ActionConfig.of(
            self.destination.type,
            self.action_type,
            self.trigger,
            self.mappings,
            self.pk,
            self.consent_requirement(),
        )

    def consent_requirement(self) -> consent.Requirement | None:
        """The consent category this action needs: its own, else its destination's default."""
        destination = self.destination
        return consent.requirement(
            self.consent_category,
            self.consent_when_unknown,
            destination.consent_category,
            destination.consent_when_unknown,
        )

    def snapshot(self) -> dict[str, Any]:
        """What a version records: everything that decides what the action sends."""
        return {
            "name": self.name,
            "action_type": self.action_type,
            "trigger": self.trigger,
            "mappings": dict(self.mappings),
            "enabled": self.enabled,
            **self.consent_settings(),
        }

    def consent_settings(self) -> dict[str, str]:
        """The consent settings as versions, exports and the API carry them; absent when unset, so
        that versions saved before they existed compare equal to an action that does not use them."""
        settings_ = {"consent_category": self.consent_category, "consent_when_unknown": self.consent_when_unknown}
        return {key: value for key, value in settings_.items() if value}

    def clean(self) -> None:
        definition = self.definition
        if definition is None:
            raise ValidationError({"action_type": "This destination has no such action type."})
        if not isinstance(self.mappings, dict):
            raise ValidationError({"mappings": "Mappings must be an object of field keys and expressions."})
        errors = validation.check_configuration(definition, self.trigger, self.mappings)
        by_model_field: dict[str, list[str]] = {}
        for error in errors:
            model_field = "trigger" if error.field == validation.TRIGGER else "mappings"
            by_model_field.setdefault(model_field, []).append(f"{error.field}: {error.message}")
        if by_model_field:
            raise ValidationError(by_model_field)


class ActionVersion(models.Model):
    """An immutable record of an action as saved: who, when, and what it was."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    # Why this version exists when it is not a plain edit, such as "Restored from v3".
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["action", "-number"]
        constraints = [models.UniqueConstraint(fields=["action", "number"], name="one_version_number_per_action")]

    def __str__(self) -> str:
        return f"{self.action} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Action versions are immutable.")
        super().save(*args, **kwargs)
