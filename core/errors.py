"""Domain errors the edges (API, views) know how to answer."""


class Conflict(Exception):
    """A well-formed request that contradicts the current state (HTTP 409): nothing was
    changed. ``code`` is stable for integrations; ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TooManyAttempts(Exception):
    """Refused for too many failed attempts from the same client (HTTP 429): nothing was
    looked at. ``retry_after`` is how many seconds until the client may try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"locked out for {retry_after} s")
        self.retry_after = retry_after
