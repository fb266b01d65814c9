"""Domain blocks: servers the staff refuse (suspend) or limit (silence), as Mastodon does.

One rule, read by every edge that meets another server:
- A block covers the domain and its subdomains (`policy_for` finds the closest one).
- `suspend`: the inbox refuses whatever its actors sign (before any key is fetched:
  `federation.authentication`), nothing is delivered to it (`federation.delivery`), and its
  accounts are suspended here, known ones when the block is made, new ones when stored
  (`core.remote_store`). Lifting the block lifts the suspensions it made (those whose
  `suspended_at` is the block's `created_at`, as Mastodon marks them), not others.
- `silence` (a "limit"): its posts stay off the public and hashtag timelines
  (`silenced_condition`, used by `core.timelines.public_timelines`); followers still see them.
- `noop`: only the flags below.
- `reject_media`: its attachments are kept as links (`unknown`), its avatars and headers not
  stored (`core.remote_store`); `reject_reports`: its Flags are dropped.
- The public comment is shown in `/api/v1/instance/domain_blocks` and on /about, with the
  domain partly hidden when `obfuscate` is set; the private comment stays with the staff.
Who may change blocks (admins: Mastodon's `manage_federation`) and the moderation log entry
of each change are in `core.moderation`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Row

from pnyx.core import follows, severances
from pnyx.core.errors import Invalid, NotFound
from pnyx.db.engine import Tx
from pnyx.db.ids import new_id
from pnyx.db.tables import accounts, domain_blocks, follow_requests
from pnyx.db.tables import follows as follows_table

SEVERITIES = ("silence", "suspend", "noop")
MAX_COMMENT = 1000
# Host names (and a port, or an IPv6 literal); no `%` or `_`, which LIKE would read as patterns.
DOMAIN_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-.:[]")


@dataclass
class BlockInput:
    """What the staff set; None leaves a field as it is (on update) or at its default."""

    severity: str | None = None
    reject_media: bool | None = None
    reject_reports: bool | None = None
    private_comment: str | None = None
    public_comment: str | None = None
    obfuscate: bool | None = None


def normalize(domain: str) -> str:
    """The domain as blocks store it: lower case, no scheme, path or trailing dot."""
    text = (domain or "").strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].rstrip(".")
    if not text or not set(text) <= DOMAIN_CHARS:
        raise Invalid("Validation failed: Domain is invalid")
    return text


def _candidates(domain: str) -> list[str]:
    """The domain itself (with its port, if any), then the host and each parent domain."""
    domain = domain.lower()
    host = domain.rsplit(":", 1)[0] if domain.count(":") == 1 else domain
    parts = host.split(".")
    out = [domain] + [".".join(parts[i:]) for i in range(len(parts) - 1)]
    return list(dict.fromkeys(out))


def policy_for(tx: Tx, domain: str | None) -> Row | None:
    """The block that covers `domain` (the most specific one), or None; local: None."""
    if not domain:
        return None
    candidates = _candidates(domain)
    rows = tx.rows(sa.select(domain_blocks).where(domain_blocks.c.domain.in_(candidates)))
    if not rows:
        return None
    return min(rows, key=lambda r: candidates.index(r.domain))


def is_suspended(tx: Tx, domain: str | None) -> bool:
    block = policy_for(tx, domain)
    return block is not None and block.severity == "suspend"


def rejects_media(tx: Tx, domain: str | None) -> bool:
    block = policy_for(tx, domain)
    return block is not None and (block.reject_media or block.severity == "suspend")


def rejects_reports(tx: Tx, domain: str | None) -> bool:
    block = policy_for(tx, domain)
    return block is not None and (block.reject_reports or block.severity == "suspend")


def silenced_condition(domain_column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """SQL: the account domain in `domain_column` is limited or suspended by a block of it or
    of a parent domain."""
    return sa.exists().where(
        domain_blocks.c.severity.in_(("silence", "suspend")),
        sa.or_(
            domain_column == domain_blocks.c.domain,
            domain_column.like(sa.literal("%.") + domain_blocks.c.domain),
        ),
    )


def listing(tx: Tx, *, before_id: int | None = None, limit: int = 100) -> list[Row]:
    query = sa.select(domain_blocks)
    if before_id is not None:
        query = query.where(domain_blocks.c.id < before_id)
    return tx.rows(query.order_by(domain_blocks.c.id.desc()).limit(limit))


def get(tx: Tx, block_id: int) -> Row:
    row = tx.one_or_none(sa.select(domain_blocks).where(domain_blocks.c.id == block_id))
    if row is None:
        raise NotFound()
    return row


def _values(data: BlockInput) -> dict:
    if data.severity is not None and data.severity not in SEVERITIES:
        raise Invalid("Validation failed: Severity is not included in the list")
    for comment in (data.private_comment, data.public_comment):
        if comment is not None and len(comment) > MAX_COMMENT:
            raise Invalid(f"Validation failed: Comment is too long (maximum is {MAX_COMMENT})")
    return {key: value for key, value in vars(data).items() if value is not None}


def create(tx: Tx, domain: str, data: BlockInput) -> Row:
    """A new block (Invalid when one covers this exact domain already), applied at once."""
    domain = normalize(domain)
    if tx.scalar(sa.select(domain_blocks.c.id).where(domain_blocks.c.domain == domain)):
        raise Invalid(f"Validation failed: Domain {domain} is already blocked")
    values = {"severity": "silence", **_values(data)}
    block_id = new_id()
    tx.execute(
        domain_blocks.insert().values(
            id=block_id, domain=domain, created_at=tx.now, updated_at=tx.now, **values
        )
    )
    row = get(tx, block_id)
    _apply(tx, row)
    return row


def update(tx: Tx, block_id: int, data: BlockInput) -> Row:
    """Change a block's severity, flags or comments; the suspensions follow the severity."""
    before = get(tx, block_id)
    tx.execute(
        domain_blocks.update()
        .where(domain_blocks.c.id == block_id)
        .values(updated_at=tx.now, **_values(data))
    )
    row = get(tx, block_id)
    if before.severity == "suspend" and row.severity != "suspend":
        _lift(tx, before)
    elif row.severity == "suspend":
        _apply(tx, row)
    return row


def remove(tx: Tx, block_id: int) -> Row:
    """Delete a block and lift the suspensions it made."""
    row = get(tx, block_id)
    _lift(tx, row)
    tx.execute(domain_blocks.delete().where(domain_blocks.c.id == block_id))
    return row


def _of_domain(domain: str) -> sa.ColumnElement[bool]:
    return sa.or_(accounts.c.domain == domain, accounts.c.domain.like(f"%.{domain}"))


def _apply(tx: Tx, block: Row) -> None:
    """A suspending block suspends the domain's accounts not suspended already, marked with
    the block's creation time so that lifting it finds them."""
    if block.severity != "suspend":
        return
    tx.execute(
        accounts.update()
        .where(accounts.c.domain.is_not(None), _of_domain(block.domain))
        .where(accounts.c.suspended_at.is_(None))
        .values(suspended_at=block.created_at, suspension_reason=f"Domain {block.domain} blocked")
    )
    _sever(tx, block)


def _sever(tx: Tx, block: Row) -> None:
    """End the follows and requests between people here and the suspended domain's accounts
    (that server is not told: nothing is sent to it any more)."""
    there = sa.select(accounts.c.id).where(accounts.c.domain.is_not(None), _of_domain(block.domain))
    here = sa.select(accounts.c.id).where(accounts.c.domain.is_(None))
    lost = severances.Losses()
    for table in (follows_table, follow_requests):
        is_follow = table is follows_table
        outgoing = tx.rows(
            sa.select(table.c.account_id, table.c.target_account_id).where(
                table.c.account_id.in_(here), table.c.target_account_id.in_(there)
            )
        )
        for follower_id, target_id in outgoing:
            if is_follow and follows.delete_follow(tx, follower_id, target_id):
                lost.lost_follow(follower_id)
            elif not is_follow:
                follows.delete_request(tx, follower_id, target_id)
        incoming = tx.rows(
            sa.select(table.c.account_id, table.c.target_account_id).where(
                table.c.account_id.in_(there), table.c.target_account_id.in_(here)
            )
        )
        for follower_id, target_id in incoming:
            if is_follow and follows.delete_follow(tx, follower_id, target_id):
                lost.lost_follower(target_id)
            elif not is_follow:
                follows.delete_request(tx, follower_id, target_id)
    severances.record(tx, "domain_block", block.domain, lost)


def _lift(tx: Tx, block: Row) -> None:
    tx.execute(
        accounts.update()
        .where(accounts.c.domain.is_not(None), _of_domain(block.domain))
        .where(accounts.c.suspended_at == block.created_at)
        .values(suspended_at=None, suspension_reason=None)
    )


def suspension_for_new_account(tx: Tx, domain: str) -> dict:
    """The columns a newly stored account of `domain` starts with: suspended as the block's
    other accounts when its domain is suspended."""
    block = policy_for(tx, domain)
    if block is None or block.severity != "suspend":
        return {}
    return {"suspended_at": block.created_at, "suspension_reason": f"Domain {block.domain} blocked"}


def shown_domain(block: Row) -> str:
    """The domain as the public sees it: partly starred out when the staff asked for that."""
    return starred(block.domain) if block.obfuscate else block.domain


def starred(domain: str) -> str:
    """A domain partly starred out (its dots and every third letter kept)."""
    return "".join(ch if ch == "." or i % 3 == 0 else "*" for i, ch in enumerate(domain))


def digest(block: Row) -> str:
    return hashlib.sha256(block.domain.encode()).hexdigest()


def public_list(tx: Tx) -> list[Row]:
    """The blocks that limit something (not `noop`), for the public list (Mastodon shows
    them to anyone by default)."""
    return tx.rows(
        sa.select(domain_blocks)
        .where(domain_blocks.c.severity != "noop")
        .order_by(domain_blocks.c.domain)
    )
