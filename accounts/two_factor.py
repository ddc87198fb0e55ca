"""Optional two-factor sign-in with an authenticator app (TOTP, RFC 6238).

pyotp computes the codes; this module keeps what django-otp's TOTP device keeps (wrong codes
throttled with a wait that doubles each time, each code accepted once) on our own device model,
because django-otp stores the secret in clear while ours is encrypted at rest with
RELAY_ENCRYPTION_KEYS (and rotated with them).
"""

import enum
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import TotpDevice
from accounts.roles import ADMIN, has_role
from core import crypto

ISSUER = "Relay"
STEP_SECONDS = 30
# Codes from the step before and after the current one are accepted (clock drift).
DRIFT_STEPS = 1
MAX_THROTTLE_SECONDS = 3600


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class CodeCheck:
    outcome: Outcome
    wait_seconds: int = 0

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def message(self) -> str:
        if self.outcome is Outcome.THROTTLED:
            return f"Too many wrong codes: wait {self.wait_seconds} seconds, then enter the current code."
        return "That code is not right (or has expired, or was already used). Try the current one."


def confirmed_device(user: object) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_setup(user: object) -> tuple[TotpDevice, str]:
    """Return the user's unconfirmed device (made anew) and its secret, to type into the app."""
    secret = pyotp.random_base32()
    device, _ = TotpDevice.objects.update_or_create(
        user=user,
        defaults={
            "secret_encrypted": crypto.encrypt(secret),
            "confirmed_at": None,
            "failure_count": 0,
            "throttled_until": None,
            "last_used_step": -1,
        },
    )
    return device, secret


def secret_of(device: TotpDevice) -> str:
    return crypto.decrypt(device.secret_encrypted)


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(secret_of(device)).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def check(device: TotpDevice, code: str, now: datetime | None = None) -> CodeCheck:
    """Judge `code` for `device`: accepted at most once per time step, and refused without being
    looked at while the device waits out its wrong codes."""
    now = now or timezone.now()
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().get(pk=device.pk)
        if device.throttled_until is not None and device.throttled_until > now:
            return CodeCheck(Outcome.THROTTLED, _seconds_until(device.throttled_until, now))
        step = _matching_step(device, code, now)
        if step is not None:
            device.last_used_step, device.failure_count, device.throttled_until = step, 0, None
            device.save(update_fields=["last_used_step", "failure_count", "throttled_until"])
            return CodeCheck(Outcome.ACCEPTED)
        device.failure_count += 1
        wait = min(2 ** (device.failure_count - 1), MAX_THROTTLE_SECONDS)
        device.throttled_until = now + timedelta(seconds=wait)
        device.save(update_fields=["failure_count", "throttled_until"])
        return CodeCheck(Outcome.WRONG, wait)


def _matching_step(device: TotpDevice, code: str, now: datetime) -> int | None:
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    totp = pyotp.TOTP(secret_of(device), interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > device.last_used_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return step
    return None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def confirm(device: TotpDevice, code: str) -> CodeCheck:
    result = check(device, code)
    if result.accepted:
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
    return result


def required_for(user: object) -> bool:
    return bool(settings.RELAY_REQUIRE_2FA_FOR_ADMINS) and has_role(user, ADMIN)
