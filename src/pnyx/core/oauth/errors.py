"""Errors in OAuth's own language (RFC 6749 §5.2), and the standard descriptions."""

from __future__ import annotations


class OAuthError(Exception):
    """An OAuth 2 failure (RFC 6749 §5.2): answered as {"error", "error_description"}.

    Kept apart from CoreError because OAuth clients read `error` as a machine code
    (`invalid_grant` ...), not as Mastodon's human sentence.
    """

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


class RedirectableError(OAuthError):
    """An authorization error that may be sent back to the (already verified) redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None):
        super().__init__(error, description)
        self.redirect_uri = redirect_uri
        self.state = state
