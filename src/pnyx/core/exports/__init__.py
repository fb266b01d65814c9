"""Exports (issue 14, "leave with everything"): what a person can take away from here.

`records` keeps the exports themselves (requested, built by the `export.build` job with its
progress, downloadable in parts until they expire); `csv_files` writes Mastodon's CSV files
(follows, lists, blocks, mutes, domain blocks, bookmarks) and the followers list; `contents`
reads, page by page, what an archive holds. Rendering the posts as ActivityStreams and
writing the zip parts is `pnyx.portability`'s: core does not speak ActivityPub.
"""
