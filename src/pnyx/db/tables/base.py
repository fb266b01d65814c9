"""What every table module shares: one MetaData with the naming convention the migrations
use, the id type, and small column helpers."""

from __future__ import annotations

import sqlalchemy as sa

from pnyx.db.types import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# 64-bit ids. On SQLite they are declared INTEGER so that a single-column primary key is an
# alias of the rowid: a lookup by id is then one B-tree search instead of two.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def id_column() -> sa.Column:
    return sa.Column("id", ID, primary_key=True, autoincrement=False)


def foreign_key(
    name: str, target: str, *, nullable: bool = False, ondelete: str = "CASCADE"
) -> sa.Column:
    return sa.Column(name, ID, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def created_column() -> sa.Column:
    return sa.Column("created_at", UTCDateTime, nullable=False)
