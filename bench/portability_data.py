"""The account bench/portability.py exports and imports: one person with years of posts.

Built once per size and database, and kept (SQLite file, manifest and media store under
bench/data/portability-<posts>-<media>-<kind>/; PostgreSQL databases named
<base>_<posts>_<media>); rebuilt when the migrations or this builder change, or on --rebuild.

Rows are written directly, in batches, but in the shapes the write paths make:
- the schema is the migrations'; alice is made by `core.accounts.create_local` with an avatar
  and a header through `core.profile_media`; the other accounts (local ones, and remote ones
  on a dozen servers) are rows as `uris.account_actor_urls` and the fetcher write them;
- alice's posts go back two years with ids made from their dates (`new_id(at)`). Their text
  is drawn from a word list with a lognormal length up to 500 characters; their HTML,
  mentions and hashtags come from `core.text.render`, as `statuses.create` makes them.
  Visibility is 70% public, 15% unlisted, 10% followers-only, 5% direct (with a mention);
  20% are replies (three in four to her own earlier posts, as threads; the others to
  someone's post, naming its author); 6% carry a content warning; 1% a closed poll with its
  tallies; 3% were edited once (a `status_edits` row, `edited_at`); counters are final;
- 2,000 (--small: 200) of them carry an image each: a real small JPEG or PNG (200-640 px, a
  gradient under noise) made with Pillow and put through `core.media.process_checked` and
  `store_renditions` (the upload pipeline: re-encoded file, thumbnail, blurhash, meta), with
  its `media_attachments` row from `media.done_values`; 70% have a description;
- she boosted 400 of others' posts (2% as many at --small), liked 1,500 and bookmarked 300;
  she follows 250 accounts (with their boosts, bell and languages options), 300 follow her;
  30 blocks, 40 mutes, 8 blocked servers, 6 lists of followed accounts;
- the search index is filled by `search_index.reindex`, as `pnyx search reindex` does.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageDraw
from tqdm import tqdm

from pnyx.config import Settings
from pnyx.core import accounts as core_accounts
from pnyx.core import media, oauth, profile_media, search_index, text, uris
from pnyx.core.media_store import store_for
from pnyx.db.engine import Database, Tx, normalize_url
from pnyx.db.ids import new_id
from pnyx.db.migrate import MIGRATIONS_DIR, upgrade
from pnyx.db.tables import (
    account_domain_blocks,
    accounts,
    blocks,
    bookmarks,
    favourites,
    follows,
    list_accounts,
    lists,
    media_attachments,
    mentions,
    mutes,
    polls,
    status_edits,
    status_tags,
    statuses,
    tags,
)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
DOMAIN = "bench.localhost"
USERNAME = "alice"
BUILDER_VERSION = 1  # bump when the generated data changes, so kept builds are redone
BATCH = 2000
SPEECH = (
    "the assembly gathered on the hill to speak and listen citizens argued about harbours "
    "grain ships festivals theatre taxes walls olive oil silver mines juries lots ostracism "
    "philosophy rhetoric weather music markets laws temples and long war someone said that "
    "nothing was ever decided before the evening when the lamps were lit again"
)
WORDS = SPEECH.split()
TAGS = [f"topic{i}" for i in range(40)] + ["Pnyx", "Fediverse", "Athens", "photography"]
CW = ("politics", "food", "long post", "spoilers for the play", "eye contact", "lewd jokes")
LANGUAGES = ("en",) * 8 + ("fr", "de")
REMOTE_DOMAINS = [f"server{i}.example" for i in range(12)]


@dataclass(frozen=True)
class Size:
    posts: int
    media: int

    @property
    def label(self) -> str:
        return f"{self.posts}_{self.media}"

    @property
    def boosts(self) -> int:
        return self.posts // 50

    @property
    def others_posts(self) -> int:
        return max(self.posts // 10, 200)


DEFAULT = Size(20_000, 2_000)
SMALL = Size(2_000, 200)


def schema_fingerprint() -> str:
    """A digest of the migrations and of this builder: data made by others is rebuilt."""
    digest = hashlib.sha256(f"builder {BUILDER_VERSION}".encode())
    for path in sorted(MIGRATIONS_DIR.rglob("*.py")):
        digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


# --- Databases -----------------------------------------------------------------------------


def folder(size: Size, kind: str) -> Path:
    return DATA_DIR / f"portability-{size.label}-{kind}"


def source_url(kind: str, size: Size, postgres_base: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder(size, kind) / 'pnyx.sqlite3'}"
    url = sa.engine.make_url(normalize_url(postgres_base))
    return url.set(database=f"{url.database}_{size.label}").render_as_string(hide_password=False)


def reset_database(url: str) -> None:
    """An empty database at `url`: the SQLite file removed, or the PostgreSQL database made
    again (the server's `postgres` database is used to do it)."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    parsed = sa.engine.make_url(normalize_url(url))
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    admin.dispose()


def settings_for(url: str, data_dir: Path) -> Settings:
    return Settings(domain=DOMAIN, database_url=url, data_dir=str(data_dir))


def prepare(kind: str, size: Size, postgres_base: str, *, seed: int, rebuild: bool) -> dict:
    """The manifest of the kept build of this size on this database, built first if there is
    none that matches."""
    url = source_url(kind, size, postgres_base)
    home = folder(size, kind)
    manifest_path = home / "manifest.json"
    if not rebuild and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        same = manifest.get("schema") == schema_fingerprint() and manifest.get("seed") == seed
        if same and _has_account(url):
            print(f"[{kind}] reusing the account built earlier ({manifest['seconds']} s)")
            return manifest
    print(f"[{kind}] building an account with {size.posts:,} posts and {size.media:,} images")
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    reset_database(url)
    manifest = build(url, home, size, seed)
    manifest_path.write_text(json.dumps(manifest, indent=2))
    print(f"[{kind}] built in {manifest['seconds']} s: {manifest['rows']}")
    return manifest


def _has_account(url: str) -> bool:
    try:
        engine = sa.create_engine(normalize_url(url))
        with engine.connect() as conn:
            found = conn.execute(
                sa.select(accounts.c.id).where(
                    accounts.c.username == USERNAME, accounts.c.domain.is_(None)
                )
            ).first()
        engine.dispose()
    except sa.exc.SQLAlchemyError:
        return False
    return found is not None


# --- Images ---------------------------------------------------------------------------------


def image_bytes(rng: random.Random, fmt: str) -> bytes:
    """A small picture: a JPEG that compresses like a photograph (a gradient under noise), or
    a PNG drawn like a screenshot or a chart (flat shapes on a plain ground)."""
    width, height = rng.randint(200, 640), rng.randint(160, 480)
    out = io.BytesIO()
    if fmt == "PNG":
        picture = Image.new("RGB", (width, height), (240, 240, 236))
        draw = ImageDraw.Draw(picture)
        for _ in range(rng.randint(4, 20)):
            x, y = rng.randrange(width), rng.randrange(height)
            box = (x, y, x + rng.randint(10, width // 2), y + rng.randint(4, height // 3))
            draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
        picture.save(out, "PNG")
        return out.getvalue()
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    gradient = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270)))
    mirrored = gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    tint = Image.merge("RGB", (gradient, mirrored, gradient)).resize((width, height))
    Image.blend(tint, noise, rng.uniform(0.1, 0.3)).save(out, "JPEG", quality=rng.randint(75, 92))
    return out.getvalue()


# --- The build --------------------------------------------------------------------------------


class _Builder:
    def __init__(self, db: Database, size: Size, seed: int) -> None:
        self.db = db
        self.settings = db.settings
        self.size = size
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.rows: dict[str, int] = {}

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def insert(self, tx: Tx, table: sa.Table, rows: list[dict]) -> None:
        for start in range(0, len(rows), BATCH):
            tx.execute(table.insert(), rows[start : start + BATCH])
        self.rows[table.name] = self.rows.get(table.name, 0) + len(rows)

    # people ---------------------------------------------------------------------------------

    def people(self) -> None:
        rng = self.rng

        def work(tx: Tx) -> None:
            self.alice, _user = core_accounts.create_local(
                tx, USERNAME, "alice@bench.example", "a long benchmark password"
            )
            self.app = oauth.create_app(tx, "Bench client", [oauth.OOB], ["read", "write"]).id
            rows = []
            for i in range(120):
                rows.append(self._account(f"user{i}", None, self.at(900 - i)))
            for i in range(180):
                domain = REMOTE_DOMAINS[i % len(REMOTE_DOMAINS)]
                rows.append(self._account(f"friend{i}", domain, self.at(800 - i)))
            self.insert(tx, accounts, rows)
            self.others = [(r["id"], r["username"], r["domain"]) for r in rows]

        self.db.run_sync(work)
        for kind in ("avatar", "header"):
            image = profile_media.prepare(self.settings, self.alice, kind, image_bytes(rng, "JPEG"))
            self.db.run_sync(
                lambda tx, kind=kind, image=image: tx.execute(
                    accounts.update()
                    .where(accounts.c.id == self.alice)
                    .values(profile_media.columns(kind, image))
                )
            )

    def _account(self, username: str, domain: str | None, created: datetime) -> dict:
        if domain is None:
            urls = uris.account_actor_urls(self.settings, username)
        else:
            base = f"https://{domain}/users/{username}"
            urls = {
                "uri": base,
                "url": f"https://{domain}/@{username}",
                "inbox_url": f"{base}/inbox",
                "shared_inbox_url": f"https://{domain}/inbox",
                "outbox_url": f"{base}/outbox",
                "followers_url": f"{base}/followers",
                "following_url": f"{base}/following",
                "featured_url": f"{base}/collections/featured",
            }
        return {
            "id": new_id(created),
            "username": username,
            "domain": domain,
            "display_name": username.capitalize(),
            "note": "",
            "fields": [],
            "also_known_as": [],
            "created_at": created,
            "updated_at": created,
            **urls,
        }

    def relations(self) -> None:
        """Follows both ways, blocks, mutes, blocked servers and lists."""
        rng = self.rng
        others = [o[0] for o in self.others]
        followed = rng.sample(others, 250)
        rest = [o for o in others if o not in set(followed)]
        followers = rng.sample(others, 300)

        def work(tx: Tx) -> None:
            follow_rows = []
            for target in followed:
                follow_rows.append(
                    {
                        "id": new_id(self.at(rng.uniform(1, 700))),
                        "account_id": self.alice,
                        "target_account_id": target,
                        "show_reblogs": rng.random() < 0.85,
                        "notify": rng.random() < 0.1,
                        "languages": rng.choice([None, None, None, ["en"], ["en", "fr"]]),
                        "created_at": self.at(rng.uniform(1, 700)),
                    }
                )
            for source in followers:
                follow_rows.append(
                    {
                        "id": new_id(self.at(rng.uniform(1, 700))),
                        "account_id": source,
                        "target_account_id": self.alice,
                        "show_reblogs": True,
                        "notify": False,
                        "languages": None,
                        "created_at": self.at(rng.uniform(1, 700)),
                    }
                )
            self.insert(tx, follows, follow_rows)
            follow_ids = {r["target_account_id"]: r["id"] for r in follow_rows[: len(followed)]}
            self.insert(tx, blocks, self._pairs(rest[:30]))
            muted = rest[30:] + rng.sample(followed, 20)
            self.insert(tx, mutes, self._pairs(muted, hide_notifications=True))
            self.insert(
                tx,
                account_domain_blocks,
                [
                    {"id": new_id(), "account_id": self.alice, "domain": f"spam{i}.example"}
                    | {"created_at": self.at(i)}
                    for i in range(8)
                ],
            )
            list_rows, member_rows = [], []
            for i, title in enumerate(("Friends", "Work", "Art, and more", "News", "Local", "Ω")):
                list_id = new_id(self.at(300 - i))
                list_rows.append(
                    {"id": list_id, "account_id": self.alice, "title": title}
                    | {"created_at": self.at(300 - i)}
                )
                for member in rng.sample(followed, rng.randint(5, 40)):
                    member_rows.append(
                        {
                            "id": new_id(),
                            "list_id": list_id,
                            "account_id": member,
                            "follow_id": follow_ids[member],
                        }
                    )
            self.insert(tx, lists, list_rows)
            self.insert(tx, list_accounts, member_rows)
            tx.execute(
                accounts.update()
                .where(accounts.c.id == self.alice)
                .values(following_count=len(followed), followers_count=len(followers))
            )

        self.db.run_sync(work)

    def _pairs(self, targets: list[int], **extra: Any) -> list[dict]:
        return [
            {
                "id": new_id(),
                "account_id": self.alice,
                "target_account_id": target,
                "created_at": self.at(self.rng.uniform(1, 500)),
                **extra,
            }
            for target in targets
        ]

    # posts ------------------------------------------------------------------------------------

    def _words(self) -> str:
        count = min(90, max(2, int(self.rng.lognormvariate(2.8, 0.8))))
        words = [self.rng.choice(WORDS) for _ in range(count)]
        sentence = " ".join(words).capitalize() + "."
        if count > 40 and self.rng.random() < 0.5:  # a second paragraph
            cut = sentence.index(" ", len(sentence) // 2)
            sentence = sentence[:cut] + ".\n\n" + sentence[cut + 1 :].capitalize()
        return sentence[:440]

    def _body(self, mention: str | None) -> str:
        rng = self.rng
        body = self._words()
        if rng.random() < 0.15:
            body += " " + " ".join(f"#{t}" for t in rng.sample(TAGS, rng.randint(1, 3)))
        if rng.random() < 0.08:
            body += f" https://news.example/articles/{rng.randint(1, 10**6)}"
        if mention is not None:
            body = f"@{mention} {body}"
        elif rng.random() < 0.08:
            _id, username, domain = rng.choice(self.others)
            body = f"{body} cc @{username}" + (f"@{domain}" if domain else "")
        return body

    def others_posts(self) -> list[dict]:
        """Posts by the others, for alice to reply to, like, bookmark and boost."""
        posts = []
        for i in range(self.size.others_posts):
            account_id, username, domain = self.rng.choice(self.others)
            created = self.at(730 * (1 - i / self.size.others_posts) + 0.5)
            sid = new_id(created)
            if domain is None:
                uri = uris.status_uri(self.settings, username, sid)
                url = uris.status_url(self.settings, username, sid)
            else:
                uri = f"https://{domain}/users/{username}/statuses/{sid}"
                url = f"https://{domain}/@{username}/{sid}"
            words = self._words()
            posts.append(
                {
                    "id": sid,
                    "uri": uri,
                    "url": url,
                    "account_id": account_id,
                    "local": domain is None,
                    "text": words if domain is None else "",
                    "content": f"<p>{words}</p>",
                    "visibility": "public",
                    "language": "en",
                    "conversation_id": sid,
                    "created_at": created,
                    "quote_policy": "public",
                }
            )
        return posts

    def alice_posts(self, others: list[dict]) -> None:
        rng, size = self.rng, self.size
        with_media = set(rng.sample(range(size.posts), size.media))
        with_poll = set(rng.sample(range(size.posts), size.posts // 100))
        edited = set(rng.sample(range(size.posts), size.posts * 3 // 100))
        mine: list[dict] = []
        counters: dict[int, int] = {}
        self.media_posts: list[tuple[int, datetime]] = []
        status_rows, mention_rows, tag_rows, poll_rows, edit_rows = [], [], [], [], []
        tag_ids: dict[str, int] = {}
        bar = tqdm(total=size.posts, desc="posts", unit="post", leave=False)

        def work(tx: Tx, start: int, stop: int) -> None:
            for i in range(start, stop):
                created = self.at(730 * (1 - i / size.posts) + rng.uniform(0, 0.01))
                sid = new_id(created)
                roll = rng.random()
                visibility = (
                    "public" if roll < 0.70 else "unlisted" if roll < 0.85
                    else "private" if roll < 0.95 else "direct"
                )  # fmt: skip
                parent = None
                if rng.random() < 0.20 and mine:
                    parent = rng.choice(mine[-200:]) if rng.random() < 0.75 else rng.choice(others)
                mention = None
                theirs = parent is not None and parent["account_id"] != self.alice
                if visibility == "direct" or theirs:
                    target = parent["account_id"] if theirs else rng.choice(self.others)[0]
                    _id, username, domain = next(o for o in self.others if o[0] == target)
                    mention = username + (f"@{domain}" if domain else "")
                body = self._body(mention)
                rendered = text.render(tx, body)
                spoiler = rng.choice(CW) if rng.random() < 0.06 else ""
                row = {
                    "id": sid,
                    "uri": uris.status_uri(self.settings, USERNAME, sid),
                    "url": uris.status_url(self.settings, USERNAME, sid),
                    "account_id": self.alice,
                    "local": True,
                    "text": body,
                    "content": rendered.html,
                    "spoiler_text": spoiler,
                    "visibility": visibility,
                    "sensitive": bool(spoiler) or (i in with_media and rng.random() < 0.1),
                    "language": rng.choice(LANGUAGES),
                    "in_reply_to_id": parent["id"] if parent else None,
                    "in_reply_to_account_id": parent["account_id"] if parent else None,
                    "conversation_id": parent["conversation_id"] if parent else sid,
                    "application_id": self.app if rng.random() < 0.6 else None,
                    "has_media": i in with_media,
                    "created_at": created,
                    "edited_at": created + timedelta(minutes=5) if i in edited else None,
                    "quote_policy": "public" if visibility in ("public", "unlisted") else "nobody",
                }
                status_rows.append(row)
                if parent is not None:
                    counters[parent["id"]] = counters.get(parent["id"], 0) + 1
                if visibility in ("public", "unlisted"):
                    mine.append(row)
                for account in rendered.mentions:
                    mention_rows.append(
                        {
                            "id": new_id(),
                            "status_id": sid,
                            "account_id": account.id,
                            "silent": False,
                            "private": visibility in ("private", "direct"),
                        }
                    )
                for written in rendered.tags:  # no duplicates, whatever their case
                    name = written.lower()
                    if name not in tag_ids:
                        tag_ids[name] = new_id()
                        tx.execute(
                            tags.insert().values(
                                id=tag_ids[name],
                                name=name,
                                display_name=written,
                                created_at=created,
                            )
                        )
                    tag_rows.append({"status_id": sid, "tag_id": tag_ids[name]})
                if i in with_poll:
                    poll_rows.append(self._poll(sid, created))
                if i in edited:
                    edit_rows.append(
                        {
                            "id": new_id(created),
                            "status_id": sid,
                            "account_id": self.alice,
                            "text": body[: len(body) // 2],
                            "content": f"<p>{body[: len(body) // 2]}</p>",
                            "spoiler_text": spoiler,
                            "created_at": created,
                        }
                    )
                if i in with_media:
                    self.media_posts.append((sid, created))
                bar.update()
            self.insert(tx, statuses, status_rows)
            self.insert(tx, mentions, mention_rows)
            self.insert(tx, status_tags, tag_rows)
            self.insert(tx, polls, poll_rows)
            self.insert(tx, status_edits, edit_rows)
            for rows in (status_rows, mention_rows, tag_rows, poll_rows, edit_rows):
                rows.clear()

        for start in range(0, size.posts, BATCH):
            self.db.run_sync(work, start, min(start + BATCH, size.posts))
        bar.close()
        self._finish_posts(others, counters)

    def _poll(self, status_id: int, created: datetime) -> dict:
        options = self.rng.sample(["tea", "coffee", "water", "wine", "milk", "nothing"], 4)
        options = options[: self.rng.randint(2, 4)]
        tallies = [self.rng.randint(0, 60) for _ in options]
        closes = created + timedelta(days=1)
        return {
            "id": new_id(created),
            "status_id": status_id,
            "account_id": self.alice,
            "options": options,
            "tallies": tallies,
            "multiple": self.rng.random() < 0.2,
            "votes_count": sum(tallies),
            "voters_count": sum(tallies),
            "expires_at": closes,
            "closed_at": closes if closes < self.now else None,
            "created_at": created,
        }

    def _finish_posts(self, others: list[dict], counters: dict[int, int]) -> None:
        """Boosts, likes, bookmarks and the final counters."""
        rng, size = self.rng, self.size
        boosted = rng.sample(others, size.boosts)
        liked = rng.sample(others, min(1500, len(others)))
        marked = rng.sample(others, min(300, len(others)))

        def work(tx: Tx) -> None:
            boosts = []
            for original in boosted:
                created = original["created_at"] + timedelta(hours=rng.uniform(0.1, 48))
                sid = new_id(min(created, self.now))
                boosts.append(
                    {
                        "id": sid,
                        "uri": uris.status_uri(self.settings, USERNAME, sid) + "/activity",
                        "account_id": self.alice,
                        "local": True,
                        "visibility": "public",
                        "reblog_of_id": original["id"],
                        "created_at": min(created, self.now),
                    }
                )
            self.insert(tx, statuses, boosts)
            self.insert(tx, favourites, self._marks(liked))
            self.insert(tx, bookmarks, self._marks(marked))
            for status_id, count in counters.items():
                tx.execute(
                    statuses.update()
                    .where(statuses.c.id == status_id)
                    .values(replies_count=statuses.c.replies_count + count)
                )
            for original in boosted:
                tx.execute(
                    statuses.update()
                    .where(statuses.c.id == original["id"])
                    .values(reblogs_count=statuses.c.reblogs_count + 1)
                )
            for original in liked:
                tx.execute(
                    statuses.update()
                    .where(statuses.c.id == original["id"])
                    .values(favourites_count=statuses.c.favourites_count + 1)
                )
            counted = tx.scalar(
                sa.select(sa.func.count())
                .select_from(statuses)
                .where(statuses.c.account_id == self.alice, statuses.c.visibility != "direct")
            )
            tx.execute(
                accounts.update()
                .where(accounts.c.id == self.alice)
                .values(statuses_count=counted, last_status_at=self.now)
            )

        self.db.run_sync(work)

    def _marks(self, posts: list[dict]) -> list[dict]:
        return [
            {
                "id": new_id(min(p["created_at"] + timedelta(hours=1), self.now)),
                "account_id": self.alice,
                "status_id": p["id"],
                "created_at": min(p["created_at"] + timedelta(hours=1), self.now),
            }
            for p in posts
        ]

    # media --------------------------------------------------------------------------------------

    def pictures(self) -> int:
        """An image for each post chosen for one, through the upload pipeline; their bytes."""
        store = store_for(self.settings)
        rng = self.rng
        stored_bytes = 0
        rows: list[dict] = []
        for status_id, created in tqdm(self.media_posts, desc="images", unit="img", leave=False):
            data = image_bytes(rng, "PNG" if rng.random() < 0.2 else "JPEG")
            processed = media.process_checked(self.settings, data)
            media_id = new_id(created)
            prefix = f"media_attachments/{media_id}/{rng.getrandbits(64):016x}"
            keys = media.store_renditions(store, prefix, processed)
            focus = {"x": round(rng.uniform(-1, 1), 2), "y": round(rng.uniform(-1, 1), 2)}
            described = rng.random() < 0.7
            rows.append(
                {
                    **media.done_values(store, keys, processed, {"focus": focus}),
                    "id": media_id,
                    "status_id": status_id,
                    "account_id": self.alice,
                    "description": " ".join(rng.choice(WORDS) for _ in range(12))
                    if described
                    else "",
                    "position": 0,
                    "created_at": created,
                }
            )
            stored_bytes += len(processed.original.data)
            if len(rows) == 200:
                self.db.run_sync(lambda tx, rows=rows: self.insert(tx, media_attachments, rows))
                rows = []
        if rows:
            self.db.run_sync(lambda tx: self.insert(tx, media_attachments, rows))
        return stored_bytes

    def index(self) -> None:
        after = 0
        with tqdm(desc="search index", unit="post", leave=False) as bar:
            while True:
                count, last = self.db.run_sync(search_index.reindex, after)
                if last is None:
                    return
                bar.update(count)
                after = last


def build(url: str, home: Path, size: Size, seed: int) -> dict:
    """Make the schema and the account; returns the manifest kept beside the data."""
    from pnyx import registry  # noqa: F401  (installs the media store)

    started = time.monotonic()
    settings = settings_for(url, home)
    db = Database(settings)
    upgrade(db.engine)
    builder = _Builder(db, size, seed)
    builder.people()
    builder.relations()
    others = builder.others_posts()
    db.run_sync(lambda tx: builder.insert(tx, statuses, others))
    builder.alice_posts(others)
    media_bytes = builder.pictures()
    builder.index()
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    db.dispose()
    return {
        "size": size.__dict__,
        "seed": seed,
        "schema": schema_fingerprint(),
        "url": url,
        "data_dir": str(home),
        "account_id": builder.alice,
        "username": USERNAME,
        "media_bytes": media_bytes,
        "rows": builder.rows,
        "seconds": round(time.monotonic() - started, 1),
    }
