"""Errors a destination raises when it talks to its API. Each carries a retry decision."""


class DestinationError(Exception):
    """Base class. Messages never contain personal data or API keys."""

    code = "destination_error"
    retryable = False

    def __init__(self, message: str, *, status: int | None = None, response_excerpt: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.response_excerpt = response_excerpt


class RetryableError(DestinationError):
    """Try again later: 408, 429, 5xx (not 501), timeouts, dropped connections."""

    code = "retryable"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        response_excerpt: str = "",
        retry_after: float | None = None,
        rate_limit_remaining: int | None = None,
        rate_limit_limit: int | None = None,
    ) -> None:
        super().__init__(message, status=status, response_excerpt=response_excerpt)
        self.retry_after = retry_after
        self.rate_limit_remaining = rate_limit_remaining
        self.rate_limit_limit = rate_limit_limit


class AuthenticationError(DestinationError):
    """The key was rejected (401) or lacks a permission (403): a person must act."""

    code = "authentication"


class PermanentError(DestinationError):
    """The request itself was refused (other 4xx, 501): retrying cannot help."""

    code = "permanent"
