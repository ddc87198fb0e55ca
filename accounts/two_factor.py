"""Optional two-factor sign-in with an authenticator app (TOTP, RFC 6238), with one-time recovery codes.

pyotp computes the codes; this module keeps what django-otp's TOTP device keeps (wrong codes
throttled with a wait that doubles each time, each code accepted once) on our own device model,
because django-otp stores the secret in clear while ours is encrypted at rest with
RELAY_ENCRYPTION_KEYS (and rotated with them). Recovery codes (for a lost phone) are stored hashed,
each accepted once, and wrong ones count towards the same wait as wrong app codes.
"""

import enum
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.credentials import hash_credential
from accounts.models import RecoveryCode, TotpDevice
from accounts.roles import ADMIN, has_role
from core import crypto

ISSUER = "Relay"
STEP_SECONDS = 30
# Codes from the step before and after the current one are accepted (clock drift).
DRIFT_STEPS = 1
MAX_THROTTLE_SECONDS = 3600
RECOVERY_CODE_COUNT = 10
# 16 characters of 31 (79 bits): out of reach of guessing, even offline against a stolen hash.
# Without i, l, o, 0 and 1, which are read one for another.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 16


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class CodeCheck:
    outcome: Outcome
    wait_seconds: int = 0
    # Accepted as a recovery code (not the app's code): it is used up.
    recovery_code: bool = False

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


def qr_code_svg(device: TotpDevice) -> SafeString:
    """The set-up link as a QR code, an inline SVG made here (no image service sees the secret)."""
    qr = segno.make(provisioning_uri(device), error="m")
    svg = qr.svg_inline(border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr")
    labelled = svg.replace("<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1)
    return mark_safe(labelled)  # noqa: S308 - segno draws the data as shapes, never as text


def check(device: TotpDevice, code: str, now: datetime | None = None, *, allow_recovery: bool = True) -> CodeCheck:
    """Judge `code` for `device`: an app code is accepted at most once per time step, a recovery code
    (when allowed) once ever; both are refused without being looked at while the device waits out its
    wrong codes."""
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
        if allow_recovery and _use_recovery_code(device, code, now):
            device.failure_count, device.throttled_until = 0, None
            device.save(update_fields=["failure_count", "throttled_until"])
            return CodeCheck(Outcome.ACCEPTED, recovery_code=True)
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


def _normalised_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _use_recovery_code(device: TotpDevice, code: str, now: datetime) -> bool:
    normalised = _normalised_recovery_code(code)
    if len(normalised) != RECOVERY_CODE_LENGTH:
        return False
    used = RecoveryCode.objects.filter(
        user_id=device.user_id, code_hash=hash_credential(normalised), used_at__isnull=True
    ).update(used_at=now)
    return used == 1


def new_recovery_codes(user: object) -> list[str]:
    """Replace the user's recovery codes with new ones; return them, to be shown once (only hashes are kept)."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=hash_credential(code)) for code in codes)
    return ["-".join(code[i : i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)) for code in codes]


def recovery_codes_left(user: object) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def remove(user: object) -> None:
    """Forget the user's authenticator and recovery codes (turned off, or reset by an admin)."""
    with transaction.atomic():
        TotpDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def confirm(device: TotpDevice, code: str) -> CodeCheck:
    """Turn the device on with a code from the app (a recovery code proves nothing about the app)."""
    result = check(device, code, allow_recovery=False)
    if result.accepted:
        device.confirmed_at = timezone.now()
        device.save(update_fields=["confirmed_at"])
    return result


SETUP_REQUIRED_MESSAGE = (
    "Admins must set up two-factor sign-in first: sign in to Relay in a browser and follow "
    "/account/two-factor/; until then this account's API tokens and sessions are refused."
)


def required_for(user: object) -> bool:
    return bool(settings.RELAY_REQUIRE_2FA_FOR_ADMINS) and has_role(user, ADMIN)


def missing_for(user: object) -> bool:
    """Two-factor sign-in is required of `user` and not set up: nothing but its set-up is allowed."""
    return required_for(user) and confirmed_device(user) is None
