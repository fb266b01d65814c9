"""Rows and bundles from core -> the Mastodon entities (plain dicts) that the API sends and
the web pages render, so an app and a page show a person exactly the same thing. Shared by
`api` and `web`; imports only `core` and `config`."""
