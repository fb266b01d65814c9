"""Durable job queue stored in the database, and the worker loop that drains it."""
