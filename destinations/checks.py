from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from destinations import crypto


@checks.register(checks.Tags.security)
def check_attentive_api_url(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    from destinations.attentive.client import api_base_url

    try:
        api_base_url()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="destinations.E001")]
    return []


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    try:
        crypto.decrypt(crypto.encrypt("check"))
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="destinations.E002")]
    return []
