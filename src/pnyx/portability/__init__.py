"""Portability (issue 14): archives a person takes away, as Mastodon writes them and beyond.

Core keeps the exports and reads what they hold (`pnyx.core.exports`); this package renders
it as ActivityStreams (which core may not speak) and writes the zip parts. It sits beside
federation, above core: api, web, cli and the job registry call it; it calls no edge.
"""
