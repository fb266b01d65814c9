"""Mastodon's streaming API: what happens reaches the clients connected to this process.

    core rule ──> events.record(tx, event)              the change's transaction
                     └─ `stream` subscription (signals.on_event), in the transaction:
                          PostgreSQL: pg_notify('pnyx_stream', '{"t": "status", "id": ..}')
                          SQLite:     after commit, to this process's broker
    every web process: one Broker (broker.py)
        PostgreSQL: one connection LISTENing on pnyx_stream (listener.py)
        per signal, in a database thread: who of the viewers connected here is shown what
        (core.stream_audience, the rules of the timelines), rendered for each (messages.py)
        ──> the clients' queues ──> WebSocket / server-sent events (api/streaming.py)

A signal names what happened and its ids, never what anyone may see: each process decides
and renders for its own clients, after commit, from what the database says then. Nothing
polls, and no job sits between a change and its streams.
"""
