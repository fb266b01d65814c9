"""labels: labelers, their definitions and labels, subscriptions and settings

Revision ID: 0035
Revises: 0034

Issue 12's labels. Any account can be a labeler: it publishes label definitions and issues
labels, signed with an Ed25519 key (`integrity_keys`: Data Integrity proofs, FEP-8b32, the key
announced on the actor per FEP-521a). A person subscribes to labelers and sets what each label
does to their view; both are part of the rules their timelines are decided with, so they move
the person's viewer version as follows and filters do (migration 0032's triggers). A rule says
whether breaking it leads to a removal or to a label (`rules.consequence`).
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = pnyx.db.types.UTCDateTime()
# The tables whose rows are part of a person's reading rules (see 0032).
RULE_PARTS = ("labeler_subscriptions", "label_settings")
OPERATIONS = (("insert", ("NEW",)), ("update", ("NEW", "OLD")), ("delete", ("OLD",)))


def _fk(column: str, target: str, table: str, ondelete: str = "CASCADE"):
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target.split('.')[0]}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.add_column("rules", sa.Column("consequence", sa.String(length=16), nullable=True))
    op.create_table(
        "integrity_keys",
        sa.Column("key_id", sa.String(length=2048), nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        _fk("account_id", "accounts.id", "integrity_keys"),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_integrity_keys")),
    )
    op.create_index("ix_integrity_keys_account_id", "integrity_keys", ["account_id"])
    op.create_table(
        "label_definitions",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("labeler_account_id", ID, nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("default_setting", sa.String(length=8), nullable=False),
        sa.Column("locales", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("labeler_account_id", "accounts.id", "label_definitions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_definitions")),
        sa.UniqueConstraint(
            "labeler_account_id",
            "value",
            name=op.f("uq_label_definitions_labeler_account_id_value"),
        ),
    )
    op.create_table(
        "labels",
        sa.Column("id", ID, autoincrement=False, nullable=False),
        sa.Column("labeler_account_id", ID, nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("subject_uri", sa.String(length=2048), nullable=False),
        sa.Column("status_id", ID, nullable=True),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("neg", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("labeled_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        _fk("labeler_account_id", "accounts.id", "labels"),
        _fk("status_id", "statuses.id", "labels"),
        _fk("account_id", "accounts.id", "labels"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labels")),
        sa.UniqueConstraint("uri", name=op.f("uq_labels_uri")),
        sa.UniqueConstraint(
            "labeler_account_id",
            "subject_uri",
            "value",
            name=op.f("uq_labels_labeler_account_id_subject_uri_value"),
        ),
    )
    op.create_index("ix_labels_status_id", "labels", ["status_id"])
    op.create_index("ix_labels_account_id", "labels", ["account_id"])
    op.create_table(
        "labeler_subscriptions",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("labeler_account_id", ID, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        _fk("account_id", "accounts.id", "labeler_subscriptions"),
        _fk("labeler_account_id", "accounts.id", "labeler_subscriptions"),
        sa.PrimaryKeyConstraint(
            "account_id", "labeler_account_id", name=op.f("pk_labeler_subscriptions")
        ),
    )
    op.create_table(
        "label_settings",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("labeler_account_id", ID, nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("setting", sa.String(length=8), nullable=False),
        _fk("account_id", "accounts.id", "label_settings"),
        _fk("labeler_account_id", "accounts.id", "label_settings"),
        sa.PrimaryKeyConstraint(
            "account_id", "labeler_account_id", "value", name=op.f("pk_label_settings")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _bump(account: str) -> str:
    return (
        f"INSERT INTO viewer_versions (account_id, version) SELECT {account}, 1 "
        "ON CONFLICT (account_id) DO UPDATE SET version = viewer_versions.version + 1;"
    )


def _sqlite_triggers() -> None:
    for table in RULE_PARTS:
        for name, rows in OPERATIONS:
            bumps = " ".join(_bump(f"{row}.account_id") for row in rows)
            op.execute(
                f"CREATE TRIGGER {table}_viewer_{name} AFTER {name.upper()} ON {table} "
                f"FOR EACH ROW BEGIN {bumps} END"
            )


def _postgres_triggers() -> None:
    for table in RULE_PARTS:
        function = f"pnyx_viewer_version_{table}"
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger AS $$
            DECLARE
                ids bigint[] := '{{}}';
            BEGIN
                IF TG_OP <> 'DELETE' THEN
                    ids := ids || NEW.account_id;
                END IF;
                IF TG_OP <> 'INSERT' THEN
                    ids := ids || OLD.account_id;
                END IF;
                INSERT INTO viewer_versions (account_id, version)
                SELECT DISTINCT id, 1 FROM unnest(ids) AS id ORDER BY id
                ON CONFLICT (account_id) DO UPDATE SET version = viewer_versions.version + 1;
                RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_viewer AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in RULE_PARTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_viewer ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS pnyx_viewer_version_{table}()")
    else:
        for table in RULE_PARTS:
            for name, _rows in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_viewer_{name}")
    op.drop_table("label_settings")
    op.drop_table("labeler_subscriptions")
    op.drop_index("ix_labels_account_id", table_name="labels")
    op.drop_index("ix_labels_status_id", table_name="labels")
    op.drop_table("labels")
    op.drop_table("label_definitions")
    op.drop_index("ix_integrity_keys_account_id", table_name="integrity_keys")
    op.drop_table("integrity_keys")
    op.drop_column("rules", "consequence")
