"""How a community note gets its status: the bridging algorithm of X's Community Notes.

This is a port of the core of the scorer X publishes (github.com/twitter/communitynotes,
`scoring/src/scoring`), written again for Pnyx with numpy. Its constants are X's, from the
pages "Note ranking algorithm" (ranking-notes) and "Contributor helpfulness scores"
(contributor-scores) of X's documentation and from its code (`constants.py`,
`mf_base_scorer.py`, `matrix_factorization.py`); each is named in `Params` below.

The model. A rating answers "Is this note helpful?": yes counts 1, somewhat 0.5, no 0. Every
rating r of note n by rater u is explained as

    r ~ mu + i_u + i_n + f_u * f_n

mu is the average leniency of everyone, i_u how lenient this rater is, f_u where the rater
sits on the one axis that best separates how people rate (found from the ratings alone;
nobody says which side they are on), f_n where the note sits on it, and i_n, the note's
intercept, the helpfulness the axis does not explain. A note rated helpful by one side only
is explained by its factor; a note rated helpful on both sides can only be explained by its
intercept, and notes are judged by their intercept. The fit minimizes the mean squared error
plus 0.03 x the mean square of the factors and 0.15 x the mean square of the intercepts (and
mu squared): intercepts are held back five times harder, so helpfulness becomes intercept only
when the axis cannot explain it (ranking-notes, "Matrix Factorization"). Full-batch Adam,
learning rate 1.0 (0.2 when starting from an earlier fit), gradient clipped to norm 1, until
the loss changes by at most 1e-7 or, after 100 steps, rises, as X's code does (`matrix`); the
factors start at random from a fixed seed, so a run repeats exactly. The factor's sign is
fixed so that most raters sit on the negative side.

The steps of a run, each with X's constants:
1. Caps per server. Notes travel between servers, so one server could invent raters to pull
   one side of the axis. On any note, only the 25 earliest ratings from each server count
   (`server_note_rating_cap`), and only the 1,000 earliest raters of each server (by their
   first rating) enter the model (`server_rater_cap`). This rule is Pnyx's, not X's.
2. Who is fitted (X's filter_ratings): notes with at least 5 ratings, then raters with at
   least 10 ratings on those notes, then again notes with at least 5 ratings.
3. First fit, from scratch.
4. First-round statuses: a note with at least 5 ratings is Helpful if i_n >= 0.40 (and it
   says the post is misleading), Not Helpful if i_n <= -0.05 - 0.8 x |f_n|, or, for a note
   that says the post is not misleading, if i_n <= -0.15.
5. Who counts in the final fit (contributor-scores): a rater's valid ratings are those made
   within 48 hours of the note's creation and before it first left Needs More Ratings, on
   notes with a first-round status, that said yes or no (not somewhat). A valid rating
   agrees when it said yes to a Helpful note or no to a Not Helpful one; at least 66% must
   agree (a rater with no valid rating does not count). Someone who wrote notes with at least
   5 ratings must also have (Helpful notes - 5 x Not Helpful notes) / notes >= 0 and a mean
   note intercept >= 0.05.
6. Final fit on the ratings of the raters who count, on notes that still have 5 of them,
   started from the first fit.
7. The note's status, each rule in turn (the last one that changed it is recorded):
   - Helpful: at least 5 ratings, i_n >= 0.40, and the note says the post is misleading
     (X shows only those: ranking-notes, "Note Status"); Not Helpful: i_n <= -0.05 - 0.8 x
     |f_n|, or i_n <= -0.15 for a note that says the post is not misleading; otherwise Needs
     More Ratings.
   - Large factor: a Helpful note with |f_n| >= 0.50 is popular on one side only: Needs More
     Ratings.
   - Net helpful minimums (ranking-notes, "Net Helpful Minimums"): the raters are split by
     the sign of their factor; on each side, helpful ratings minus not-helpful ratings. A
     Helpful note needs at least 4 on the smaller side, and if it has fewer than 10 there, at
     least 5% of all its ratings.
   - 30 minutes of stability: a note becomes Helpful only after meeting these rules for 30
     minutes in a row (X's NmrDueToMinStableCrhTime).
   - Explanation: a Helpful or Not Helpful note shows the two reasons its raters gave most
     (each given by at least 2 ratings; a tie goes to the reason X's tie-break order ranks
     higher). With fewer than 2 such reasons it stays Needs More Ratings.
   - Locked after two weeks (X's ScoringDriftGuard): the status a note has when it is 14 days
     old is kept from then on, whatever later ratings say (a note waiting out its 30 minutes
     is locked once they are over).
Not ported from X (yet): the tag-consensus harassment model and its penalty, the stable
initialization on a modeling group, pseudo-rater uncertainty, CRH inertia, tag-outlier,
"incorrect" and low-diligence filters, the expansion, group and topic models, and
post-selection similarity.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, fields
from functools import cache
from typing import TYPE_CHECKING

from pnyx.core.algorithms import versions
from pnyx.core.notes import matrix, vocabulary
from pnyx.core.notes.scoring_data import (
    NoteHistory,
    NoteInput,
    NoteResult,
    RaterResult,
    ScoringInput,
    ScoringResult,
)

if TYPE_CHECKING:  # numpy is imported where it computes (`matrix`'s docstring says why)
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Ints = npt.NDArray[np.int64]
    Indices = npt.NDArray[np.intp]
    Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Params:
    # The fit (matrix): X's MatrixFactorization defaults and ranking-notes.
    factor_lambda: float = 0.03  # ranking-notes: lambda_f
    intercept_lambda: float = 0.15  # ranking-notes: lambda_i = 5 x lambda_f (mu too)
    learning_rate: float = 1.0  # X: noInitLearningRate, a fit from scratch
    init_learning_rate: float = 0.2  # X: initLearningRate, a fit from earlier parameters
    adam_beta1: float = 0.9  # torch.optim.Adam's defaults, as X runs it
    adam_beta2: float = 0.999
    adam_eps: float = 1e-8
    max_grad_norm: float = 1.0  # X: clip_grad_norm_(max_norm=1.0)
    convergence: float = 1e-7  # X: convergence
    rising_stop_after: int = 100  # X: a rising loss ends the fit after epoch 100
    max_epochs: int = 5_000  # Pnyx's: every fit ends
    seed: int = 11  # Pnyx's: the factors' random start, so that runs repeat
    # Caps per server (Pnyx's).
    server_note_rating_cap: int = 25
    server_rater_cap: int = 1_000
    # Who is fitted: X's minNumRatersPerNote, minNumRatingsPerRater.
    min_raters_per_note: int = 5
    min_ratings_per_rater: int = 10
    # Statuses: X's minRatingsNeeded, crhThreshold, crnhThresholdIntercept,
    # crnhThresholdNoteFactorMultiplier (Not Helpful if i_n <= intercept + multiplier x |f_n|),
    # crnhThresholdNMIntercept; ranking-notes "Note Status".
    min_ratings_needed: int = 5
    crh_threshold: float = 0.40
    crnh_threshold_intercept: float = -0.05
    crnh_threshold_factor_multiplier: float = -0.8
    crnh_threshold_nm_intercept: float = -0.15
    crh_only_misleading: bool = True  # X: only "misleading" notes become Helpful
    # Contributor helpfulness: contributor-scores; X's constants.publicTSVTimeDelay,
    # minRaterAgreeRatio, author_helpfulness' CRNHMultiplier, minCRHVsCRNHRatio,
    # minMeanNoteScore.
    valid_rating_hours: int = 48
    min_rater_agree_ratio: float = 0.66
    author_crnh_multiplier: float = 5.0
    min_crh_vs_crnh_ratio: float = 0.0
    min_mean_note_score: float = 0.05
    # Final rules: X's factorThreshold, "Net Helpful Minimums" (minMinorityNetHelpfulRatings,
    # RequireRaterBalance's bounds, minMinorityNetHelpfulRatio), NmrDueToMinStableCrhTime's
    # requiredStableCrhMinutesThreshold, minRatingsToGetTag, minTagsNeededForStatus,
    # noteLockMillis.
    factor_threshold: float = 0.5
    min_minority_net_helpful: int = 4
    max_minority_net_helpful: int = 10
    min_net_helpful_ratio: float = 0.05
    stable_crh_minutes: int = 30
    min_ratings_to_get_tag: int = 2
    min_tags_needed: int = 2
    lock_after_days: int = 14


PARAMS = Params()

# Statuses as small integers while scoring; `vocabulary` names them in the results.
NMR, CRH, CRNH = 0, 1, 2
STATUS_NAMES = (
    vocabulary.NEEDS_MORE_RATINGS,
    vocabulary.CURRENTLY_RATED_HELPFUL,
    vocabulary.CURRENTLY_RATED_NOT_HELPFUL,
)
STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES)}
HELPFUL, NOT_HELPFUL = vocabulary.HELPFUL_TAGS, vocabulary.NOT_HELPFUL_TAGS
# X's rule names (scoring_rules.RuleID), recorded with each note.
RULES = ("InitialNMR", "GeneralCRH", "GeneralCRNH", "NmCRNH", "LargeFactor",
         "MinMinorityNetHelpful", "RaterBalance")  # fmt: skip
(INITIAL_NMR, GENERAL_CRH, GENERAL_CRNH, NM_CRNH, LARGE_FACTOR, MIN_MINORITY,
 RATER_BALANCE) = range(len(RULES))  # fmt: skip
STABLE_CRH_TIME = "StableCrhTime"
INSUFFICIENT_EXPLANATION = "InsufficientExplanation"
SCORING_DRIFT_GUARD = "ScoringDriftGuard"
CORE_MODEL = "CoreModel"
_HOUR_MS, _NO_TIME = 3_600_000, 2**63 - 1  # _NO_TIME: the largest int64


@cache
def version() -> str:
    """The scorer's version: a hash of this module, `matrix` and `PARAMS` (computed on first
    use, as it reads the sources)."""
    return versions.version_of([matrix, sys.modules[__name__]], PARAMS)


def fit_settings(params: Params) -> matrix.Settings:
    """The fit's part of the parameters (the fields of `matrix.Settings`, by name)."""
    return matrix.Settings(**{f.name: getattr(params, f.name) for f in fields(matrix.Settings)})


# --- The input as arrays ------------------------------------------------------------------


@dataclass
class _Notes:
    """The notes, sorted by id; a rating refers to one by its position here."""

    inputs: list[NoteInput]
    ids: Ints
    created: Ints
    misleading: Bools
    author: Indices  # the author's rater position, -1 if they rated nothing
    first_non_nmr: Ints  # from the history; _NO_TIME if never


@dataclass
class _Ratings:
    """One entry per rating: the latest of each rater on each note, sorted by note, rater."""

    note: Indices
    rater: Indices
    value: Floats
    created: Ints
    origin: Indices
    helpful_tags: Ints
    not_helpful_tags: Ints


def _codes(values: list[str]) -> tuple[list[str], Indices]:
    """The distinct values, sorted, and each value's position among them."""
    import numpy as np

    distinct = sorted(set(values))
    position = {value: code for code, value in enumerate(distinct)}
    return distinct, np.fromiter((position[v] for v in values), np.intp, len(values))


def _read(data: ScoringInput, counts: dict[str, int]) -> tuple[_Notes, list[str], _Ratings]:
    """The input as arrays, in an order of its own (the result does not depend on the
    input's order); a rating of an unknown note is left out."""
    import numpy as np

    inputs = sorted(data.notes, key=lambda note: note.id)
    ids = np.array([note.id for note in inputs], dtype=np.int64)
    if len(np.unique(ids)) != len(ids):
        raise ValueError("a note id appears twice")
    raw = data.ratings
    rater_ids, rater = _codes(raw.rater)
    _, origin = _codes(raw.origin)
    position = {rater_id: code for code, rater_id in enumerate(rater_ids)}
    first_non_nmr = np.full(len(ids), _NO_TIME, dtype=np.int64)
    for k, one in enumerate(inputs):
        past = data.history.get(one.id)
        if past is not None and past.first_non_nmr_ms is not None:
            first_non_nmr[k] = past.first_non_nmr_ms
    notes = _Notes(
        inputs=inputs,
        ids=ids,
        created=np.array([note.created_ms for note in inputs], dtype=np.int64),
        misleading=np.array([note.misleading for note in inputs], dtype=np.bool_),
        author=np.array([position.get(note.author, -1) for note in inputs], dtype=np.intp),
        first_non_nmr=first_non_nmr,
    )
    note_id = np.array(raw.note, dtype=np.int64)
    note = np.searchsorted(ids, note_id).astype(np.intp)
    known = note < len(ids)
    known[known] = ids[note[known]] == note_id[known]
    created = np.array(raw.created_ms, dtype=np.int64)
    pair = note.astype(np.int64) * len(rater_ids) + rater  # sorted: by note, then rater
    order = np.argsort(pair, kind="stable")
    order = order[known[order]]
    if np.any(pair[order][1:] == pair[order][:-1]):  # a rater twice on a note: the latest
        order = np.lexsort((created, pair))
        order = order[known[order]]
    latest = np.ones(len(order), dtype=np.bool_)
    latest[:-1] = pair[order][1:] != pair[order][:-1]
    counts["ratings_read"] = len(raw)
    counts["ratings_unknown_note"] = int(np.count_nonzero(~known))
    counts["ratings_replaced"] = len(order) - int(np.count_nonzero(latest))
    order = order[latest]
    value = np.array(raw.value, dtype=np.float64)
    helpful, not_helpful = (
        np.array(bits, np.int64)[order] for bits in (raw.helpful_tags, raw.not_helpful_tags)
    )
    ratings = _Ratings(
        note[order], rater[order], value[order], created[order], origin[order], helpful, not_helpful
    )
    return notes, rater_ids, ratings


# --- Step 1 and 2: the caps per server, who is fitted -------------------------------------


def _rank_in_groups(sorted_keys: npt.NDArray[np.int64]) -> Indices:
    """Each entry's position within its run of equal keys (keys sorted)."""
    import numpy as np

    positions = np.arange(len(sorted_keys))
    starts = np.ones(len(sorted_keys), dtype=np.bool_)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return positions - np.maximum.accumulate(np.where(starts, positions, 0))


def _server_caps(r: _Ratings, n_raters: int, params: Params, counts: dict[str, int]) -> Bools:
    """The ratings that count after both caps: first the raters each server may bring (the
    earliest by their first rating), then the ratings each server may give one note (the
    earliest; ties by rater id). Only servers and notes over a cap are sorted."""
    import numpy as np

    pair = r.origin.astype(np.int64) * n_raters + r.rater
    pairs, pair_of = np.unique(pair, return_inverse=True)
    origin_of_pair = pairs // max(n_raters, 1)
    keep = np.ones(len(pair), dtype=np.bool_)
    if np.bincount(origin_of_pair).max(initial=0) > params.server_rater_cap:
        first_ms = np.full(len(pairs), _NO_TIME, dtype=np.int64)
        np.minimum.at(first_ms, pair_of, r.created)
        ranked = np.lexsort((pairs % n_raters, first_ms, origin_of_pair))
        admitted = np.zeros(len(pairs), dtype=np.bool_)
        admitted[ranked[_rank_in_groups(origin_of_pair[ranked]) < params.server_rater_cap]] = True
        keep = admitted[pair_of]
    counts["ratings_over_server_rater_cap"] = len(keep) - int(np.count_nonzero(keep))
    group = r.note.astype(np.int64) * (int(r.origin.max(initial=0)) + 1) + r.origin
    groups, group_of = np.unique(group, return_inverse=True)
    sizes = np.bincount(group_of[keep], minlength=len(groups))
    crowded = np.flatnonzero(keep & (sizes[group_of] > params.server_note_rating_cap))
    crowded = crowded[np.lexsort((r.rater[crowded], r.created[crowded], group[crowded]))]
    over = crowded[_rank_in_groups(group[crowded]) >= params.server_note_rating_cap]
    keep[over] = False
    counts["ratings_over_server_note_cap"] = len(over)
    counts["ratings_kept"] = int(np.count_nonzero(keep))
    return keep


def _at_least(codes: Indices, mask: Bools, size: int, minimum: int) -> Bools:
    """Per rating: whether its note (or rater) has at least `minimum` ratings in `mask`."""
    import numpy as np

    return (np.bincount(codes[mask], minlength=size) >= minimum)[codes]


def _fitted_ratings(r: _Ratings, keep: Bools, n_notes: int, n_raters: int, params: Params) -> Bools:
    """X's filter_ratings: notes, then raters, then notes again (once, not until stable)."""
    mask = keep & _at_least(r.note, keep, n_notes, params.min_raters_per_note)
    mask &= _at_least(r.rater, mask, n_raters, params.min_ratings_per_rater)
    mask &= _at_least(r.note, mask, n_notes, params.min_raters_per_note)
    return mask


# --- Step 4 and 7: statuses from a model --------------------------------------------------


def _apply(status: Ints, rule: Ints, where: Bools, new_status: int, new_rule: int) -> None:
    """Set `new_status` where `where` holds, recording the rule where the status changes."""
    change = where & (status != new_status)
    status[change] = new_status
    rule[change] = new_rule


def _model_statuses(model: matrix.Subfit, notes: _Notes, params: Params) -> tuple[Ints, Ints]:
    """The thresholds on intercept and factor (NaN, a note not in the model, meets none)."""
    import numpy as np

    intercept, factor = model.note_intercept, model.note_factor
    status = np.full(len(intercept), NMR, dtype=np.int64)
    rule = np.full(len(intercept), INITIAL_NMR, dtype=np.int64)
    enough = model.note_count >= params.min_ratings_needed
    crh = enough & (intercept >= params.crh_threshold)
    if params.crh_only_misleading:
        crh &= notes.misleading
    _apply(status, rule, crh, CRH, GENERAL_CRH)
    slope = params.crnh_threshold_factor_multiplier
    line = params.crnh_threshold_intercept + slope * np.abs(factor)
    _apply(status, rule, enough & (intercept <= line), CRNH, GENERAL_CRNH)
    low = enough & ~notes.misleading & (intercept <= params.crnh_threshold_nm_intercept)
    _apply(status, rule, low, CRNH, NM_CRNH)
    return status, rule


def _net_helpful(r: _Ratings, final: matrix.Subfit, n_notes: int) -> tuple[Ints, Floats]:
    """Per note: the smaller side's helpful minus not-helpful ratings (at least 0), the
    sides split by the final model's rater factors, and that over the note's ratings."""
    import numpy as np

    mask = final.mask
    note = r.note[mask]
    negative = final.rater_factor[r.rater[mask]] < 0
    net = (r.value[mask] == 1.0).astype(np.float64) - (r.value[mask] == 0.0)
    negative_net = np.bincount(note[negative], net[negative], n_notes)
    positive_net = np.bincount(note[~negative], net[~negative], n_notes)
    smaller = np.maximum(0.0, np.minimum(negative_net, positive_net)).astype(np.int64)
    return smaller, smaller / np.maximum(final.note_count, 1)


def _final_statuses(
    r: _Ratings, notes: _Notes, final: matrix.Subfit, params: Params
) -> tuple[Ints, Ints, Ints, Floats]:
    """Rules a to d of step 7 (the rest depend on each note's history)."""
    import numpy as np

    status, rule = _model_statuses(final, notes, params)
    large = (status == CRH) & (np.abs(final.note_factor) >= params.factor_threshold)
    _apply(status, rule, large, NMR, LARGE_FACTOR)
    net_min, ratio = _net_helpful(r, final, len(notes.ids))
    few = (status == CRH) & (net_min < params.min_minority_net_helpful)
    _apply(status, rule, few, NMR, MIN_MINORITY)
    # Those still Helpful have at least `min_minority_net_helpful` (X's RequireRaterBalance
    # applies from there up to `max_minority_net_helpful`).
    unbalanced = (
        (status == CRH)
        & (net_min < params.max_minority_net_helpful)
        & (ratio < params.min_net_helpful_ratio)
    )
    _apply(status, rule, unbalanced, NMR, RATER_BALANCE)
    return status, rule, net_min, ratio


def _tag_counts(
    mask: Bools, note_of: Indices, bits: Ints, tags: tuple[object, ...], n_notes: int
) -> Ints:
    """How many ratings in `mask` gave each of `tags`, per note: (notes, tags)."""
    import numpy as np

    note, given = note_of[mask], bits[mask]
    counts = np.zeros((n_notes, len(tags)), dtype=np.int64)
    for tag in range(len(tags)):
        counts[:, tag] = np.bincount(note, (given >> tag) & 1, n_notes)
    return counts


# --- Step 5: who counts in the final fit --------------------------------------------------


def _helpful_raters(
    r: _Ratings,
    keep: Bools,
    notes: _Notes,
    first: matrix.Subfit,
    first_status: Ints,
    params: Params,
) -> tuple[Bools, Floats]:
    """Per rater: whether they count in the final fit, and their agree ratio (NaN if they
    made no valid rating)."""
    import numpy as np

    n_raters = len(first.rater_in)
    status = first_status[r.note]
    binary = (r.value == 1.0) | (r.value == 0.0)
    early = r.created - notes.created[r.note] < params.valid_rating_hours * _HOUR_MS
    valid = keep & ((status == CRH) | (status == CRNH)) & binary & early
    valid &= r.created < notes.first_non_nmr[r.note]
    agrees = valid & (((status == CRH) & (r.value == 1.0)) | ((status == CRNH) & (r.value == 0.0)))
    made = np.bincount(r.rater[valid], minlength=n_raters)
    agreed = np.bincount(r.rater[agrees], minlength=n_raters)
    ratio = np.full(n_raters, np.nan)
    ratio[made > 0] = agreed[made > 0] / made[made > 0]
    rater_ok = (made > 0) & (np.nan_to_num(ratio) >= params.min_rater_agree_ratio)
    scored = (first.note_count >= params.min_ratings_needed) & ~np.isnan(first.note_intercept)
    scored &= notes.author >= 0
    author = notes.author[scored]
    written = np.bincount(author, minlength=n_raters)
    helpful = np.bincount(author, first_status[scored] == CRH, n_raters)
    not_helpful = np.bincount(author, first_status[scored] == CRNH, n_raters)
    intercepts = np.bincount(author, first.note_intercept[scored], n_raters)
    wrote = written > 0
    penalized = helpful - params.author_crnh_multiplier * not_helpful
    share = np.zeros(n_raters)
    share[wrote] = penalized[wrote] / written[wrote]
    mean = np.zeros(n_raters)
    mean[wrote] = intercepts[wrote] / written[wrote]
    author_ok = ~wrote | (
        (share >= params.min_crh_vs_crnh_ratio) & (mean >= params.min_mean_note_score)
    )
    return first.rater_in & rater_ok & author_ok, ratio


# --- Step 7 (e to h): what depends on each note's history ---------------------------------


@dataclass
class _Scored:
    """What the models say of every note (positions as in `_Notes`)."""

    status: Ints
    rule: Ints
    net_min: Ints
    ratio: Floats
    helpful_tags: Ints  # (notes, HELPFUL_TAGS)
    not_helpful_tags: Ints  # (notes, NOT_HELPFUL_TAGS)
    final: matrix.Subfit
    rating_count: Ints  # every rating read, before any filter


def _top_tags(scored: _Scored, k: int, status: int, params: Params) -> tuple[str, ...]:
    """The two tags given most often on note k for its status (at least
    `min_ratings_to_get_tag` times each; a tie goes to the higher tie-break rank)."""
    if status == CRH:
        names, counts = vocabulary.HELPFUL_TAG_NAMES, scored.helpful_tags[k]
    elif status == CRNH:
        names, counts = vocabulary.NOT_HELPFUL_TAG_NAMES, scored.not_helpful_tags[k]
    else:
        return ()
    ranked = sorted(
        (
            (int(count), vocabulary.TIEBREAK[name], name)
            for name, count in zip(names, counts, strict=True)
            if count >= params.min_ratings_to_get_tag
        ),
        reverse=True,
    )
    return tuple(name for _, _, name in ranked[:2])


def _note_result(
    k: int, note: NoteInput, past: NoteHistory | None, scored: _Scored, params: Params, now: int
) -> NoteResult:
    status, rule = int(scored.status[k]), RULES[scored.rule[k]]
    since = None
    if status == CRH:  # e. it must meet the rules for `stable_crh_minutes` in a row
        since = now
        if past is not None and past.crh_candidate_since_ms is not None:
            since = past.crh_candidate_since_ms
        already = past is not None and past.status == vocabulary.CURRENTLY_RATED_HELPFUL
        if now - since < params.stable_crh_minutes * 60_000 and not already:
            status, rule = NMR, STABLE_CRH_TIME
    tags = _top_tags(scored, k, status, params)  # f. two reasons, or no status
    if status != NMR and len(tags) < params.min_tags_needed:
        status, rule, tags = NMR, INSUFFICIENT_EXPLANATION, ()
    name = STATUS_NAMES[status]
    first_ms, first_status = None, None  # g. when it first left Needs More Ratings
    if past is not None and past.first_non_nmr_ms is not None:
        first_ms, first_status = past.first_non_nmr_ms, past.first_non_nmr_status
    elif status != NMR:
        first_ms, first_status = now, name
    decided_by, locked = CORE_MODEL, None  # h. the status at two weeks stays
    if past is not None and past.locked_status is not None:
        locked = past.locked_status
        if locked != name:  # the lock decides only where the model now says otherwise (X)
            tags = _top_tags(scored, k, STATUS_CODES.get(locked, NMR), params)
            name, rule, decided_by = locked, SCORING_DRIFT_GUARD, SCORING_DRIFT_GUARD
    elif (
        rule != STABLE_CRH_TIME and now - note.created_ms >= params.lock_after_days * 24 * _HOUR_MS
    ):
        # (Not while it waits out its stable time: a note first scored when already two
        # weeks old, one that reached this server late, would lock before it could show.)
        locked = name
    final = scored.final
    return NoteResult(
        intercept=_optional(final.note_intercept[k]),
        factor=_optional(final.note_factor[k]),
        status=name,
        rating_count=int(scored.rating_count[k]),
        net_min_helpful=int(scored.net_min[k]),
        net_min_helpful_ratio=float(scored.ratio[k]),
        tags=tags,
        crh_candidate_since_ms=since,
        locked_status=locked,
        first_non_nmr_ms=first_ms,
        first_non_nmr_status=first_status,
        decided_by=decided_by,
        rule=rule,
    )


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _rater_results(
    rater_ids: list[str], first: matrix.Subfit, final: matrix.Subfit, helpful: Bools, agree: Floats
) -> dict[str, RaterResult]:
    return {
        rater_ids[code]: RaterResult(
            intercept=_optional(final.rater_intercept[code]),
            factor=_optional(final.rater_factor[code]),
            first_intercept=float(first.rater_intercept[code]),
            first_factor=float(first.rater_factor[code]),
            agree_ratio=_optional(agree[code]),
            helpful=bool(helpful[code]),
        )
        for code in first.rater_in.nonzero()[0].tolist()
    }


def _model_counts(name: str, model: matrix.Subfit, counts: dict[str, int]) -> None:
    counts[f"ratings_{name}_model"] = int(model.mask.sum())
    counts[f"notes_{name}_model"] = int((model.note_count > 0).sum())
    counts[f"raters_{name}_model"] = int(model.rater_in.sum())


# --- The run ------------------------------------------------------------------------------


def score(data: ScoringInput, params: Params = PARAMS) -> ScoringResult:
    """Score every note of `data` (the steps of this module's docstring)."""
    import numpy as np

    counts: dict[str, int] = {"notes": len(data.notes)}
    notes, rater_ids, r = _read(data, counts)
    n_notes, n_raters = len(notes.ids), len(rater_ids)
    keep = _server_caps(r, n_raters, params, counts)
    fitted = _fitted_ratings(r, keep, n_notes, n_raters, params)
    sizes, settings = (n_raters, n_notes), fit_settings(params)
    first = matrix.fit_subset(r.rater, r.note, r.value, fitted, sizes, settings)
    first_status, _ = _model_statuses(first, notes, params)
    helpful, agree = _helpful_raters(r, keep, notes, first, first_status, params)
    counts["raters_helpful"] = int(np.count_nonzero(helpful))
    final_mask = first.mask & helpful[r.rater]
    final_mask &= _at_least(r.note, final_mask, n_notes, params.min_raters_per_note)
    final = matrix.fit_subset(r.rater, r.note, r.value, final_mask, sizes, settings, first)
    _model_counts("first", first, counts)
    _model_counts("final", final, counts)
    status, rule, net_min, ratio = _final_statuses(r, notes, final, params)
    tags = [
        _tag_counts(final.mask, r.note, bits, names, n_notes)
        for bits, names in ((r.helpful_tags, HELPFUL), (r.not_helpful_tags, NOT_HELPFUL))
    ]
    every = np.bincount(r.note, minlength=n_notes).astype(np.int64)
    scored = _Scored(status, rule, net_min, ratio, tags[0], tags[1], final, every)
    results = {
        note.id: _note_result(k, note, data.history.get(note.id), scored, params, data.now_ms)
        for k, note in enumerate(notes.inputs)
    }
    for name in STATUS_NAMES:
        short = vocabulary.SHORT_STATUS[name]
        counts[f"notes_{short}"] = sum(1 for result in results.values() if result.status == name)
    fits = {"first": first.fit, "final": final.fit}
    return ScoringResult(
        notes=results,
        raters=_rater_results(rater_ids, first, final, helpful, agree),
        global_intercept=final.mu,
        first_global_intercept=first.mu,
        counts=counts,
        losses={name: fit.loss if fit else 0.0 for name, fit in fits.items()},
        epochs={name: fit.epochs if fit else 0 for name, fit in fits.items()},
    )
