"""viewer versions: an account's reading rules say when they changed

Revision ID: 0032
Revises: 0031

`viewer_versions.version` moves, by triggers in the same transaction as the change, whenever
what an account's timelines are decided with changes: whom it follows and with which options,
its blocks (and blocks of it), mutes, blocked domains, muted conversations, the members of
its exclusive lists, and its filters with their keywords and posts. So those rules can be kept
in memory between requests and checked with the version alone (`core.viewer_rules`), read in
the token lookup every request makes anyway. Triggers, as for render versions (0031): a writer
that forgot to move the version would serve a stale block, and nothing would notice.

No foreign key: a trigger of a row deleted with its account would write the version of an
account being deleted. A row of a deleted account is a few bytes nobody reads.
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# (table, the SQL giving the accounts whose rules a row is part of, with {row} for NEW/OLD)
RULE_PARTS = (
    ("follows", ("{row}.account_id",)),
    ("blocks", ("{row}.account_id", "{row}.target_account_id")),
    ("mutes", ("{row}.account_id",)),
    ("account_domain_blocks", ("{row}.account_id",)),
    ("conversation_mutes", ("{row}.account_id",)),
    ("lists", ("{row}.account_id",)),
    ("list_accounts", ("(SELECT account_id FROM lists WHERE id = {row}.list_id)",)),
    ("custom_filters", ("{row}.account_id",)),
    (
        "custom_filter_keywords",
        ("(SELECT account_id FROM custom_filters WHERE id = {row}.custom_filter_id)",),
    ),
    (
        "custom_filter_statuses",
        ("(SELECT account_id FROM custom_filters WHERE id = {row}.custom_filter_id)",),
    ),
)

OPERATIONS = (("insert", ("NEW",)), ("update", ("NEW", "OLD")), ("delete", ("OLD",)))


def _bump(accounts: str) -> str:
    """Move the version of the account `accounts` (an SQL expression) names, if any."""
    return (
        f"INSERT INTO viewer_versions (account_id, version) SELECT {accounts}, 1 "
        f"WHERE {accounts} IS NOT NULL "
        "ON CONFLICT (account_id) DO UPDATE SET version = viewer_versions.version + 1;"
    )


def _sqlite_upgrade() -> None:
    for table, expressions in RULE_PARTS:
        for name, rows in OPERATIONS:
            bumps = " ".join(_bump(e.format(row=r)) for e in expressions for r in rows)
            op.execute(
                f"CREATE TRIGGER {table}_viewer_{name} AFTER {name.upper()} ON {table} "
                f"FOR EACH ROW BEGIN {bumps} END"
            )


def _postgres_upgrade() -> None:
    for table, expressions in RULE_PARTS:
        function = f"pnyx_viewer_version_{table}"
        # Each account once and in order: ON CONFLICT may not touch a row twice in one
        # statement, and two transactions bumping the same pair lock it in the same order.
        new = ", ".join(e.format(row="NEW") for e in expressions)
        old = ", ".join(e.format(row="OLD") for e in expressions)
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger AS $$
            DECLARE
                ids bigint[] := '{{}}';
            BEGIN
                IF TG_OP <> 'DELETE' THEN
                    ids := ids || ARRAY[{new}]::bigint[];
                END IF;
                IF TG_OP <> 'INSERT' THEN
                    ids := ids || ARRAY[{old}]::bigint[];
                END IF;
                INSERT INTO viewer_versions (account_id, version)
                SELECT DISTINCT id, 1 FROM unnest(ids) AS id WHERE id IS NOT NULL ORDER BY id
                ON CONFLICT (account_id) DO UPDATE SET version = viewer_versions.version + 1;
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_viewer AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    key = "BIGINT NOT NULL" if postgres else "INTEGER NOT NULL"  # SQLite: the rowid
    op.execute(
        f"CREATE TABLE viewer_versions (account_id {key} PRIMARY KEY, "
        "version BIGINT NOT NULL DEFAULT 0)"
    )
    if postgres:
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in RULE_PARTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_viewer ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS pnyx_viewer_version_{table}()")
    else:
        for table, _ in RULE_PARTS:
            for name, _rows in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_viewer_{name}")
    op.execute("DROP TABLE viewer_versions")
