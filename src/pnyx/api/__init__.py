"""Mastodon client API: one router module per resource, entity serializers, OAuth 2."""
