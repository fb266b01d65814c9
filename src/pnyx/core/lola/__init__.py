"""Live copies of an account from another server (LOLA, issue 14): this server is the
destination, pulling a person's old account with a token they granted at the old server.

- `clients`: this server as an OAuth client of each old server, registered once per server;
- `transfers`: the copies themselves: authorization, job steps, progress counters, the end;
- `rules`: what a copy may do, and how it does what is not a post (favourites, blocks);
- `following`: the accounts the old actor followed, followed again when the person asks.

Reading what the old server says (ActivityPub, OAuth over HTTP) is `pnyx.federation`'s:
`lola_client` (discovery, registration, tokens) and `lola_copy` (the jobs). Posts are made
by the archive import's path (`core.archive_import.posts`): quietly, with their origin.
"""
