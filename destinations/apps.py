from django.apps import AppConfig


class DestinationsConfig(AppConfig):
    name = "destinations"

    def ready(self) -> None:
        from destinations import checks  # noqa: F401 - registers the system checks
