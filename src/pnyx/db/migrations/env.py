"""Alembic environment: migrations run on the engine Pnyx hands over (see db/migrate.py)."""

from alembic import context

from pnyx.db.tables import metadata

config = context.config
engine = config.attributes["engine"]


def _sqlite_foreign_keys(connection, on: bool) -> None:
    """SQLite alters a table by rebuilding it (copy, drop, rename: `render_as_batch`). With
    foreign keys enforced, dropping the old table would delete, by cascade, every row that
    points at it (dropping a column of `accounts` would take the statuses with it), so they
    are off while migrations run. The pragma only works outside a transaction: it goes to
    the driver's connection (autocommit, see db/engine.py) before anything begins."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    finally:
        cursor.close()


with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _sqlite_foreign_keys(connection, on=False)
    try:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=sqlite,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:  # the connection goes back to the pool: as every other one, enforcing
            if connection.in_transaction():  # a migration failed: the pragma needs none open
                connection.rollback()
            _sqlite_foreign_keys(connection, on=True)
