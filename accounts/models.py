from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.credentials import Revocable, hash_credential, new_credential

API_TOKEN_PREFIX = "rat_"  # noqa: S105 - a public prefix, not a secret


def hash_token(raw: str) -> str:
    return hash_credential(raw)


class ApiToken(Revocable, models.Model):
    """A personal API token: acts as its user, with that user's role. Stored hashed, shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    label = models.CharField(max_length=200)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: object, label: str) -> tuple["ApiToken", str]:
        raw, token_hash, prefix = new_credential(API_TOKEN_PREFIX)
        return cls.objects.create(user=user, label=label, token_hash=token_hash, prefix=prefix), raw


class AuditEntry(models.Model):
    """One thing a person (or the system) did. Append-only: the app never updates or deletes one."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)
    verb = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_name = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.target_type} {self.target_name}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit entries are append-only.")

    @property
    def sentence(self) -> str:
        from accounts.audit import sentence

        return sentence(self)


class TotpDevice(models.Model):
    """A user's authenticator app (TOTP, RFC 6238). The secret is encrypted at rest."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Wrong codes in a row, whatever the session or the password: each one doubles the wait.
    failure_count = models.PositiveIntegerField(default=0)
    throttled_until = models.DateTimeField(null=True, blank=True)
    # The time step of the last code accepted: a code is good once.
    last_used_step = models.BigIntegerField(default=-1)

    def __str__(self) -> str:
        return f"Authenticator of {self.user}"


class PasswordChangeRequired(models.Model):
    """The user signs in with a password an admin set (a reset): they must choose their own first."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} must change their password"


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app (a lost phone). Stored as a SHA-256 hash:
    the code itself (80 random bits) is shown once, when it is made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique_per_user")]

    def __str__(self) -> str:
        return f"Recovery code of {self.user}"
