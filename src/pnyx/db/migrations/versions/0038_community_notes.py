"""community notes: notes on posts, ratings, scoring runs, peers

Revision ID: 0038
Revises: 0037

Issue 13's crowd context. A post is shown with its notes (the API's `card` and `pnyx.notes`,
the web's "Readers added context"), so a note written, deleted or changing status moves its
post's render version, as its other parts do (0031's triggers): the pages kept in memory
show it at once.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete=ondelete,
    )


def _tables() -> None:
    op.create_table(
        "community_notes",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("subject_uri", sa.String(length=2048), nullable=False),
        sa.Column("status_id", ID, nullable=True),
        sa.Column("author_account_id", ID, nullable=True),
        sa.Column("pseudonym", sa.String(length=128), server_default="", nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("classification", sa.String(length=48), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("trustworthy_sources", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("deleted_at", TIME, nullable=True),
        sa.Column(
            "status", sa.String(length=32), server_default="NEEDS_MORE_RATINGS", nullable=False
        ),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("status_changed_at", TIME, nullable=True),
        sa.Column("first_non_nmr_at", TIME, nullable=True),
        sa.Column("first_non_nmr_status", sa.String(length=32), nullable=True),
        sa.Column("latest_non_nmr_at", TIME, nullable=True),
        sa.Column("latest_non_nmr_status", sa.String(length=32), nullable=True),
        sa.Column("crh_candidate_since", TIME, nullable=True),
        sa.Column("locked_status", sa.String(length=32), nullable=True),
        sa.Column("locked_at", TIME, nullable=True),
        sa.Column("decided_by", sa.String(length=48), nullable=True),
        sa.Column("context_reply_status_id", ID, nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        _fk("community_notes", "status_id", "statuses.id", "SET NULL"),
        _fk("community_notes", "context_reply_status_id", "statuses.id", "SET NULL"),
        _fk("community_notes", "author_account_id", "accounts.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_notes")),
        sa.UniqueConstraint("uri", name=op.f("uq_community_notes_uri")),
    )
    op.create_index("ix_community_notes_status_id", "community_notes", ["status_id"])
    op.create_index("ix_community_notes_subject_uri", "community_notes", ["subject_uri"])
    op.create_index(
        "ix_community_notes_author_account_id", "community_notes", ["author_account_id"]
    )
    op.create_table(
        "note_ratings",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("note_id", ID, nullable=False),
        sa.Column("rater_account_id", ID, nullable=True),
        sa.Column("pseudonym", sa.String(length=128), server_default="", nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=False),
        sa.Column("helpfulness_level", sa.String(length=24), nullable=False),
        sa.Column("helpful_tags", sa.JSON(), nullable=False),
        sa.Column("not_helpful_tags", sa.JSON(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("note_ratings", "note_id", "community_notes.id"),
        _fk("note_ratings", "rater_account_id", "accounts.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_ratings")),
        sa.UniqueConstraint("uri", name=op.f("uq_note_ratings_uri")),
        sa.UniqueConstraint(
            "note_id", "participant", name=op.f("uq_note_ratings_note_id_participant")
        ),
    )
    op.create_index("ix_note_ratings_rater_account_id", "note_ratings", ["rater_account_id"])


def _run_tables() -> None:
    op.create_table(
        "note_scoring_runs",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("losses", sa.JSON(), nullable=False),
        sa.Column("global_intercept", sa.Float(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("started_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_scoring_runs")),
    )
    op.create_table(
        "note_run_results",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("note_id", ID, nullable=False),
        sa.Column("intercept", sa.Float(), nullable=True),
        sa.Column("factor", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=48), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("net_min_helpful", sa.Integer(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        _fk("note_run_results", "run_id", "note_scoring_runs.id"),
        _fk("note_run_results", "note_id", "community_notes.id"),
        sa.PrimaryKeyConstraint("run_id", "note_id", name=op.f("pk_note_run_results")),
    )
    op.create_index("ix_note_run_results_note_id", "note_run_results", ["note_id"])
    op.create_table(
        "note_run_raters",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("intercept", sa.Float(), nullable=True),
        sa.Column("factor", sa.Float(), nullable=True),
        sa.Column("first_intercept", sa.Float(), nullable=False),
        sa.Column("first_factor", sa.Float(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        _fk("note_run_raters", "run_id", "note_scoring_runs.id"),
        sa.PrimaryKeyConstraint("run_id", "participant", name=op.f("pk_note_run_raters")),
    )
    op.create_table(
        "note_peers",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("note_peers", "account_id", "accounts.id"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_note_peers")),
    )


def _bump(ids: str) -> str:
    return f"UPDATE statuses SET render_version = render_version + 1 WHERE id IN ({ids});"


def upgrade() -> None:
    _tables()
    _run_tables()
    if op.get_bind().dialect.name == "postgresql":
        # 0031's function: bump the posts named by these columns of the changed row.
        op.execute(
            "CREATE TRIGGER community_notes_status_id_render AFTER INSERT OR UPDATE OR DELETE "
            "ON community_notes FOR EACH ROW EXECUTE FUNCTION "
            "pnyx_render_version_of('statuses', 'status_id')"
        )
    else:
        name = "community_notes_status_id_render"
        for event, ids in (
            ("INSERT", "NEW.status_id"),
            ("UPDATE", "NEW.status_id, OLD.status_id"),
            ("DELETE", "OLD.status_id"),
        ):
            op.execute(
                f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON community_notes "
                f"FOR EACH ROW BEGIN {_bump(ids)} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS community_notes_status_id_render ON community_notes")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS community_notes_status_id_render_{event}")
    for table in (
        "note_peers",
        "note_run_raters",
        "note_run_results",
        "note_scoring_runs",
        "note_ratings",
        "community_notes",
    ):
        op.drop_table(table)
