"""render versions: statuses and accounts say when what they are shown with changed

Revision ID: 0031
Revises: 0030

`statuses.render_version` and `accounts.render_version` are bumped by triggers, in the same
transaction as the change, whoever makes it (a request, the inbox, a job, the CLI, a bulk
import): any update of the row itself; for a post, any insert, update or delete of its
mentions, hashtags, media, link card, poll or quote (and of a quote of it, which changes its
quotes count), an update of a card or hashtag it shows, and a new name or address of an
account it mentions; for an account, any change of its user (the staff role it shows). So a
row read again with the same version is shown the same way, and the rows a page is made of
can be kept in memory between requests and checked with one narrow query (`core.row_cache`).
Triggers rather than code in every writer: a writer that forgot would show stale posts, and
nothing would notice.
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

# (table, its column holding the post's id): a change of one of its rows changes that post.
POST_PARTS = (
    ("mentions", "status_id"),
    ("status_tags", "status_id"),
    ("media_attachments", "status_id"),
    ("preview_card_statuses", "status_id"),
    ("polls", "status_id"),
    ("quotes", "status_id"),
    ("quotes", "quoted_status_id"),  # the quoted post's quotes count
)
# (table, the columns whose change matters, the posts it changes): a change shown by many.
SHOWN_BY_POSTS = (
    (
        "preview_cards",
        None,
        "SELECT status_id FROM preview_card_statuses WHERE preview_card_id = {row}.id",
    ),
    ("tags", None, "SELECT status_id FROM status_tags WHERE tag_id = {row}.id"),
    (
        "accounts",
        ("username", "domain", "url", "uri"),
        "SELECT status_id FROM mentions WHERE account_id = {row}.id",
    ),
)


def _bump(table: str, ids: str) -> str:
    return f"UPDATE {table} SET render_version = render_version + 1 WHERE id IN ({ids});"


def _sqlite_upgrade() -> None:
    for table in ("statuses", "accounts"):
        # The trigger's own UPDATE does not fire it again (recursive triggers are off), and
        # the WHEN leaves an update that set the version itself alone.
        op.execute(
            f"CREATE TRIGGER {table}_render_version AFTER UPDATE ON {table} "
            "FOR EACH ROW WHEN NEW.render_version = OLD.render_version BEGIN "
            f"UPDATE {table} SET render_version = OLD.render_version + 1 WHERE id = NEW.id; END"
        )
    for table, column in POST_PARTS:
        name = f"{table}_{column}_render"
        op.execute(
            f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} FOR EACH ROW BEGIN "
            + _bump("statuses", f"NEW.{column}")
            + " END"
        )
        op.execute(
            f"CREATE TRIGGER {name}_update AFTER UPDATE ON {table} FOR EACH ROW BEGIN "
            + _bump("statuses", f"NEW.{column}, OLD.{column}")
            + " END"
        )
        op.execute(
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} FOR EACH ROW BEGIN "
            + _bump("statuses", f"OLD.{column}")
            + " END"
        )
    for table, columns, posts in SHOWN_BY_POSTS:
        of = f" OF {', '.join(columns)}" if columns else ""
        op.execute(
            f"CREATE TRIGGER {table}_shown_render AFTER UPDATE{of} ON {table} FOR EACH ROW "
            "BEGIN " + _bump("statuses", posts.format(row="NEW")) + " END"
        )
    for op_name, row in (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD")):
        op.execute(
            f"CREATE TRIGGER users_role_render_{op_name} AFTER {op_name.upper()} ON users "
            f"FOR EACH ROW BEGIN " + _bump("accounts", f"{row}.account_id") + " END"
        )


def _postgres_upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION pnyx_render_version_own() RETURNS trigger AS $$
        BEGIN
            IF NEW.render_version = OLD.render_version THEN
                NEW.render_version := OLD.render_version + 1;
            END IF;
            RETURN NEW;
        END $$ LANGUAGE plpgsql
        """
    )
    # Arguments: the table to bump, then the columns of the changed row holding its ids.
    op.execute(
        """
        CREATE FUNCTION pnyx_render_version_of() RETURNS trigger AS $$
        DECLARE
            target text := TG_ARGV[0];
            col text;
            ids bigint[] := '{}';
        BEGIN
            FOREACH col IN ARRAY TG_ARGV[1:] LOOP
                IF TG_OP <> 'DELETE' THEN
                    ids := ids || (to_jsonb(NEW) ->> col)::bigint;
                END IF;
                IF TG_OP <> 'INSERT' THEN
                    ids := ids || (to_jsonb(OLD) ->> col)::bigint;
                END IF;
            END LOOP;
            EXECUTE format(
                'UPDATE %I SET render_version = render_version + 1 WHERE id = ANY($1)', target
            ) USING ids;
            RETURN NULL;
        END $$ LANGUAGE plpgsql
        """
    )
    for table in ("statuses", "accounts"):
        op.execute(
            f"CREATE TRIGGER {table}_render_version BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION pnyx_render_version_own()"
        )
    for table, column in POST_PARTS:
        op.execute(
            f"CREATE TRIGGER {table}_{column}_render AFTER INSERT OR UPDATE OR DELETE "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION "
            f"pnyx_render_version_of('statuses', '{column}')"
        )
    op.execute(
        "CREATE TRIGGER users_role_render AFTER INSERT OR UPDATE OR DELETE ON users "
        "FOR EACH ROW EXECUTE FUNCTION pnyx_render_version_of('accounts', 'account_id')"
    )
    for table, columns, posts in SHOWN_BY_POSTS:
        function = f"pnyx_render_version_{table}"
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
                {_bump("statuses", posts.format(row="NEW"))}
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        of = f" OF {', '.join(columns)}" if columns else ""
        op.execute(
            f"CREATE TRIGGER {table}_shown_render AFTER UPDATE{of} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def upgrade() -> None:
    op.execute("ALTER TABLE statuses ADD COLUMN render_version INTEGER NOT NULL DEFAULT 0")
    op.execute("ALTER TABLE accounts ADD COLUMN render_version INTEGER NOT NULL DEFAULT 0")
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    names = [f"{t}_render_version" for t in ("statuses", "accounts")]
    names += [f"{t}_shown_render" for t, _, _ in SHOWN_BY_POSTS]
    if postgres:
        tables = {f"{t}_render_version": t for t in ("statuses", "accounts")}
        tables |= {f"{t}_shown_render": t for t, _, _ in SHOWN_BY_POSTS}
        tables |= {f"{t}_{c}_render": t for t, c in POST_PARTS}
        tables["users_role_render"] = "users"
        for name, table in tables.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in ("own", "of", *(t for t, _, _ in SHOWN_BY_POSTS)):
            op.execute(f"DROP FUNCTION IF EXISTS pnyx_render_version_{function}()")
    else:
        names += [
            f"{t}_{c}_render_{o}" for t, c in POST_PARTS for o in ("insert", "update", "delete")
        ]
        names += [f"users_role_render_{o}" for o in ("insert", "update", "delete")]
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("statuses") as batch_op:
        batch_op.drop_column("render_version")
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("render_version")
