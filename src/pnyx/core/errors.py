"""Errors core raises; each edge (API, web, CLI, federation) turns them into its own language."""

from __future__ import annotations


class CoreError(Exception):
    """A rule said no. `status` is the HTTP status the Mastodon API would answer with."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CoreError):
    status = 404

    def __init__(self, message: str = "Record not found") -> None:
        super().__init__(message)


class Forbidden(CoreError):
    status = 403

    def __init__(self, message: str = "This action is not allowed") -> None:
        super().__init__(message)


class Invalid(CoreError):
    """Validation failed; the message follows Mastodon's "Validation failed: ..." wording."""

    status = 422

    def __init__(self, message: str) -> None:
        super().__init__(f"Validation failed: {message}")


class Conflict(CoreError):
    status = 409


class Unauthorized(CoreError):
    status = 401

    def __init__(self, message: str = "The access token is invalid") -> None:
        super().__init__(message)
