from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from core import crypto


def check_api_urls(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """Every destination type's API address is configured and safe (https)."""
    from destinations.registry import DESTINATION_TYPES

    errors = []
    for definition in DESTINATION_TYPES.values():
        try:
            definition.base_url()
        except ImproperlyConfigured as error:
            errors.append(checks.Error(str(error), id="destinations.E001"))
    return errors


def check_encryption_keys(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    try:
        crypto.decrypt(crypto.encrypt("check"))
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="destinations.E002")]
    return []


def check_declared_settings(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """Every setting a destination type declares is kept in a column made for one (Destination.OPTIONAL_SETTINGS)."""
    from destinations.models import Destination
    from destinations.registry import DESTINATION_TYPES

    return [
        checks.Error(
            f"{definition.title} declares a setting Relay has no column for: {setting.field}.", id="destinations.E003"
        )
        for definition in DESTINATION_TYPES.values()
        for setting in definition.settings
        if setting.field not in Destination.OPTIONAL_SETTINGS
    ]
