from django.apps import AppConfig


class ExecutorConfig(AppConfig):
    name = "executor"

    def ready(self) -> None:
        from config import checks  # noqa: F401 - registers the system checks
        from executor import hooks, signals  # noqa: F401 - signals registers its receivers
        from mapper import extensions, samples

        samples.FINDERS.append(hooks.find_event_samples)
        samples.EVENT_LOOKUPS.append(hooks.event_sample)
        samples.RECENT_EVENTS.append(hooks.recent_events)
        extensions.ACTION_STATUS_SOURCES.append(hooks.last_delivery_statuses)
