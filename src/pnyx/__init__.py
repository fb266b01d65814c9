"""Pnyx: an open-source, decentralized social network server."""

__version__ = "0.1.0"
# What we tell Mastodon clients. They switch code paths on the leading version, so it must
# never claim more than we implement.
MASTODON_COMPAT_VERSION = "4.3.0"
