"""Community-notes scoring benchmark (issue 13): `pnyx.core.notes.scorer.score` on a synthetic
population of 10,000 notes, 200,000 ratings and 5,000 raters.

    .venv/bin/python bench/notes_scoring.py                 # the default size, 3 runs
    .venv/bin/python bench/notes_scoring.py --small         # 1,000 notes, 20,000 ratings, 500 raters

Target: well under a minute for the default size on the 2-core benchmark machine.

Why it is built this way:
- The data is made up with a fixed seed, so every run scores the same input. Raters belong to
  two camps (55% / 45%), each with a leniency and a strength of conviction, and rate at very
  different rates (lognormal activity). Notes are bridging (15%: helpful to both camps),
  partisan (50%: helpful to one camp, not to the other), bad (20%: helpful to neither) or
  mixed (15%: mostly "somewhat"); 85% say the post misleads; 70% are written by a rater. A
  note's number of ratings is heavy-tailed (lognormal, at most 10% of the raters); its raters
  are drawn by activity. A rating's answer follows the rater's camp, leniency and the note's
  kind, with noise; helpful and not-helpful ratings carry tags the note's raters tend to agree
  on. Notes were written over the last 30 days, ratings come hours after (exponential, mean
  10 h), so some notes are past the two-week lock and most ratings are valid ones. The
  measured run continues one made an hour before on the same data (its history: statuses,
  the 30-minute delay), as the periodic run does; notes past two weeks lock in it. Raters are
  spread over 10 servers (~500 each: under the 1,000-rater cap; a note's ratings from one
  server reach the 25-rating cap on the most rated notes only).
- The data is made in this process, written to a temporary pickle, and scored in a fresh
  child process, so that its peak RSS is the scoring's own: the child loads the data, resets
  its peak to its current RSS (Linux's /proc/self/clear_refs), scores, and reports its RSS
  before and its peak RSS (ru_maxrss) after.
- The scoring is reported in seconds (wall and CPU of the child) and, as BENCHMARKS.md asks,
  as ratios to two baselines measured in the same child: reading the same ratings into numpy
  arrays (the columns, as the scorer's first step does), and one epoch of the fit (a fit of
  all the ratings stopped after one step).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pnyx.core.notes import matrix, scorer, vocabulary
from pnyx.core.notes.scoring_data import NoteHistory, NoteInput, RatingsInput, ScoringInput
from progress import ticking  # bench/progress.py (a sibling: scripts run from bench/)

HOUR = 3_600_000
DAY = 24 * HOUR
NOW = 1_800_000_000_000
KINDS = ("bridging", "partisan", "bad", "mixed")
KIND_SHARES = (0.15, 0.50, 0.20, 0.15)
QUALITY = {
    "bridging": (0.35, 0.10),
    "partisan": (0.0, 0.08),
    "bad": (-0.45, 0.10),
    "mixed": (0.0, 0.1),
}
SLANT = {"bridging": 0.1, "partisan": 0.75, "bad": 0.1, "mixed": 0.3}


@dataclass(frozen=True)
class Size:
    notes: int
    ratings: int
    raters: int
    servers: int


DEFAULT = Size(10_000, 200_000, 5_000, 10)
SMALL = Size(1_000, 20_000, 500, 10)


# --- The data -----------------------------------------------------------------------------


def ratings_per_note(rng: np.random.Generator, size: Size) -> np.ndarray:
    """Heavy-tailed counts, at least 1 and at most 10% of the raters each, summing exactly to
    `size.ratings` (what the cap takes is drawn again over the notes under it)."""
    most = size.raters // 10
    if most * size.notes < size.ratings:
        raise SystemExit("too many ratings for so few notes and raters")
    weights = rng.lognormal(0.0, 1.0, size.notes)
    counts = np.ones(size.notes, dtype=np.int64)
    left = size.ratings - size.notes
    while left > 0:
        room = counts < most
        share = np.where(room, weights, 0.0)
        counts += np.minimum(rng.multinomial(left, share / share.sum()), most - counts)
        left = size.ratings - int(counts.sum())
    return counts


def tag_bits(
    rng: np.random.Generator, names: tuple[str, ...], offered: tuple[str, ...], notes: np.ndarray
) -> np.ndarray:
    """Per rating: the note's two favourite tags (each given with probability 0.6) and a
    random other one (0.3), as bit masks over `names`."""
    positions = np.array([names.index(name) for name in offered])
    favourite = np.stack([rng.choice(positions, 2, replace=False) for _ in range(notes.max() + 1)])
    n = len(notes)
    first = (rng.random(n) < 0.6) << favourite[notes, 0]
    second = (rng.random(n) < 0.6) << favourite[notes, 1]
    other = (rng.random(n) < 0.3) << rng.choice(positions, n)
    return (first | second | other).astype(np.int64)


def make_data(size: Size, seed: int) -> ScoringInput:
    rng = np.random.default_rng(seed)
    camp = np.where(rng.random(size.raters) < 0.55, -1.0, 1.0)
    conviction = rng.uniform(0.3, 1.0, size.raters)
    leniency = rng.normal(0.0, 0.12, size.raters)
    activity = rng.lognormal(0.0, 1.0, size.raters)
    server = rng.integers(0, size.servers, size.raters)
    rater_ids = [f"rater-{i:05d}" for i in range(size.raters)]
    kind = rng.choice(len(KINDS), size.notes, p=KIND_SHARES)
    quality = np.array([rng.normal(*QUALITY[KINDS[k]]) for k in kind])
    slant = np.array([SLANT[KINDS[k]] for k in kind]) * rng.choice([-1.0, 1.0], size.notes)
    created = NOW - rng.integers(HOUR, 30 * DAY, size.notes)
    authors = [
        rater_ids[int(rng.integers(size.raters))] if rng.random() < 0.7 else f"writer-{k}"
        for k in range(size.notes)
    ]
    notes = [
        NoteInput(k + 1, int(created[k]), authors[k], bool(rng.random() < 0.85))
        for k in range(size.notes)
    ]
    counts = ratings_per_note(rng, size)
    note_of = np.repeat(np.arange(size.notes), counts)
    chance = activity / activity.sum()
    rater_of = np.concatenate(
        [
            rng.choice(size.raters, int(count), replace=False, p=chance)
            for count in tqdm(counts, desc="raters of each note", unit="note", leave=False)
        ]
    )
    leaning = 0.5 + leniency[rater_of] + quality[note_of]
    leaning += 0.6 * camp[rater_of] * conviction[rater_of] * slant[note_of]
    leaning += rng.normal(0.0, 0.15, len(note_of))
    value = np.where(leaning > 0.65, 1.0, np.where(leaning < 0.35, 0.0, 0.5))
    delay = np.minimum(rng.exponential(10 * HOUR, len(note_of)).astype(np.int64), 20 * DAY)
    at = np.minimum(created[note_of] + 60_000 + delay, NOW - 60_000)
    helpful = tag_bits(rng, vocabulary.HELPFUL_TAG_NAMES, vocabulary.OFFERED_HELPFUL_TAGS, note_of)
    not_helpful = tag_bits(
        rng, vocabulary.NOT_HELPFUL_TAG_NAMES, vocabulary.OFFERED_NOT_HELPFUL_TAGS, note_of
    )
    ratings = RatingsInput(
        note=(note_of + 1).tolist(),
        rater=[rater_ids[u] for u in rater_of.tolist()],
        value=value.tolist(),
        created_ms=at.tolist(),
        origin=[f"s{server[u]}.example" for u in rater_of.tolist()],
        helpful_tags=np.where(value == 1.0, helpful, 0).tolist(),
        not_helpful_tags=np.where(value == 0.0, not_helpful, 0).tolist(),
    )
    return ScoringInput(notes, ratings, {}, NOW)


def history_of(result: scorer.ScoringResult) -> dict[int, NoteHistory]:
    """What the database keeps of a run for the next: the measured run continues one made an
    hour before on the same ratings (so the 30-minute delay has passed for the notes that
    met the Helpful rules then, and notes past two weeks are locked)."""
    return {
        note_id: NoteHistory(
            note.status,
            note.first_non_nmr_ms,
            note.first_non_nmr_status,
            note.crh_candidate_since_ms,
            note.locked_status,
        )
        for note_id, note in result.notes.items()
    }


# --- The child: score once, measure ---------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak_rss() -> bool:
    """Linux: make the peak RSS the current RSS (`/proc/self/clear_refs`, 5), so the peak
    measured next is the scoring's, not the unpickling's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def read_columns(ratings: RatingsInput) -> list[np.ndarray]:
    """Baseline 1: the ratings' columns as numpy arrays."""
    return [
        np.array(ratings.note, dtype=np.int64),
        np.array(ratings.rater),
        np.array(ratings.value, dtype=np.float64),
        np.array(ratings.created_ms, dtype=np.int64),
        np.array(ratings.origin),
        np.array(ratings.helpful_tags, dtype=np.int64),
        np.array(ratings.not_helpful_tags, dtype=np.int64),
    ]


def one_epoch(columns: list[np.ndarray]) -> float:
    """Baseline 2: a fit of every rating, stopped after one step (seconds)."""
    notes, note = np.unique(columns[0], return_inverse=True)
    raters, rater = np.unique(columns[1], return_inverse=True)
    settings = replace(scorer.fit_settings(scorer.PARAMS), max_epochs=1)
    started = time.perf_counter()
    matrix.fit(rater, note, columns[2], len(raters), len(notes), settings)
    return time.perf_counter() - started


def child(path: Path) -> None:
    with path.open("rb") as file:
        data: ScoringInput = pickle.load(file)
    gc.collect()
    reset = reset_peak_rss()
    loaded_mb = rss_mb() if reset else peak_rss_mb()
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = scorer.score(data)
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    scored_mb = peak_rss_mb()
    reads = []
    for _ in range(5):
        started = time.perf_counter()
        columns = read_columns(data.ratings)
        reads.append(time.perf_counter() - started)
    epochs = [one_epoch(columns) for _ in range(5)]
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu,
                "loaded_mb": loaded_mb,
                "peak_mb": scored_mb,
                "peak_reset": reset,
                "read": statistics.median(reads),
                "epoch": statistics.median(epochs),
                "epochs": result.epochs,
                "losses": result.losses,
                "counts": result.counts,
                "rules": _rules(result),
            }
        )
    )


def _rules(result: scorer.ScoringResult) -> dict[str, int]:
    rules: dict[str, int] = {}
    for note in result.notes.values():
        rules[note.rule] = rules.get(note.rule, 0) + 1
    return dict(sorted(rules.items()))


# --- The parent ---------------------------------------------------------------------------


def run_child(path: Path, index: int) -> dict:
    with ticking(f"scoring, run {index}", leave=False):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout)


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def report(size: Size, runs: list[dict], made_s: float) -> str:
    last = runs[-1]
    counts = last["counts"]
    wall = [run["wall"] for run in runs]
    lines = [
        f"Notes scoring benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores; {size.notes:,} notes, {size.ratings:,} ratings, "
        f"{size.raters:,} raters on {size.servers} servers; scorer {scorer.version()}, "
        f"code {commit()}; data made in {made_s:.1f} s",
        "",
        "| run | wall s | CPU s | peak RSS MB (data loaded, before scoring) | epochs first / final "
        "| x reading the ratings into numpy | x one epoch |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, run in enumerate(runs, 1):
        lines.append(
            f"| {k} | {run['wall']:.2f} | {run['cpu']:.2f} | {run['peak_mb']:.0f} "
            f"({run['loaded_mb']:.0f}) | {run['epochs']['first']} / {run['epochs']['final']} "
            f"| {run['wall'] / run['read']:.0f}x ({run['read'] * 1000:.0f} ms) "
            f"| {run['wall'] / run['epoch']:.0f}x ({run['epoch'] * 1000:.1f} ms) |"
        )
    lines += [
        "",
        f"- median wall {statistics.median(wall):.2f} s (each run: "
        + " / ".join(f"{w:.2f}" for w in wall)
        + f"); peak RSS {max(r['peak_mb'] for r in runs):.0f} MB, of which the scoring "
        f"added {max(r['peak_mb'] - r['loaded_mb'] for r in runs):.0f} MB",
        "- statuses: "
        + ", ".join(f"{counts[f'notes_{s}']:,} {s}" for s in vocabulary.SHORT_STATUS.values())
        + "; last rule: "
        + ", ".join(f"{rule} {n:,}" for rule, n in last["rules"].items()),
        f"- ratings kept by the caps {counts['ratings_kept']:,} "
        f"(over the per-note cap {counts['ratings_over_server_note_cap']:,}, over the rater "
        f"cap {counts['ratings_over_server_rater_cap']:,}); first model "
        f"{counts['ratings_first_model']:,} ratings, {counts['notes_first_model']:,} notes, "
        f"{counts['raters_first_model']:,} raters; {counts['raters_helpful']:,} raters pass "
        f"the helpfulness filter; final model {counts['ratings_final_model']:,} ratings, "
        f"{counts['notes_final_model']:,} notes, {counts['raters_final_model']:,} raters",
        f"- final losses: first {last['losses']['first']:.4f}, final {last['losses']['final']:.4f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="1,000 notes, 20,000 ratings")
    parser.add_argument("--notes", type=int)
    parser.add_argument("--ratings", type=int)
    parser.add_argument("--raters", type=int)
    parser.add_argument("--servers", type=int)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--runs", type=int, default=3, help="child processes, one score each")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    base = SMALL if args.small else DEFAULT
    size = Size(
        args.notes or base.notes,
        args.ratings or base.ratings,
        args.raters or base.raters,
        args.servers or base.servers,
    )
    started = time.perf_counter()
    data = make_data(size, args.seed)
    made_s = time.perf_counter() - started
    # Its history: a run an hour before, as if scored since the notes were written (no lock
    # yet: a note first scored past two weeks would lock with a status its first run gives).
    unlocked = replace(scorer.PARAMS, lock_after_days=10_000)
    with ticking("the run an hour before (its history)", leave=False):
        before = scorer.score(data, unlocked)
    data = ScoringInput(data.notes, data.ratings, history_of(before), NOW + HOUR)
    with tempfile.TemporaryDirectory(prefix="pnyx-notes-bench-") as folder:
        path = Path(folder) / "data.pickle"
        with path.open("wb") as file:
            pickle.dump(data, file, protocol=pickle.HIGHEST_PROTOCOL)
        del data
        runs = [run_child(path, k + 1) for k in range(args.runs)]
    print(report(size, runs, made_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
