"""Storage: engine, table definitions, migrations. Core talks to the database through here."""
