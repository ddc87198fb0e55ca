from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from core import crypto
from destinations import privacy
from destinations.definition import DISCLOSURE_SETTING, Client, DestinationType
from destinations.identifiers import is_plausible_api_key, is_supported_region
from destinations.registry import DESTINATION_TYPES, default_destination_type, destination_type_choices


def _validate_region(value: str) -> None:
    if not is_supported_region(value):
        raise ValidationError(
            "Not a known region code (ISO 3166 alpha-2, such as US or GB).",
            code="invalid_region",
        )


def _default_name_rules() -> list[dict[str, str]]:
    return privacy.default_rules("name")


def _default_value_rules() -> list[dict[str, str]]:
    return privacy.default_rules("value")


def _default_term_rules() -> list[dict[str, object]]:
    return privacy.default_rules("term")


def allowlist_by_default() -> bool:
    """New destinations start in allowlist mode where RELAY_ALLOWLIST_BY_DEFAULT is set (healthcare)."""
    return bool(settings.RELAY_ALLOWLIST_BY_DEFAULT)


class Destination(models.Model):
    """One configured account at a destination (an Attentive company and its API key)."""

    # The page's form and the API's serializer both read this message: the same words from either.
    name = models.CharField(
        max_length=200, unique=True, error_messages={"unique": "A destination with this name exists already."}
    )
    type = models.CharField(
        max_length=32,
        # A callable, read each time: a destination type registered in destinations.registry is a choice
        # without a migration.
        choices=destination_type_choices,
        default=default_destination_type,
    )
    # The key is encrypted at rest and never shown again: only its last four characters are.
    api_key_encrypted = models.TextField(blank=True, editable=False)
    api_key_last4 = models.CharField(max_length=4, blank=True, editable=False)
    default_region = models.CharField(
        max_length=2,
        default="US",
        validators=[_validate_region],
        help_text="Region used to read national phone numbers, such as (415) 555-2671 in the US.",
    )
    test_mode = models.BooleanField(
        default=False,
        help_text="Process and record everything, but never send anything to the destination.",
    )
    enabled = models.BooleanField(default=True)
    company_name = models.CharField(max_length=200, blank=True, help_text="As reported by the last key check.")
    verified_at = models.DateTimeField(null=True, blank=True)
    # Identifies the key without revealing it, so that senders can pace per key across
    # destinations that share one (Attentive's limits are per key).
    api_key_fingerprint = models.CharField(max_length=16, blank=True, editable=False, db_index=True)
    # Privacy (destinations.privacy): what may never leave, what alone may leave, and consent.
    blocked_names = models.JSONField(default=_default_name_rules, blank=True)
    blocked_values = models.JSONField(default=_default_value_rules, blank=True)
    blocked_terms = models.JSONField(default=_default_term_rules, blank=True)
    # Source paths (such as properties.sku) whose values the value and term rules do not judge.
    privacy_exceptions = models.JSONField(default=list, blank=True)
    allowlist_enabled = models.BooleanField(
        default=allowlist_by_default, help_text="Only the property and attribute names listed may leave at all."
    )
    allowed_names = models.JSONField(default=list, blank=True)
    consent_expression = models.TextField(
        blank=True,
        help_text="JMESPath over the event that must be true before any action of this destination runs, "
        "such as context.consent.categoryPreferences.marketing. Empty: no consent check.",
    )
    # The consent category every action of this destination requires unless it names its own
    # (mapper.consent), and what an event that says nothing about it gets.
    consent_category = models.CharField(
        max_length=privacy.MAX_CONSENT_CATEGORY_LENGTH,
        blank=True,
        help_text="A consent category every event must grant before any action runs, such as Marketing (an action "
        "may name its own instead). Empty: none.",
    )
    consent_when_unknown = models.CharField(
        max_length=8,
        default=privacy.CONSENT_SKIP,
        choices=privacy.CONSENT_WHEN_UNKNOWN_CHOICES,
        help_text="What an event that says nothing about the category gets.",
    )
    subscription_disclosure = models.TextField(
        blank=True,
        max_length=2000,
        help_text="The legal text people agree to when they sign up for messages (shown at your sign-up "
        "forms). Actions that subscribe people can only be enabled once it is recorded here.",
    )
    # What a subscription falls back on when the event has no locale (server libraries rarely send
    # one): a sign-up source id first, else this locale (with the action's subscription type).
    default_locale = models.CharField(
        max_length=5,
        blank=True,
        default="en-US",
        validators=[
            RegexValidator(r"^[A-Za-z]{2}[-_][A-Za-z]{2}$", "A locale is a language and a country, such as en-US.")
        ],
        help_text="Used for subscriptions when the event has no locale, such as en-US. Empty: no fallback.",
    )
    default_sign_up_source_id = models.CharField(
        max_length=100,
        blank=True,
        help_text="The destination's sign-up source id used for subscriptions when the event has no locale (wins "
        "over the default locale).",
    )
    # Set when the destination answered 401/403: sending pauses until the key is fixed.
    needs_attention = models.BooleanField(default=False)
    attention_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The settings of every destination's settings page and configuration (besides its name).
    COMMON_SETTINGS = ("default_region", "test_mode", "enabled")
    # The columns of the settings a destination type may declare (DestinationType.settings): a destination
    # has those its type declares; the others keep their defaults, unused.
    OPTIONAL_SETTINGS = ("subscription_disclosure", "default_locale", "default_sign_up_source_id")
    SETTINGS_FIELDS = (*COMMON_SETTINGS, *OPTIONAL_SETTINGS)
    # The settings of the privacy rules page, and of a configuration file's privacy section.
    PRIVACY_FIELDS = (
        "consent_expression",
        "consent_category",
        "consent_when_unknown",
        "allowlist_enabled",
        "allowed_names",
        "blocked_names",
        "blocked_values",
        "blocked_terms",
        "privacy_exceptions",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Destination {self.pk}: {self.name}>"

    def set_api_key(self, api_key: str) -> None:
        api_key = api_key.strip()
        if not api_key:
            raise ValueError("An API key cannot be empty.")
        if not is_plausible_api_key(api_key):
            raise ValueError("An API key is 8 to 512 visible ASCII characters.")
        self.api_key_encrypted = crypto.encrypt(api_key)
        self.api_key_last4 = api_key[-4:]
        self.api_key_fingerprint = crypto.fingerprint(api_key)
        self.needs_attention = False
        self.attention_reason = ""
        self.company_name = ""
        self.verified_at = None

    @property
    def privacy_policy(self) -> privacy.PrivacyPolicy:
        return privacy.PrivacyPolicy.of(
            self.blocked_names or [],
            self.blocked_values or [],
            self.allowed_names if self.allowlist_enabled else None,
            self.consent_expression,
            self.blocked_terms or [],
            self.privacy_exceptions or [],
            self.disclosure,
        )

    @property
    def settings_fields(self) -> tuple[str, ...]:
        """The settings this destination has: every destination's, then those its type declares."""
        return (*self.COMMON_SETTINGS, *(setting.field for setting in self.definition.settings))

    @property
    def disclosure(self) -> str:
        """The sign-up disclosure recorded, where the type has one (else "")."""
        return self.subscription_disclosure if self.definition.has_setting(DISCLOSURE_SETTING) else ""

    @property
    def action_defaults(self) -> dict[str, str]:
        """The settings builders fall back on when an event lacks a value (see BuildContext): those the type
        declares a default_for, by that name, when they are not empty."""
        found = ((setting.default_for, getattr(self, setting.field)) for setting in self.definition.settings)
        return {key: value for key, value in found if key and value}

    @property
    def sender_key(self) -> str:
        """Deliveries that share this value share one sender and one rate limit."""
        return self.api_key_fingerprint or f"destination-{self.pk}"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    @property
    def masked_api_key(self) -> str:
        return f"••••{self.api_key_last4}" if self.has_api_key else ""

    @property
    def definition(self) -> DestinationType:
        return DESTINATION_TYPES[self.type]

    def open_client(self, **options: Any) -> "Client":
        """A client of this destination's API with its stored key (AuthenticationError without one)."""
        return self.definition.open_client(self.api_key_encrypted, **options)
