"""moderation log in the open: the rule an action cites, the acting role, and what the
public may not see

Revision ID: 0033
Revises: 0032

The moderation log becomes public (issue 12): each entry can cite the instance rule it was
taken under (`rule_id`, and the rule's text as it read then, `rule_text`, so that removing
or rewording the rule later does not change what the entry said), says which role acted
(`actor_role`: admin, moderator, or the operator at the command line; the public log names
the role, not the person), and how long it lasts (`ends_at`). What only staff may read
moves out of `reason`, which the public log shows: a rejected sign-up's username goes to
`target_name` (that person never had a public account), and a domain action's comment to
`private_note` (it was the block's private comment whenever it had one; from now on `reason`
holds the public comment and `private_note` the private one). A strike (`account_warnings`)
keeps the rule it cites too, which its owner reads on the strike's page.
"""

import sqlalchemy as sa
from alembic import op

import pnyx.db.types

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The columns of the log the data moves touch (both ways).
log = sa.table(
    "moderation_log",
    sa.column("id", ID),
    sa.column("action", sa.String),
    sa.column("reason", sa.Text),
    sa.column("target_name", sa.String),
    sa.column("target_domain", sa.String),
    sa.column("private_note", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_id", ID, nullable=True))
        batch_op.add_column(sa.Column("rule_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("actor_role", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("target_name", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("ends_at", pnyx.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("private_note", sa.Text(), nullable=True))
    with op.batch_alter_table("account_warnings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule_id", ID, nullable=True))
        batch_op.add_column(sa.Column("rule_text", sa.Text(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        log.update()
        .where(log.c.target_domain.is_not(None))
        .values(private_note=log.c.reason, reason="")
    )
    rejected = bind.execute(sa.select(log.c.id, log.c.reason).where(log.c.action == "reject"))
    for row in rejected.all():
        # Written as "<username>: <reason>" until now.
        name, _, reason = (row.reason or "").partition(": ")
        bind.execute(
            log.update()
            .where(log.c.id == row.id)
            .values(target_name=name[:255] or None, reason=reason)
        )


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(
        log.update()
        .where(log.c.target_domain.is_not(None), log.c.private_note.is_not(None))
        .values(reason=log.c.private_note)
    )
    bind.execute(
        log.update()
        .where(log.c.action == "reject", log.c.target_name.is_not(None))
        .values(reason=log.c.target_name + ": " + log.c.reason)
    )
    with op.batch_alter_table("account_warnings", schema=None) as batch_op:
        batch_op.drop_column("rule_text")
        batch_op.drop_column("rule_id")
    with op.batch_alter_table("moderation_log", schema=None) as batch_op:
        for column in (
            "private_note",
            "ends_at",
            "target_name",
            "actor_role",
            "rule_text",
            "rule_id",
        ):
            batch_op.drop_column(column)
