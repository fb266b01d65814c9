"""Materialized feeds with their provenance: for each local viewer, the newest statuses of
their home and list feeds, each with the reason it is there.

    a status is created or received ──> `fan_out` (a job): one entry per feed it belongs in
    unfollow, block, mute, list and hashtag changes ──> `removal` (jobs), `rebuild.merge`
    a feed not built (new, or its viewer was away) ──> `rebuild` (a job, or `pnyx feeds`)
    home and list timelines ──> `entries` (the newest of a feed), then today's rules

Entries are *candidates*, not decisions: the timelines apply the very same read-time rules
(`core.timelines.home_timeline`) to them, so an entry a job has not removed yet is never
shown wrongly. A feed is complete down to its state's `floor_id`; older pages are read from
`statuses` as before (and so is a feed not built yet).

`reasons` names the bits; `provenance` gives the reasons of any served page, whichever way it
was read. Nothing here is imported by this package's __init__, so that the timelines may use
`entries` while `rebuild` uses the timelines' candidate queries.
"""
