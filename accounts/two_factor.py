"""Optional two-factor sign-in with an authenticator app (TOTP)."""

import pyotp
from django.conf import settings
from django.utils import timezone

from accounts.models import TotpDevice
from config.roles import ADMIN, has_role
from destinations import crypto

ISSUER = "Relay"


def confirmed_device(user: object) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_setup(user: object) -> tuple[TotpDevice, str]:
    """Return the user's unconfirmed device (made anew) and its secret, to type into the app."""
    secret = pyotp.random_base32()
    device, _ = TotpDevice.objects.update_or_create(
        user=user, defaults={"secret_encrypted": crypto.encrypt(secret), "confirmed_at": None}
    )
    return device, secret


def secret_of(device: TotpDevice) -> str:
    return crypto.decrypt(device.secret_encrypted)


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(secret_of(device)).provisioning_uri(name=device.user.get_username(), issuer_name=ISSUER)


def verify(device: TotpDevice, code: str) -> bool:
    code = "".join(ch for ch in code if ch.isdigit())
    return len(code) == 6 and pyotp.TOTP(secret_of(device)).verify(code, valid_window=1)


def confirm(device: TotpDevice, code: str) -> bool:
    if not verify(device, code):
        return False
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return True


def required_for(user: object) -> bool:
    return bool(settings.RELAY_REQUIRE_2FA_FOR_ADMINS) and has_role(user, ADMIN)
