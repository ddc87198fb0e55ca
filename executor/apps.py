from django.apps import AppConfig


class ExecutorConfig(AppConfig):
    name = "executor"

    def ready(self) -> None:
        # Every hook, signal receiver and system check is connected in one place, on top of the layers.
        from config import wiring

        wiring.connect()
