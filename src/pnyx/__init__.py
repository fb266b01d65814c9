"""Pnyx: an open-source, decentralized social network server."""

__version__ = "0.1.0"
# What we tell Mastodon clients. They switch code paths on the leading version and on the API
# version, so neither may claim more than we implement: every feature Mastodon's documentation
# tags with API versions up to MASTODON_API_VERSION is served (docs/api.md lists them).
MASTODON_COMPAT_VERSION = "4.5.0"
MASTODON_API_VERSION = 7
