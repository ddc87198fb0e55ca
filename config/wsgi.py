import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.handlers import RelayApplication  # noqa: E402 - Django is set up first, as get_wsgi_application does

application = RelayApplication()
