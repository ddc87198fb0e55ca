"""The engine's errors: what callers catch. Messages never contain event data."""


class MappingError(Exception):
    """An expression that cannot be compiled or evaluated. Messages never contain event data."""

    code = "mapping_error"

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class ExpressionError(MappingError):
    """The expression is not valid JMESPath, or breaks a limit."""

    code = "invalid_expression"


class EvaluationError(MappingError):
    """The expression is valid but failed on this event (a wrong type, a limit)."""

    code = "evaluation_error"
