from django.apps import AppConfig


class MapperConfig(AppConfig):
    name = "mapper"

    def ready(self) -> None:
        from destinations import privacy
        from mapper import validation

        privacy.CONDITION_CHECKS.append(
            lambda expression: next((e.message for e in validation.expression_errors("consent", expression)), None)
        )
