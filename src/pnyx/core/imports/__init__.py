"""Imports of what a person brings from another server (issue 14).

Mastodon's CSV files (following, blocks, mutes, domain blocks, bookmarks, lists), merged into
what the account has or overwriting it, as Mastodon does: `csv_files` reads a file as Mastodon
reads it, `runs` stores an import and its rows and reports its progress, `overwrite` removes
what the file no longer holds, `csv_rows` applies one row through the same core rules as the
API (a follow federates, a block ends follows ...). The network part (an account or a post
looked up on its server) is a job of the federation layer, `federation.import_lookups`.
"""
