"""What the scorer reads and what it returns: plain columns and dataclasses, no database.

`scoring_runs` fills a `ScoringInput` from the database (or a benchmark makes one up),
`scorer.score` returns a `ScoringResult`, and `scoring_runs` stores it. Keeping the scorer
apart from storage lets it be tested on constructed data where the answer is known, and
benchmarked alone.

Times are milliseconds since the epoch (UTC), as in X's data. A rater is a participant id
(the pseudonym the open data shows); `origin` is the server a rating came from (its domain,
this server's own included), for the per-server caps.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NoteInput:
    id: int
    created_ms: int
    author: str  # the author's participant id
    misleading: bool  # classification MISINFORMED_OR_POTENTIALLY_MISLEADING


@dataclass
class RatingsInput:
    """One entry per rating, in parallel lists (a rater rates a note once: their latest)."""

    note: list[int] = field(default_factory=list)
    rater: list[str] = field(default_factory=list)
    value: list[float] = field(default_factory=list)  # 1.0, 0.5 or 0.0
    created_ms: list[int] = field(default_factory=list)
    origin: list[str] = field(default_factory=list)
    # The tags given, as bit masks over vocabulary.HELPFUL_TAGS / NOT_HELPFUL_TAGS (bit i is
    # the i-th tag in the TSV's order).
    helpful_tags: list[int] = field(default_factory=list)
    not_helpful_tags: list[int] = field(default_factory=list)

    def add(
        self,
        note: int,
        rater: str,
        value: float,
        created_ms: int,
        origin: str = "",
        helpful_tags: int = 0,
        not_helpful_tags: int = 0,
    ) -> None:
        self.note.append(note)
        self.rater.append(rater)
        self.value.append(value)
        self.created_ms.append(created_ms)
        self.origin.append(origin)
        self.helpful_tags.append(helpful_tags)
        self.not_helpful_tags.append(not_helpful_tags)

    def __len__(self) -> int:
        return len(self.note)


@dataclass(frozen=True)
class NoteHistory:
    """What earlier runs decided about a note, which this run continues."""

    status: str  # vocabulary status of the last run
    first_non_nmr_ms: int | None = None  # when it first left NEEDS_MORE_RATINGS
    first_non_nmr_status: str | None = None
    # Since when it has met every rule of CURRENTLY_RATED_HELPFUL without a break (the
    # 30-minute delay counts from here); None when it did not at the last run.
    crh_candidate_since_ms: int | None = None
    locked_status: str | None = None  # set once the note is `lock_after_days` old


@dataclass
class ScoringInput:
    notes: list[NoteInput]
    ratings: RatingsInput
    history: dict[int, NoteHistory]  # note id -> what earlier runs decided
    now_ms: int


@dataclass(frozen=True)
class NoteResult:
    intercept: float | None  # None: not in the final model (too few ratings)
    factor: float | None
    status: str  # vocabulary status, after every rule
    rating_count: int  # ratings of the note (all, before any filter)
    net_min_helpful: int  # the smaller side's helpful minus not-helpful ratings, at least 0
    net_min_helpful_ratio: float
    tags: tuple[str, ...]  # the top two explanation tags of its status; () for NMR
    crh_candidate_since_ms: int | None  # carried to the next run (NoteHistory)
    locked_status: str | None
    first_non_nmr_ms: int | None
    first_non_nmr_status: str | None
    decided_by: str  # which rule set the status (e.g. "CoreModel", "ScoringDriftGuard")
    rule: str  # the last rule that changed the status (e.g. "GeneralCRH", "LargeFactor")


@dataclass(frozen=True)
class RaterResult:
    intercept: float | None  # final model's; None if not in it
    factor: float | None
    first_intercept: float  # the first model's
    first_factor: float
    agree_ratio: float | None  # valid ratings agreeing with the first model's statuses
    helpful: bool  # passed the helpfulness filter into the final model


@dataclass
class ScoringResult:
    notes: dict[int, NoteResult]
    raters: dict[str, RaterResult]
    global_intercept: float
    first_global_intercept: float
    counts: dict[str, int]  # ratings read, kept by the caps, in each model; notes; raters
    losses: dict[str, float]  # final loss of each fit
    epochs: dict[str, int]
