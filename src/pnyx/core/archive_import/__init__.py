"""Import of an archive's posts (issue 14): a Pnyx or Mastodon archive becomes posts here.

- `archive_files`: the zip parts, read safely (names, sizes, zip bombs), as one archive;
- `outbox_items`: outbox.json's items one at a time, within bounds of size and depth;
- `runs`: the imports themselves: upload, state, progress counters, what was skipped;
- `posts`: one archived post stored as a post of the importing account, quietly;
- `followers`: a Pnyx export's followers.csv, kept for a move announced from here
  (`core.pull_moves`) when the old server is gone.

What an archived ActivityPub object *says* is read by `pnyx.federation.archive_objects`
(core never reads ActivityPub), which also runs the import (`federation.archive_import.run`).
"""
