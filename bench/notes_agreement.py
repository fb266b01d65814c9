"""Community notes agreement benchmark (issue 13): Pnyx's scorer on a synthetic community, and,
when given X's reference scorer, X's on the same data as Pnyx publishes it, side by side.

    .venv/bin/python bench/notes_agreement.py                  # 2,000 notes, 40,000 ratings, 1,000 raters
    .venv/bin/python bench/notes_agreement.py --benchmark      # 10,000 notes, 200,000 ratings, 5,000 raters
    .venv/bin/python bench/notes_agreement.py --benchmark \\
        --reference /path/to/communitynotes/scoring/src --reference-python /path/to/venv/bin/python \\
        --reference-main main_pflip_noprofile.py --reference-args --nostrict-columns

(The wrapper and --nostrict-columns are for X's own failures, as of X's commit 273c895
(2026-07-17): see BENCHMARKS.md, "Community notes: agreement with X's reference scorer". The
wrapper is a file of one's own beside X's main.py; below the 10,000-note size X's pflip model
fails on too little history whatever the files say. The --x-* flags patch copies of the files
as the first run needed; Pnyx's files have since been fixed and need none of them.)

X's scorer (github.com/twitter/communitynotes, Apache-2.0) is never part of Pnyx: it is run as
a subprocess from a checkout and a Python environment of its own (its scoring/requirements.txt:
numpy, pandas, torch, scipy, scikit-learn, pyarrow), given as --reference / --reference-python.
Without them this script builds, scores and exports only.

Why it is built this way:
- The community is made up where the answer is known. Raters sit in two camps (a factor near
  +0.8 or -0.8 each, a leniency of their own); notes are of three kinds: bridging (helpful to
  both camps: a high intercept, a factor near 0), partisan (helpful to one camp only: a factor
  near +-0.7, an intercept near 0.1) and bad (a low intercept). A rating is the model's own
  form plus noise (mu + i_u + i_n + f_u x f_n + N(0, 0.25)), cut into yes / somewhat / no.
  Raters' activity is heavy-tailed (a few rate hundreds of notes), notes' popularity too (some
  get fewer than 5 ratings), partisan notes are rated a little more by the camp they please,
  a share of raters answer at random (the helpfulness filter should drop them), and bad notes
  come mostly from a fifth of the authors. Tags follow the answer and the kind of note.
- Times: notes are written over `--days` days ending 5 days ago, each rating a few hours
  after its note (exponential, mean 12 h, at most 72 h): everything is older than the 48-hour
  publication delay. Raters are spread over `--servers` servers, so that Pnyx's per-server
  caps (which X does not have) do not bite; the caps' counts are printed.
- A status history as a live server would have one: the rows go into a fresh SQLite database
  (bench/data/notes-agreement-<size>/pnyx.sqlite3, made by the migrations) as time passes,
  written in bulk straight into community_notes and note_ratings (no account is needed: notes
  and ratings name their authors by participant id, as those from other servers do), and
  Pnyx scores every `--run-hours` hours with the clock at that moment (`scoring_runs`'
  read_input, `scorer.score`, `store`: what `score_here` does), then 31 minutes before now.
  So notes become Helpful after their 30 minutes of stability, and lock at 14 days, as they
  would. X's scorer needs such a history: its pflip model trains on notes locked Helpful and
  notes locked otherwise after being Helpful, and fails without them.
- One step from a common state: the open data is exported (`core.notes.data_files`, what
  /notes/data serves, the 48-hour delay off) just before Pnyx's last run, at now; X's main.py
  runs on that export with --epoch-millis now, and Pnyx's last run scores the same data at
  the same now. Any change X needs in the files is a flag here (--x-...), applied to a copy
  and printed: each is a gap in data_files. The export after Pnyx's last run is read by X's
  own loader too (its column and type checks, no scoring).
- Compared: each note's final status (a confusion matrix), over all notes and over those not
  locked before the last run (both keep a locked note's status), and against X's core model's
  status (before its other models and rules); the note intercepts and factors of Pnyx's final
  fit against X's core model's (Pearson; a factor's sign is arbitrary, so sign agreement is
  taken up to one global flip); the rater intercepts and factors the same way; both against
  the kind of note; runtimes.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from tqdm import tqdm

import pnyx.registry  # noqa: F401  (the event handlers a scoring run's status changes need)
from pnyx.config import Settings
from pnyx.core.notes import data_files, scorer, scoring_runs, vocabulary
from pnyx.core.notes.pseudonyms import participant
from pnyx.db.engine import Database
from pnyx.db.migrate import upgrade
from pnyx.db.tables import (
    community_notes,
    note_ratings,
    note_run_raters,
    note_run_results,
    note_scoring_runs,
)
from progress import ticking  # bench/progress.py (a sibling: scripts run from bench/)

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
KINDS = ("bridging", "partisan", "bad")
STATUS_SHORT = {
    vocabulary.CURRENTLY_RATED_HELPFUL: "helpful",
    vocabulary.CURRENTLY_RATED_NOT_HELPFUL: "not helpful",
    vocabulary.NEEDS_MORE_RATINGS: "needs more",
}
RUN_GAP = timedelta(minutes=31)  # more than the 30 minutes a note must stay Helpful-worthy
MU = 0.35  # the community's mean answer on the 0 / 0.5 / 1 scale, before leniency
NOISE = 0.25
BATCH = 5_000


@dataclass(frozen=True)
class Size:
    notes: int
    ratings: int
    raters: int

    @property
    def label(self) -> str:
        return f"{self.notes}-{self.ratings}-{self.raters}"


@dataclass
class Community:
    """The synthetic data, as arrays (a rating refers to a note and a rater by position)."""

    rater_ids: list[str]
    rater_origin: list[str]
    rater_factor: np.ndarray
    rater_intercept: np.ndarray
    noisy: np.ndarray
    note_kind: np.ndarray  # index into KINDS
    note_intercept: np.ndarray
    note_factor: np.ndarray
    note_author: np.ndarray
    note_misleading: np.ndarray
    note_created: np.ndarray  # ms
    note_post: np.ndarray
    note_reasons: list[list[str]]
    note_uri: list[str]
    note_topic: list[str]  # a word of X's topic model's seed terms in its text, or ""
    r_note: np.ndarray
    r_rater: np.ndarray
    r_level: np.ndarray  # 0 not helpful, 1 somewhat, 2 helpful
    r_created: np.ndarray  # ms
    r_helpful_tags: list[list[str]]
    r_not_helpful_tags: list[list[str]]


# --- The community ------------------------------------------------------------------------

# Tag weights by kind of note: what raters who said yes (or no) tick, before each note's own
# mix (a Dirichlet draw around these) is taken.
HELPFUL_TAG_WEIGHTS = {
    "bridging": {"helpfulClear": 3, "helpfulGoodSources": 4, "helpfulImportantContext": 4,
                 "helpfulUnbiasedLanguage": 3, "helpfulAddressesClaim": 2, "helpfulOther": 0.3},
    "partisan": {"helpfulClear": 2, "helpfulGoodSources": 2, "helpfulImportantContext": 3,
                 "helpfulAddressesClaim": 4, "helpfulUnbiasedLanguage": 0.5, "helpfulOther": 0.5},
    "bad": {"helpfulClear": 1, "helpfulAddressesClaim": 1, "helpfulOther": 1,
            "helpfulImportantContext": 0.5},
}  # fmt: skip
NOT_HELPFUL_TAG_WEIGHTS = {
    "bridging": {"notHelpfulMissingKeyPoints": 3, "notHelpfulNoteNotNeeded": 3,
                 "notHelpfulHardToUnderstand": 2, "notHelpfulOther": 1,
                 "notHelpfulIncorrect": 0.3},
    "partisan": {"notHelpfulArgumentativeOrBiased": 4, "notHelpfulOpinionSpeculation": 4,
                 "notHelpfulMissingKeyPoints": 2, "notHelpfulSourcesMissingOrUnreliable": 2,
                 "notHelpfulIncorrect": 1, "notHelpfulIrrelevantSources": 1},
    "bad": {"notHelpfulIncorrect": 4, "notHelpfulSourcesMissingOrUnreliable": 4,
            "notHelpfulIrrelevantSources": 2, "notHelpfulHardToUnderstand": 2,
            "notHelpfulMissingKeyPoints": 1, "notHelpfulSpamHarassmentOrAbuse": 0.2},
}  # fmt: skip
MISLEADING_REASON_CHOICES = ("misleadingFactualError", "misleadingMissingImportantContext",
                             "misleadingUnverifiedClaimAsFact", "misleadingOutdatedInformation")  # fmt: skip
# Words X's topic model takes as seeds (Ukraine, Gaza, football, scams), each with words that
# come with it: the model labels the notes that name a seed, then learns the topic from their
# other words (seeds removed) and stops when it cannot (balanced accuracy 0.35 or less), as on
# real data it can. With no such note at all it fails.
TOPIC_WORDS = {
    "ukraine": ("front", "troops", "sanctions", "shelling", "drones", "refugees"),
    "gaza": ("ceasefire", "hostages", "strip", "aid", "convoy", "border"),
    "scam": ("wallet", "crypto", "giveaway", "link", "phishing", "account"),
}
NOT_MISLEADING_REASON_CHOICES = ("notMisleadingFactuallyCorrect", "notMisleadingPersonalOpinion")


def _tag_matrix(
    rng: np.random.Generator, kinds: np.ndarray, weights: dict[str, dict[str, float]]
) -> tuple[list[str], np.ndarray]:
    """Each note's tag probabilities: (notes, tags)."""
    names = sorted({name for per_kind in weights.values() for name in per_kind})
    base = np.array([[weights[kind].get(name, 0.0) for name in names] for kind in KINDS])
    probs = np.zeros((len(kinds), len(names)))
    for k in range(len(KINDS)):
        rows = np.flatnonzero(kinds == k)
        alpha = np.where(base[k] > 0, base[k] * 2.0, 1e-3)
        probs[rows] = rng.dirichlet(alpha, size=len(rows))
    return names, probs


def _draw_tags(
    rng: np.random.Generator, names: list[str], probs: np.ndarray, notes: np.ndarray
) -> list[list[str]]:
    """One to three tags per rating, drawn from its note's mix without repeats."""
    out: list[list[str]] = []
    how_many = rng.choice([1, 2, 3], size=len(notes), p=[0.45, 0.4, 0.15])
    cumulative = np.cumsum(probs, axis=1)
    for note, count in zip(notes, how_many, strict=True):
        chosen: list[str] = []
        for _ in range(count):
            pick = int(np.searchsorted(cumulative[note], rng.random() * cumulative[note][-1]))
            name = names[min(pick, len(names) - 1)]
            if name not in chosen:
                chosen.append(name)
        out.append(chosen)
    return out


def make_community(size: Size, args: argparse.Namespace, now: datetime) -> Community:
    rng = np.random.default_rng(args.seed)
    n_raters, n_notes = size.raters, size.notes
    servers = args.servers or max(1, size.raters // 25)
    origins = [f"s{k:03d}.example" for k in range(servers)]
    rater_origin = [origins[k % servers] for k in range(n_raters)]
    rater_ids = [participant(rater_origin[k], f"bench-rater-{k}") for k in range(n_raters)]
    camp = np.where(rng.random(n_raters) < args.camp_share, 1.0, -1.0)
    rater_factor = camp * np.clip(rng.normal(0.8, 0.25, n_raters), 0.1, None)
    rater_intercept = rng.normal(0.0, 0.15, n_raters)
    noisy = rng.random(n_raters) < args.noisy_share
    activity = rng.lognormal(0.0, 1.3, n_raters)

    kind = rng.choice(3, size=n_notes, p=args.mix)
    note_intercept = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.normal(0.55, 0.1, n_notes), rng.normal(0.1, 0.1, n_notes),
         rng.normal(-0.35, 0.1, n_notes)],
    )  # fmt: skip
    side = np.where(rng.random(n_notes) < 0.5, 1.0, -1.0)
    note_factor = np.select(
        [kind == 0, kind == 1, kind == 2],
        [rng.normal(0.0, 0.12, n_notes), side * rng.normal(0.7, 0.15, n_notes),
         rng.normal(0.0, 0.2, n_notes)],
    )  # fmt: skip
    # Authors: anyone, but bad notes mostly from a fifth of them.
    sloppy = rng.random(n_raters) < 0.2
    writer_weight = activity / activity.sum()
    sloppy_weight = np.where(sloppy, activity, 0.0)
    sloppy_weight /= sloppy_weight.sum()
    note_author = np.where(
        (kind == 2) & (rng.random(n_notes) < 0.8),
        rng.choice(n_raters, size=n_notes, p=sloppy_weight),
        rng.choice(n_raters, size=n_notes, p=writer_weight),
    )
    note_misleading = rng.random(n_notes) >= args.not_misleading_share
    span_ms = args.days * 86_400_000
    end_ms = int((now - timedelta(days=5)).timestamp() * 1000)
    note_created = end_ms - rng.integers(0, span_ms, n_notes)
    n_posts = max(1, int(n_notes * 0.5))
    note_post = rng.integers(0, n_posts, n_notes)
    post_topic = [str(rng.choice(list(TOPIC_WORDS))) if rng.random() < args.topic_share else ""
                  for _ in range(n_posts)]  # fmt: skip
    note_reasons = [
        [str(rng.choice(MISLEADING_REASON_CHOICES if m else NOT_MISLEADING_REASON_CHOICES))]
        for m in note_misleading
    ]

    # How many ratings each note gets (heavy-tailed), and by whom.
    popularity = rng.lognormal(0.0, 1.0, n_notes)
    per_note = rng.multinomial(size.ratings, popularity / popularity.sum())
    per_note = np.minimum(per_note, n_raters - 1)
    log_activity = np.log(activity)
    r_note_parts, r_rater_parts = [], []
    for n in tqdm(range(n_notes), desc="ratings", unit="note", leave=False):
        count = int(per_note[n])
        if not count:
            continue
        keys = log_activity + rng.gumbel(size=n_raters)  # weighted draw without repeats
        if kind[n] == 1:
            keys = keys + np.where(np.sign(rater_factor) == np.sign(note_factor[n]), 0.4, 0.0)
        keys[note_author[n]] = -np.inf  # nobody rates their own note
        chosen = np.argpartition(-keys, count - 1)[:count]
        r_note_parts.append(np.full(count, n))
        r_rater_parts.append(chosen)
    r_note = np.concatenate(r_note_parts)
    r_rater = np.concatenate(r_rater_parts)
    latent = (
        MU
        + rater_intercept[r_rater]
        + note_intercept[r_note]
        + rater_factor[r_rater] * note_factor[r_note]
        + rng.normal(0.0, NOISE, len(r_note))
    )
    r_level = np.where(latent > 0.65, 2, np.where(latent < 0.35, 0, 1))
    random_answer = noisy[r_rater]
    r_level[random_answer] = rng.integers(0, 3, int(random_answer.sum()))
    delay = np.minimum(rng.exponential(12 * 3_600_000, len(r_note)), 72 * 3_600_000)
    r_created = note_created[r_note] + 60_000 + delay.astype(np.int64)

    helpful_names, helpful_probs = _tag_matrix(rng, kind, HELPFUL_TAG_WEIGHTS)
    unhelpful_names, unhelpful_probs = _tag_matrix(rng, kind, NOT_HELPFUL_TAG_WEIGHTS)
    r_helpful_tags: list[list[str]] = [[] for _ in range(len(r_note))]
    r_not_helpful_tags: list[list[str]] = [[] for _ in range(len(r_note))]
    yes, no = np.flatnonzero(r_level == 2), np.flatnonzero(r_level == 0)
    for k, tags in zip(yes, _draw_tags(rng, helpful_names, helpful_probs, r_note[yes]),
                       strict=True):  # fmt: skip
        r_helpful_tags[k] = tags
    for k, tags in zip(no, _draw_tags(rng, unhelpful_names, unhelpful_probs, r_note[no]),
                       strict=True):  # fmt: skip
        r_not_helpful_tags[k] = tags
    return Community(
        rater_ids, rater_origin, rater_factor, rater_intercept, noisy, kind, note_intercept,
        note_factor, note_author, note_misleading, note_created, note_post, note_reasons,
        [f"https://{rater_origin[int(note_author[n])]}/notes/{n + 1}" for n in range(n_notes)],
        [post_topic[int(p)] for p in note_post],
        r_note, r_rater, r_level, r_created, r_helpful_tags, r_not_helpful_tags,
    )  # fmt: skip


# --- The database -------------------------------------------------------------------------

LEVEL_NAMES = (vocabulary.NOT_HELPFUL, vocabulary.SOMEWHAT_HELPFUL, vocabulary.HELPFUL)
SUMMARY_WORDS = ("the", "claim", "omits", "that", "official", "figures", "show", "a", "rise",
                 "since", "last", "year", "according", "to", "records", "published", "by")  # fmt: skip


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _summary(rng: np.random.Generator, topic: str, n: int) -> str:
    words = list(rng.choice(SUMMARY_WORDS, size=12))
    if topic:
        words[2:2] = [topic, *rng.choice(TOPIC_WORDS[topic], size=4, replace=False)]
    return " ".join(words) + f" https://sources.example/{n + 1}"


def open_database(path: Path) -> Database:
    """A fresh SQLite database made by the migrations."""
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    settings = Settings(domain="bench.localhost", database_url=f"sqlite:///{path}",
                        data_dir=str(DATA_DIR))  # fmt: skip
    upgrade(Database(settings).engine)
    return Database(settings)


class Feed:
    """Writes the community into the database as time passes: every note and rating made by
    a moment, in bulk, as a server that had received them would hold them."""

    def __init__(self, c: Community) -> None:
        self.c = c
        # Note ids as the server makes them (time-ordered).
        self.note_ids = [(int(c.note_created[n]) << 16) | (n & 0xFFFF)
                         for n in range(len(c.note_kind))]  # fmt: skip
        self.note_order = np.argsort(c.note_created, kind="stable")
        self.rating_order = np.lexsort((c.r_rater, c.r_created))
        self.notes_done = 0
        self.ratings_done = 0
        self.rng = np.random.default_rng(1)

    def _note_row(self, n: int) -> dict:
        c = self.c
        author = int(c.note_author[n])
        return {
            "id": self.note_ids[n],
            "uri": c.note_uri[n],
            "subject_uri": f"https://posts.example/users/x/statuses/{int(c.note_post[n]) + 1}",
            "status_id": None,
            "author_account_id": None,
            "participant": c.rater_ids[author],
            "origin": c.rater_origin[author],
            "classification": (
                vocabulary.MISLEADING if c.note_misleading[n] else vocabulary.NOT_MISLEADING
            ),  # fmt: skip
            "reasons": c.note_reasons[n],
            "trustworthy_sources": bool(self.rng.random() < 0.8),
            "summary": _summary(self.rng, c.note_topic[n], n),
            "document": None,
            "tags": [],
            "created_at": _time(int(c.note_created[n])),
        }

    def _rating_row(self, j: int) -> dict:
        c = self.c
        k = int(self.rating_order[j])
        n, u = int(c.r_note[k]), int(c.r_rater[k])
        at = _time(int(c.r_created[k]))
        return {
            "id": (int(c.r_created[k]) << 16) | (j & 0xFFFF),
            "uri": f"https://{c.rater_origin[u]}/notes/{n + 1}/ratings/{j + 1}",
            "note_id": self.note_ids[n],
            "rater_account_id": None,
            "participant": c.rater_ids[u],
            "origin": c.rater_origin[u],
            "helpfulness_level": LEVEL_NAMES[int(c.r_level[k])],
            "helpful_tags": c.r_helpful_tags[k],
            "not_helpful_tags": c.r_not_helpful_tags[k],
            "document": None,
            "updated_at": at,
            "created_at": at,
        }

    def until(self, db: Database, moment: datetime) -> int:
        """Insert everything made by `moment` not inserted yet; how many rows."""
        ms = int(moment.timestamp() * 1000)
        c = self.c
        notes_end = int(np.searchsorted(c.note_created[self.note_order], ms, side="right"))
        ratings_end = int(np.searchsorted(c.r_created[self.rating_order], ms, side="right"))
        rows = 0
        for start in range(self.notes_done, notes_end, BATCH):
            chunk = [self._note_row(int(n))
                     for n in self.note_order[start : min(start + BATCH, notes_end)]]  # fmt: skip
            db.run_sync(lambda tx, chunk=chunk: tx.execute(community_notes.insert(), chunk))
            rows += len(chunk)
        for start in range(self.ratings_done, ratings_end, BATCH):
            chunk = [self._rating_row(j) for j in range(start, min(start + BATCH, ratings_end))]
            db.run_sync(lambda tx, chunk=chunk: tx.execute(note_ratings.insert(), chunk))
            rows += len(chunk)
        self.notes_done, self.ratings_done = notes_end, ratings_end
        return rows


def export(db: Database, directory: Path) -> dict[str, Path]:
    """The open data as /notes/data serves it (without the 48-hour delay)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind in data_files.FILES:
        path = directory / data_files.file_name(kind)

        def write(tx, kind=kind, path=path) -> None:
            with path.open("w", encoding="utf-8", newline="") as out:
                for line in data_files.rows(tx, kind, delayed=False):
                    out.write(line)

        db.run_sync(write, write=False)
        paths[kind] = path
    return paths


# --- Pnyx's runs --------------------------------------------------------------------------


def score_at(db: Database, moment: datetime) -> tuple[scoring_runs.RunSummary, float]:
    """`scoring_runs.score_here`'s steps (read, score, store) with the clock at `moment`;
    the summary and the wall time of all three."""
    began = time.perf_counter()
    with db.transaction(write=False) as tx:
        tx.now = moment
        data = scoring_runs.read_input(tx)
    scoring = time.perf_counter()
    result = scorer.score(data, scorer.PARAMS)
    seconds = time.perf_counter() - scoring
    with db.transaction() as tx:
        tx.now = moment
        summary = scoring_runs.store(tx, data, result, seconds, moment)
    return summary, time.perf_counter() - began


def schedule(c: Community, now: datetime, every: timedelta) -> list[datetime]:
    """The runs: every `every` from the first note on, then 31 minutes before now, then now."""
    first = _time(int(c.note_created.min()))
    moments, at = [], first + every
    while at < now - RUN_GAP:
        moments.append(at)
        at += every
    return [*moments, now - RUN_GAP, now]


@dataclass
class PnyxResult:
    status: dict[int, str]  # by X's note id
    intercept: dict[int, float]
    factor: dict[int, float]
    rule: dict[int, str]
    locked: set[int]  # locked before the last run
    rater_factor: dict[str, float]
    rater_intercept: dict[str, float]
    seconds: float  # the scorer alone, the last run
    wall: float  # read, score and store, the last run
    runs: int
    history_seconds: float  # all runs before the last, with the inserts between them
    counts: dict


def run_pnyx(
    db: Database, c: Community, now: datetime, every: timedelta, out: Path
) -> tuple[PnyxResult, dict[str, Path], dict[str, Path]]:
    """The community's life: its notes and ratings arriving, Pnyx scoring every `every`;
    the open data exported just before the last run (what X is given) and after it."""
    feed = Feed(c)
    moments = schedule(c, now, every)
    began = time.perf_counter()
    for moment in tqdm(moments[:-1], desc="Pnyx runs as the data arrives", unit="run"):
        feed.until(db, moment)
        score_at(db, moment)
    history_seconds = time.perf_counter() - began
    feed.until(db, now)
    before = export(db, out / "open-data")
    locked = {data_files.stable_id(uri) for uri in db.run_sync(
        lambda tx: tx.scalars(sa.select(community_notes.c.uri)
                              .where(community_notes.c.locked_status.isnot(None))),
        write=False)}  # fmt: skip
    with ticking("Pnyx's last run"):
        summary, wall = score_at(db, now)
    after = export(db, out / "open-data-after")

    def read(tx):
        notes = tx.rows(sa.select(community_notes.c.id, community_notes.c.uri,
                                  community_notes.c.status))  # fmt: skip
        results = tx.rows(
            sa.select(note_run_results.c.note_id, note_run_results.c.intercept,
                      note_run_results.c.factor, note_run_results.c.rule)
            .where(note_run_results.c.run_id == summary.run_id)
        )  # fmt: skip
        raters = tx.rows(
            sa.select(note_run_raters.c.participant, note_run_raters.c.intercept,
                      note_run_raters.c.factor)
            .where(note_run_raters.c.run_id == summary.run_id)
        )  # fmt: skip
        counts = tx.scalar(sa.select(note_scoring_runs.c.counts)
                           .where(note_scoring_runs.c.id == summary.run_id))  # fmt: skip
        return notes, results, raters, counts

    notes, results, raters, counts = db.run_sync(read, write=False)
    x_id = {row.id: data_files.stable_id(row.uri) for row in notes}
    result = PnyxResult({}, {}, {}, {}, locked, {}, {}, summary.seconds, wall, len(moments),
                        history_seconds, counts)  # fmt: skip
    for row in notes:
        result.status[x_id[row.id]] = row.status
    for row in results:
        result.rule[x_id[row.note_id]] = row.rule
        if row.intercept is not None:
            result.intercept[x_id[row.note_id]] = row.intercept
            result.factor[x_id[row.note_id]] = row.factor
    for row in raters:
        if row.factor is not None:
            result.rater_factor[row.participant] = row.factor
            result.rater_intercept[row.participant] = row.intercept
    return result, before, after


# --- X's run ------------------------------------------------------------------------------


@dataclass
class XResult:
    ok: bool
    message: str
    seconds: float
    rows: dict[int, dict[str, str]]  # scored_notes.tsv by noteId
    columns: list[str]
    raters: dict[str, dict[str, str]]  # helpfulness_scores.tsv by raterParticipantId
    command: str


def _read_tsv(path: Path, key: str) -> tuple[list[str], dict]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        rows = {row[key]: row for row in reader}
        return list(reader.fieldnames or ()), rows


def _patched(source: Path, target: Path, column_name: str, change) -> Path:
    """A copy of a TSV file with `change(value)` in one column."""
    with source.open() as src, target.open("w") as dst:
        header = src.readline()
        dst.write(header)
        column = header.rstrip("\n").split("\t").index(column_name)
        for line in src:
            cells = line.rstrip("\n").split("\t")
            cells[column] = change(cells[column])
            dst.write("\t".join(cells) + "\n")
    return target


TWITTER_EPOCH_MS = 1288834974657  # X's ids are snowflakes: (ms - this) << 22, then 22 bits


def _snowflake_tweet_ids(files: dict[str, Path], out: Path) -> tuple[Path, Path]:
    """Copies of notes and ratings whose tweetId (ratedOnTweetId) is a snowflake made from the
    post's time, as X's ids are (X's pflip model reads a post's time from its id), taken here
    as an hour before the post's first note (its low 22 bits from Pnyx's id)."""
    first: dict[str, int] = {}
    with files["notes"].open() as f:
        header = f.readline().rstrip("\n").split("\t")
        tweet, created = header.index("tweetId"), header.index("createdAtMillis")
        for line in f:
            cells = line.rstrip("\n").split("\t")
            at = int(cells[created])
            first[cells[tweet]] = min(at, first.get(cells[tweet], at))
    new = {
        old: str(((at - 3_600_000 - TWITTER_EPOCH_MS) << 22) | (int(old) & 0x3FFFFF))
        for old, at in first.items()
    }
    notes = _patched(files["notes"], out / "notes-patched.tsv", "tweetId", lambda v: new[v])
    ratings = _patched(files["ratings"], out / "ratings-patched.tsv", "ratedOnTweetId",
                       lambda v: new.get(v, v))  # fmt: skip
    return notes, ratings


def patches(args: argparse.Namespace) -> list[str]:
    """What X is given that differs from Pnyx's files (each flag's doing)."""
    done = []
    if args.x_modeling_group is not None:
        done.append(f"userEnrollment: modelingGroup {args.x_modeling_group} for everyone "
                    f"(Pnyx writes 0)")  # fmt: skip
    if args.x_snowflake_tweet_ids:
        done.append("notes, ratings: tweetId / ratedOnTweetId as snowflakes of the post's time "
                    "(an hour before its first note)")  # fmt: skip
    if args.x_core_decided_by:
        done.append("noteStatusHistory: currentDecidedBy CoreModel where Pnyx wrote "
                    "ScoringDriftGuard")  # fmt: skip
    return done


def run_x(args: argparse.Namespace, files: dict[str, Path], out: Path, now: datetime) -> XResult:
    """X's main.py on the open data exported just before Pnyx's last run, at the same now."""
    python = args.reference_python or sys.executable
    out.mkdir(parents=True, exist_ok=True)
    enrollment, history = files["userEnrollment"], files["noteStatusHistory"]
    notes, ratings = files["notes"], files["ratings"]
    if args.x_snowflake_tweet_ids:
        notes, ratings = _snowflake_tweet_ids(files, out)
    if args.x_modeling_group is not None:
        group = str(args.x_modeling_group)
        enrollment = _patched(enrollment, out / "userEnrollment-patched.tsv", "modelingGroup",
                              lambda _: group)  # fmt: skip
    if args.x_core_decided_by:
        history = _patched(history, out / "noteStatusHistory-patched.tsv", "currentDecidedBy",
                           lambda v: "CoreModel" if v == "ScoringDriftGuard" else v)  # fmt: skip
    command = [
        python, args.reference_main,
        "--enrollment", str(enrollment),
        "--notes", str(notes),
        "--ratings", str(ratings),
        "--status", str(history),
        "--outdir", str(out),
        "--epoch-millis", str(int(now.timestamp() * 1000)),
        "--seed", str(args.seed),
        "--nocheck-flips",
        "--no-parquet",
        *args.reference_args,
    ]  # fmt: skip
    line = f"cd {args.reference} && " + " ".join(command)
    log = out / "log.txt"
    with ticking("X's run"), log.open("w") as log_file:
        began = time.perf_counter()
        done = subprocess.run(command, cwd=args.reference, stdout=log_file,
                              stderr=subprocess.STDOUT, check=False,
                              env={**os.environ, "WANDB_MODE": "disabled"})  # fmt: skip
        seconds = time.perf_counter() - began
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()
        errors = [t for t in tail if "Error" in t or "assert" in t.lower()][-5:]
        return XResult(False, f"X exited {done.returncode} after {seconds:.0f} s (log: {log}):\n"
                       + "\n".join(errors or tail[-20:]), seconds, {}, [], {}, line)  # fmt: skip
    columns, rows = _read_tsv(out / "scored_notes.tsv", "noteId")
    raters: dict = {}
    if (out / "helpfulness_scores.tsv").exists():
        _, raters = _read_tsv(out / "helpfulness_scores.tsv", "raterParticipantId")
    return XResult(True, "", seconds, {int(k): v for k, v in rows.items()}, columns, raters,
                   line)  # fmt: skip


READ_CHECK = """
import sys
from scoring.process_data import LocalDataLoader
notes, ratings, history, enrollment = LocalDataLoader(*sys.argv[1:5], True).get_data()
print(len(notes), len(ratings), len(history), len(enrollment))
"""


def read_check(args: argparse.Namespace, files: dict[str, Path]) -> str:
    """X's own loader on an export (its column and type checks), without scoring."""
    python = args.reference_python or sys.executable
    done = subprocess.run(
        [python, "-c", READ_CHECK, *(str(files[k].resolve()) for k in ("notes", "ratings",
         "noteStatusHistory", "userEnrollment"))],
        cwd=args.reference, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return "FAILED: " + "\n".join(done.stderr.splitlines()[-15:])
    counts = done.stdout.split()
    return f"read: {counts[0]} notes, {counts[1]} ratings, {counts[2]} history rows, " \
        f"{counts[3]} enrollment rows"  # fmt: skip


# --- Comparison ---------------------------------------------------------------------------


def _float(value: str | None) -> float | None:
    if value is None or value in ("", "nan", "NaN", "<NA>", "None"):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return None if np.isnan(number) else number


def _pearson(a: list[float], b: list[float]) -> float:
    if len(a) < 3:
        return float("nan")
    return float(np.corrcoef(np.array(a), np.array(b))[0, 1])


def _paired(ours: dict, theirs: dict, column: str) -> tuple[list[float], list[float]]:
    a, b = [], []
    for key, value in ours.items():
        row = theirs.get(key)
        other = _float(row.get(column)) if row else None
        if value is not None and other is not None:
            a.append(float(value))
            b.append(other)
    return a, b


def _factor_lines(label: str, a: list[float], b: list[float]) -> list[str]:
    if len(a) < 3:
        return [f"{label}: too few in both ({len(a)})"]
    r = _pearson(a, b)
    flip = -1.0 if r < 0 else 1.0
    signs = np.sign(np.array(a)) == np.sign(flip * np.array(b))
    return [f"{label}: n={len(a)}, Pearson {r:+.3f} (|r| {abs(r):.3f}), sign agreement "
            f"{signs.mean():.1%}{' after one global flip' if flip < 0 else ''}"]  # fmt: skip


def _confusion(
    title: str, ours: dict[int, str], theirs: dict[int, str | None], order: list[str]
) -> list[str]:
    pairs = Counter((ours[k], theirs.get(k)) for k in ours)
    extra = sorted({t for _, t in pairs if t not in order}, key=str)
    cols = order + extra
    lines = [f"{title} (rows Pnyx, columns X)", ""]
    lines.append("| Pnyx \\ X | " + " | ".join(STATUS_SHORT.get(c, str(c)) for c in cols)
                 + " | total |")  # fmt: skip
    lines.append("| --- |" + " ---: |" * (len(cols) + 1))
    for o in order:
        counts = [pairs.get((o, c), 0) for c in cols]
        lines.append(f"| {STATUS_SHORT[o]} | " + " | ".join(str(n) for n in counts)
                     + f" | {sum(counts)} |")  # fmt: skip
    same = sum(pairs.get((o, o), 0) for o in order)
    lines.append("")
    lines.append(f"agreement: {same} of {len(ours)} notes ({same / max(1, len(ours)):.1%})")
    return lines


def compare(c: Community, pnyx: PnyxResult, x: XResult) -> list[str]:
    order = [vocabulary.CURRENTLY_RATED_HELPFUL, vocabulary.CURRENTLY_RATED_NOT_HELPFUL,
             vocabulary.NEEDS_MORE_RATINGS]  # fmt: skip
    lines: list[str] = []
    final = {k: (row.get("finalRatingStatus") or None) for k, row in x.rows.items()}
    lines += _confusion("Final status, every note", pnyx.status, final, order)
    lines.append("")
    unlocked = {k: v for k, v in pnyx.status.items() if k not in pnyx.locked}
    lines += _confusion("Final status, notes not locked before the last run (younger than 14 "
                        "days: both scorers keep a locked note's status)", unlocked, final, order)  # fmt: skip
    lines.append("")
    if "coreRatingStatus" in x.columns:
        core = {k: (row.get("coreRatingStatus") or None) for k, row in x.rows.items()}
        lines += _confusion("Pnyx's final status against X's core model's status, notes not "
                            "locked", unlocked, core, order)  # fmt: skip
        lines.append("")
    decided = Counter(row.get("decidedBy") or "-" for row in x.rows.values())
    lines.append("X's decidedBy: " + ", ".join(f"{k} {n}" for k, n in decided.most_common()))
    rules = Counter(pnyx.rule.values())
    lines.append("Pnyx's last rule: " + ", ".join(f"{k} {n}" for k, n in rules.most_common()))
    lines.append("")
    lines.append(_fit_line("note intercept (Pnyx final fit vs X coreNoteIntercept)",
                           *_paired(pnyx.intercept, x.rows, "coreNoteIntercept")))  # fmt: skip
    lines += _factor_lines("note factor (Pnyx final fit vs X coreNoteFactor1)",
                           *_paired(pnyx.factor, x.rows, "coreNoteFactor1"))  # fmt: skip
    if x.raters:
        lines.append(_fit_line("rater intercept (vs X coreRaterIntercept)",
                               *_paired(pnyx.rater_intercept, x.raters, "coreRaterIntercept")))  # fmt: skip
        lines += _factor_lines("rater factor (vs X coreRaterFactor1)",
                               *_paired(pnyx.rater_factor, x.raters, "coreRaterFactor1"))  # fmt: skip
    missing = sum(1 for k in pnyx.status if k not in x.rows)
    if missing:
        lines.append(f"notes in Pnyx's data but not in X's scored_notes.tsv: {missing}")
    lines.append("")
    lines += by_kind(c, pnyx.status, final)
    return lines


def _fit_line(label: str, a: list[float], b: list[float]) -> str:
    if len(a) < 3:
        return f"{label}: too few in both ({len(a)})"
    diff = np.abs(np.array(a) - np.array(b))
    return (f"{label}: n={len(a)}, Pearson {_pearson(a, b):+.3f}, mean |difference| "
            f"{diff.mean():.3f}, max {diff.max():.3f}")  # fmt: skip


def by_kind(c: Community, ours: dict[int, str], theirs: dict[int, str | None] | None) -> list[str]:
    """What each scorer made of each kind of note (the truth the data was made from)."""
    by_position = [data_files.stable_id(uri) for uri in c.note_uri]
    lines = ["By kind of note (the data's truth): Helpful / Not Helpful / Needs More, each scorer",
             "", "| kind | notes | Pnyx | X |", "| --- | ---: | --- | --- |"]  # fmt: skip
    for k, name in enumerate(KINDS):
        positions = np.flatnonzero(c.note_kind == k)
        cells = []
        for statuses in (ours, theirs):
            if statuses is None:
                cells.append("-")
                continue
            count = Counter(statuses.get(by_position[n]) for n in positions)
            cells.append(" / ".join(str(count.get(s, 0)) for s in (
                vocabulary.CURRENTLY_RATED_HELPFUL, vocabulary.CURRENTLY_RATED_NOT_HELPFUL,
                vocabulary.NEEDS_MORE_RATINGS)))  # fmt: skip
        lines.append(f"| {name} | {len(positions)} | {cells[0]} | {cells[1]} |")
    return lines


# --- Main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", action="store_true",
                        help="the benchmark's size: 10,000 notes, 200,000 ratings, 5,000 raters")  # fmt: skip
    parser.add_argument("--notes", type=int, help="default 2,000 (10,000 with --benchmark)")
    parser.add_argument("--ratings", type=int, help="default 40,000 (200,000)")
    parser.add_argument("--raters", type=int, help="default 1,000 (5,000)")
    parser.add_argument("--servers", type=int, default=0,
                        help="servers the raters are spread over (default: one per 25 raters)")  # fmt: skip
    parser.add_argument("--mix", type=float, nargs=3, default=(0.3, 0.4, 0.3),
                        metavar=("BRIDGING", "PARTISAN", "BAD"), help="shares of the kinds of note")  # fmt: skip
    parser.add_argument("--camp-share", type=float, default=0.5, help="raters in the first camp")
    parser.add_argument("--noisy-share", type=float, default=0.05,
                        help="raters who answer at random")  # fmt: skip
    parser.add_argument("--not-misleading-share", type=float, default=0.1,
                        help="notes that say the post is not misleading")  # fmt: skip
    parser.add_argument("--topic-share", type=float, default=0.15,
                        help="posts whose notes name a topic of X's topic model")  # fmt: skip
    parser.add_argument("--days", type=int, default=21,
                        help="days the notes are written over (ending 5 days ago)")  # fmt: skip
    parser.add_argument("--run-hours", type=float, default=12,
                        help="hours between Pnyx's runs as the data arrives")  # fmt: skip
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="where the database, TSVs and X's output go "
                        "(default bench/data/notes-agreement-<size>/)")  # fmt: skip
    parser.add_argument("--reference", type=Path,
                        help="X's scoring/src directory (the one holding main.py)")  # fmt: skip
    parser.add_argument("--reference-python", help="the Python that has X's requirements")
    parser.add_argument("--reference-main", default="main.py",
                        help="the script in --reference to run (default X's main.py)")  # fmt: skip
    parser.add_argument("--x-modeling-group", type=int,
                        help="give X a copy of userEnrollment with this modelingGroup for everyone "
                        "(13: X's core group); X then does not run on Pnyx's files unchanged")  # fmt: skip
    parser.add_argument("--x-snowflake-tweet-ids", action="store_true",
                        help="give X copies of notes and ratings whose tweetId is a snowflake of "
                        "the post's time, as X's are (its pflip model reads the time from it)")  # fmt: skip
    parser.add_argument("--x-core-decided-by", action="store_true",
                        help="give X a copy of noteStatusHistory whose currentDecidedBy says "
                        "CoreModel where Pnyx wrote ScoringDriftGuard (X writes that only where "
                        "a lock overrode the model; its pflip model drops such notes)")  # fmt: skip
    parser.add_argument("--reference-args", nargs=argparse.REMAINDER, default=[],
                        help="further arguments for X's main.py (last on the line)")  # fmt: skip
    args = parser.parse_args(argv)
    big = args.benchmark
    size = Size(args.notes or (10_000 if big else 2_000),
                args.ratings or (200_000 if big else 40_000),
                args.raters or (5_000 if big else 1_000))  # fmt: skip
    if abs(sum(args.mix) - 1.0) > 1e-6:
        parser.error("--mix must add up to 1")
    out = (args.out or DATA_DIR / f"notes-agreement-{size.label}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)

    began = time.perf_counter()
    community = make_community(size, args, now)
    db = open_database(out / "pnyx.sqlite3")
    try:
        pnyx, before, after = run_pnyx(db, community, now, timedelta(hours=args.run_hours), out)
    finally:
        db.dispose()
    total_seconds = time.perf_counter() - began

    print()
    print(f"Community notes agreement, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} cores")  # fmt: skip
    kinds = Counter(KINDS[k] for k in community.note_kind)
    print(f"Data: {size.notes} notes ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}; "
          f"{int((~community.note_misleading).sum())} say the post is not misleading), "
          f"{len(community.r_note)} ratings by {len(set(community.r_rater.tolist()))} of "
          f"{size.raters} raters ({int(community.noisy.sum())} answer at random) on "
          f"{len(set(community.rater_origin))} servers, over {args.days} days; seed "
          f"{args.seed}; files in {out}")  # fmt: skip
    per_rater = np.bincount(community.r_rater, minlength=size.raters)
    per_note = np.bincount(community.r_note, minlength=size.notes)
    print(f"Ratings per rater: median {int(np.median(per_rater))}, max {per_rater.max()}; per "
          f"note: median {int(np.median(per_note))}, max {per_note.max()}, "
          f"{int((per_note < 5).sum())} notes with fewer than 5")  # fmt: skip
    caps = {k: v for k, v in pnyx.counts.items() if "cap" in k}
    print(f"Pnyx: {pnyx.runs} runs every {args.run_hours:g} h as the data arrived "
          f"({pnyx.history_seconds:.1f} s with the inserts); the last run {pnyx.seconds:.2f} s "
          f"scoring, {pnyx.wall:.2f} s with reading and storing; caps: {caps}; "
          f"{pnyx.counts.get('raters_helpful')} raters helpful, "
          f"{pnyx.counts.get('ratings_final_model')} ratings in the final fit; "
          f"{len(pnyx.locked)} notes locked (14 days old) before the last run; "
          f"all in {total_seconds:.0f} s")  # fmt: skip
    status_count = Counter(pnyx.status.values())
    print("Pnyx statuses: " + ", ".join(f"{STATUS_SHORT[s]} {status_count.get(s, 0)}"
                                        for s in STATUS_SHORT))  # fmt: skip
    if args.reference is None:
        print()
        print("\n".join(by_kind(community, pnyx.status, None)))
        return 0

    x = run_x(args, before, out / "x-output", now)
    print(f"X: {x.command}")
    changed = patches(args)
    if not x.ok:
        print(x.message)
        print("X was given: " + ("; ".join(changed) if changed else "Pnyx's files unchanged"))
        return 1
    unchanged = ("on the open data exactly as exported" if not changed
                 else "NOT on the open data unchanged: " + "; ".join(changed))  # fmt: skip
    print(f"X: {x.seconds:.1f} s, {unchanged}")
    print(f"X's loader on the export after Pnyx's last run: {read_check(args, after)}")
    x_count = Counter(row.get("finalRatingStatus") for row in x.rows.values())
    print("X statuses: " + ", ".join(f"{STATUS_SHORT.get(s, s)} {n}" for s, n in
                                     x_count.most_common()))  # fmt: skip
    print()
    print("\n".join(compare(community, pnyx, x)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
