"""Domain errors the edges (API, views) know how to answer."""


class Conflict(Exception):
    """A well-formed request that contradicts the current state (HTTP 409): nothing was
    changed. ``code`` is stable for integrations; ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
