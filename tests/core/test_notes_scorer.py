"""The community-notes scorer (`pnyx.core.notes.scorer`, `matrix`) on constructed data where
the answer is known: no database.

The population: two camps of 40 raters each ("left", "right"), spread over four servers. Most
notes are partisan (one camp rates them helpful, the other not helpful), so the factor learns
the camps; a few anchor notes are rated helpful (or not helpful) by both camps, early, so
that every rater has valid ratings that agree and passes the helpfulness filter. Notes under
test are added to that population. The real constants are used, except where a test is about
a rule and says so.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from pnyx.core.notes import matrix, scorer, vocabulary
from pnyx.core.notes.scoring_data import (
    NoteHistory,
    NoteInput,
    RatingsInput,
    ScoringInput,
    ScoringResult,
)

HOUR = 3_600_000
MINUTE = 60_000
DAY = 24 * HOUR
NOW = 1_800_000_000_000
LEFT = [f"left-{i:02d}" for i in range(40)]
RIGHT = [f"right-{i:02d}" for i in range(40)]
SERVERS = [f"s{i}.example" for i in range(4)]
CRH = vocabulary.CURRENTLY_RATED_HELPFUL
CRNH = vocabulary.CURRENTLY_RATED_NOT_HELPFUL
NMR = vocabulary.NEEDS_MORE_RATINGS


def bits(names: tuple[str, ...], *chosen: str) -> int:
    return sum(1 << names.index(name) for name in chosen)


GOOD = bits(vocabulary.HELPFUL_TAG_NAMES, "helpfulClear", "helpfulGoodSources")
BAD = bits(vocabulary.NOT_HELPFUL_TAG_NAMES, "notHelpfulIncorrect", "notHelpfulMissingKeyPoints")


class Population:
    """Notes and ratings, built up by the tests."""

    def __init__(self, seed: int = 7) -> None:
        self.notes: list[NoteInput] = []
        self.ratings = RatingsInput()
        self.random = random.Random(seed)

    def note(
        self, created: int = NOW - 10 * HOUR, misleading: bool = True, author: str = "w"
    ) -> int:
        note_id = len(self.notes) + 1
        self.notes.append(NoteInput(note_id, created, author, misleading))
        return note_id

    def rate(
        self,
        note_id: int,
        raters: list[str],
        value: float,
        tags: bool = True,
        origin: str | None = None,
        after: int = HOUR,
    ) -> None:
        """Each rater rates the note `after` its creation (a minute apart, in list order)."""
        created = self.notes[note_id - 1].created_ms + after
        for k, rater in enumerate(raters):
            home = origin or SERVERS[int(rater.rsplit("-", 1)[1]) % len(SERVERS)]
            self.ratings.add(
                note_id,
                rater,
                value,
                created + k * MINUTE,
                home,
                helpful_tags=GOOD if tags and value == 1.0 else 0,
                not_helpful_tags=BAD if tags and value == 0.0 else 0,
            )

    def sample(self, camp: list[str], size: int) -> list[str]:
        return self.random.sample(camp, size)

    def copy(self) -> Population:
        other = Population()
        other.notes = list(self.notes)
        for field in dataclasses.fields(RatingsInput):
            getattr(other.ratings, field.name).extend(getattr(self.ratings, field.name))
        return other

    def data(self, now: int = NOW, history: dict[int, NoteHistory] | None = None) -> ScoringInput:
        return ScoringInput(list(self.notes), self.ratings, dict(history or {}), now)


def base_population(partisan: int = 30, anchors: int = 6) -> Population:
    people = Population()
    for k in range(partisan):
        for fans, critics in ((LEFT, RIGHT), (RIGHT, LEFT)):
            note_id = people.note(created=NOW - (20 + k) * HOUR)
            people.rate(note_id, people.sample(fans, 12), 1.0)
            people.rate(note_id, people.sample(critics, 12), 0.0)
    for k in range(anchors):
        good = people.note(created=NOW - (60 + k) * HOUR)
        people.rate(good, people.sample(LEFT, 20) + people.sample(RIGHT, 20), 1.0)
        bad = people.note(created=NOW - (60 + k) * HOUR)
        people.rate(bad, people.sample(LEFT, 20) + people.sample(RIGHT, 20), 0.0)
    return people


def history_of(result: ScoringResult) -> dict[int, NoteHistory]:
    """What the database side keeps of a run, for the next one."""
    return {
        note_id: NoteHistory(
            status=note.status,
            first_non_nmr_ms=note.first_non_nmr_ms,
            first_non_nmr_status=note.first_non_nmr_status,
            crh_candidate_since_ms=note.crh_candidate_since_ms,
            locked_status=note.locked_status,
        )
        for note_id, note in result.notes.items()
    }


def settled(
    people: Population,
    params: scorer.Params = scorer.PARAMS,
    history: dict[int, NoteHistory] | None = None,
) -> tuple[ScoringResult, ScoringResult]:
    """A run at NOW, then one 31 minutes later that continues it (past the 30-minute delay)."""
    first = scorer.score(people.data(NOW, history), params)
    later = {**history_of(first), **(history or {})}
    return first, scorer.score(people.data(NOW + 31 * MINUTE, later), params)


@dataclasses.dataclass
class Scenario:
    people: Population
    ids: dict[str, int]
    first: ScoringResult
    second: ScoringResult


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    people = base_population()
    ids: dict[str, int] = {}
    ids["bridging"] = people.note()
    people.rate(ids["bridging"], LEFT[:15] + RIGHT[:15], 1.0)
    ids["one_side"] = people.note()
    people.rate(ids["one_side"], LEFT, 1.0)
    ids["one_side_opposed"] = people.note()
    people.rate(ids["one_side_opposed"], RIGHT, 1.0)
    people.rate(ids["one_side_opposed"], LEFT, 0.0)
    ids["rejected"] = people.note()
    people.rate(ids["rejected"], LEFT[:15] + RIGHT[:15], 0.0)
    ids["untagged_rejected"] = people.note()
    people.rate(ids["untagged_rejected"], LEFT[10:25] + RIGHT[10:25], 0.0, tags=False)
    ids["untagged_bridging"] = people.note()
    people.rate(ids["untagged_bridging"], LEFT[20:35] + RIGHT[20:35], 1.0, tags=False)
    ids["not_misleading"] = people.note(misleading=False)
    people.rate(ids["not_misleading"], LEFT[5:20] + RIGHT[5:20], 1.0)
    ids["locked"] = people.note(created=NOW - 15 * DAY)
    people.rate(ids["locked"], LEFT[:15] + RIGHT[:15], 0.0)
    ids["old"] = people.note(created=NOW - 15 * DAY)
    people.rate(ids["old"], LEFT[15:30] + RIGHT[15:30], 0.0)
    ids["turning_two_weeks"] = people.note(created=NOW - 14 * DAY + 10 * MINUTE)
    people.rate(ids["turning_two_weeks"], LEFT[25:40] + RIGHT[25:40], 0.0)
    ids["unrated"] = people.note()
    ids["by_rater"] = people.note(author=LEFT[39])
    people.rate(ids["by_rater"], LEFT[:20] + RIGHT[:20], 0.0)
    locked = NoteHistory(CRH, NOW - 14 * DAY, CRH, None, locked_status=CRH)
    first, second = settled(people, history={ids["locked"]: locked})
    return Scenario(people, ids, first, second)


# --- Statuses -----------------------------------------------------------------------------


def test_the_anchor_notes_get_their_status_and_every_rater_counts(scenario: Scenario):
    """The population works as designed: the factor separates the camps, and the raters
    pass the helpfulness filter (except the one who wrote a rejected note, see below)."""
    result = scenario.second
    statuses = [result.notes[n].status for n in range(61, 73)]
    assert statuses == [CRH, CRNH] * 6
    left = {np.sign(result.raters[r].first_factor) for r in LEFT}
    right = {np.sign(result.raters[r].first_factor) for r in RIGHT}
    assert len(left) == len(right) == 1 and left != right
    assert sum(r.helpful for r in result.raters.values()) == 79
    assert result.counts["raters_final_model"] == 79


def test_a_note_rated_helpful_on_both_sides_is_helpful_with_its_two_tags(scenario: Scenario):
    note = scenario.second.notes[scenario.ids["bridging"]]
    assert note.status == CRH and note.rule == "GeneralCRH" and note.decided_by == "CoreModel"
    assert note.intercept is not None and note.intercept >= 0.40
    assert note.factor is not None and abs(note.factor) < 0.5
    # Both given 15 times: the tie goes to helpfulClear (X's tie-break rank 7, against 4).
    assert note.tags == ("helpfulClear", "helpfulGoodSources")
    assert note.net_min_helpful == 15 and note.net_min_helpful_ratio == 0.5
    assert note.first_non_nmr_status == CRH and note.first_non_nmr_ms == NOW + 31 * MINUTE


def test_a_note_rated_helpful_by_one_side_only_is_not_helpful(scenario: Scenario):
    """However many of one side rate it helpful: all 40 of one camp (the other silent), or
    all 40 of one camp against all 40 of the other."""
    for name in ("one_side", "one_side_opposed"):
        note = scenario.second.notes[scenario.ids[name]]
        assert note.status != CRH, name
        assert note.intercept is not None and note.intercept < 0.40, name
        assert note.factor is not None and abs(note.factor) > 0.5, name
    assert scenario.second.notes[scenario.ids["one_side_opposed"]].rating_count == 80


def test_a_note_rated_not_helpful_on_both_sides_is_not_helpful_at_once(scenario: Scenario):
    note = scenario.first.notes[scenario.ids["rejected"]]
    assert note.status == CRNH and note.rule == "GeneralCRNH"
    assert note.tags == ("notHelpfulIncorrect", "notHelpfulMissingKeyPoints")
    assert note.first_non_nmr_ms == NOW and note.first_non_nmr_status == CRNH
    later = scenario.second.notes[scenario.ids["rejected"]]
    assert later.status == CRNH and later.first_non_nmr_ms == NOW


def test_the_helpful_status_waits_30_minutes(scenario: Scenario):
    first = scenario.first.notes[scenario.ids["bridging"]]
    assert first.status == NMR and first.rule == "StableCrhTime"
    assert first.crh_candidate_since_ms == NOW and first.tags == ()
    assert first.first_non_nmr_ms is None
    second = scenario.second.notes[scenario.ids["bridging"]]
    assert second.status == CRH and second.crh_candidate_since_ms == NOW
    too_soon = scorer.score(scenario.people.data(NOW + 29 * MINUTE, history_of(scenario.first)))
    assert too_soon.notes[scenario.ids["bridging"]].status == NMR
    assert too_soon.notes[scenario.ids["bridging"]].rule == "StableCrhTime"
    # A note that stops meeting the rules loses its candidacy.
    assert scenario.second.notes[scenario.ids["one_side"]].crh_candidate_since_ms is None


def test_without_two_reasons_a_note_keeps_needing_ratings(scenario: Scenario):
    rejected = scenario.first.notes[scenario.ids["untagged_rejected"]]
    assert rejected.status == NMR and rejected.rule == "InsufficientExplanation"
    assert rejected.tags == () and rejected.first_non_nmr_ms is None
    helpful = scenario.second.notes[scenario.ids["untagged_bridging"]]
    assert helpful.status == NMR and helpful.rule == "InsufficientExplanation"
    assert helpful.intercept is not None and helpful.intercept >= 0.40


def test_only_notes_that_say_the_post_misleads_become_helpful(scenario: Scenario):
    """X's rule (ranking-notes, "Note Status"): a "not misleading" note rated helpful on
    both sides stays Needs More Ratings."""
    note = scenario.second.notes[scenario.ids["not_misleading"]]
    assert note.intercept is not None and note.intercept >= 0.40
    assert note.status == NMR and note.rule == "InitialNMR"


def test_a_status_is_locked_after_two_weeks(scenario: Scenario):
    locked = scenario.second.notes[scenario.ids["locked"]]
    assert locked.intercept is not None and locked.intercept < -0.05  # now rated not helpful
    assert locked.status == CRH and locked.locked_status == CRH
    assert locked.rule == "ScoringDriftGuard" and locked.decided_by == "ScoringDriftGuard"
    assert locked.tags == ()  # no helpful tag was given
    old = scenario.first.notes[scenario.ids["old"]]
    assert old.status == CRNH and old.locked_status == CRNH and old.decided_by == "CoreModel"
    turning = scenario.ids["turning_two_weeks"]
    assert scenario.first.notes[turning].locked_status is None
    assert scenario.second.notes[turning].locked_status == CRNH


def test_a_locked_status_holds_whatever_the_ratings_say(scenario: Scenario):
    """The raters of the note locked as Not Helpful change their minds (a rater's latest
    rating replaces the earlier one): the intercept says helpful, the status stays."""
    later = scenario.people.copy()
    later.rate(scenario.ids["old"], LEFT[15:30] + RIGHT[15:30], 1.0, after=3 * DAY)
    result = scorer.score(later.data(NOW + 2 * HOUR, history_of(scenario.second)))
    note = result.notes[scenario.ids["old"]]
    assert note.intercept is not None and note.intercept >= 0.40
    assert note.status == CRNH and note.rule == "ScoringDriftGuard"
    assert result.counts["ratings_replaced"] == 30


def test_a_note_without_ratings_needs_more(scenario: Scenario):
    note = scenario.second.notes[scenario.ids["unrated"]]
    assert (note.status, note.rating_count, note.intercept, note.factor, note.tags) == (
        NMR,
        0,
        None,
        None,
        (),
    )
    assert len(scenario.second.notes) == len(scenario.people.notes)


# --- Who counts ---------------------------------------------------------------------------


def test_a_rater_who_wrote_a_rejected_note_does_not_count(scenario: Scenario):
    """LEFT[39] wrote a note both sides rejected: (0 - 5 x 1) / 1 < 0, though every valid
    rating of theirs agrees."""
    rater = scenario.second.raters[LEFT[39]]
    assert rater.agree_ratio == 1.0 and rater.helpful is False
    assert rater.intercept is None and rater.factor is None
    assert scenario.second.raters[LEFT[38]].helpful is True


def test_raters_who_disagree_or_rate_late_do_not_count():
    people = base_population()
    contrarian, late = "left-contrarian-90", "right-late-91"
    anchors = [n for n in range(61, 73)]
    for note_id in anchors:  # helpful on the rejected anchors, not helpful on the good ones
        value = 0.0 if note_id % 2 else 1.0
        people.rate(note_id, [contrarian], value, after=2 * HOUR)
        people.rate(note_id, [late], 1.0 - value, after=3 * DAY)  # agrees, but after 48 h
    result = scorer.score(people.data())
    assert result.raters[contrarian].agree_ratio == 0.0
    assert result.raters[contrarian].helpful is False
    assert result.raters[late].agree_ratio is None and result.raters[late].helpful is False
    assert result.raters[LEFT[0]].helpful is True


def test_ratings_before_a_notes_first_status_are_the_valid_ones():
    people = base_population()
    rater = "right-early-92"
    for note_id in range(61, 73):
        people.rate(note_id, [rater], 1.0 if note_id % 2 else 0.0, after=2 * HOUR)
    statused = {n: NoteHistory(NMR, first_non_nmr_ms=NOW - 100 * HOUR) for n in range(61, 73)}
    result = scorer.score(people.data(history=statused))
    assert result.raters[rater].agree_ratio is None  # rated after each note got its status
    assert scorer.score(people.data()).raters[rater].agree_ratio == 1.0


# --- Rules that need a parameter moved ----------------------------------------------------


def test_too_few_net_helpful_ratings_on_one_side_keep_a_note_from_helpful():
    """Three helpful ratings on the right (net 3 < 4): MinMinorityNetHelpful. The same note
    becomes Helpful once the minimum is 3 (a test value), so the rule, not the intercept,
    holds it back."""
    people = base_population()
    note_id = people.note()
    people.rate(note_id, LEFT[:15] + RIGHT[:3], 1.0)
    _, held = settled(people)
    note = held.notes[note_id]
    assert note.intercept is not None and note.intercept >= 0.4 and abs(note.factor or 0) < 0.5
    assert note.net_min_helpful == 3 and note.net_min_helpful_ratio == pytest.approx(3 / 18)
    assert note.status == NMR and note.rule == "MinMinorityNetHelpful"
    _, passed = settled(people, scorer.Params(min_minority_net_helpful=3))
    assert passed.notes[note_id].status == CRH


def test_a_note_liked_on_few_sides_needs_a_balance_of_raters():
    """Five helpful ratings on each side: net 5 of 10 ratings (ratio 0.5). With the minimum
    ratio raised to 0.6 (a test value) the note is held by RaterBalance; at X's 0.05 it
    passes."""
    people = base_population()
    note_id = people.note()
    people.rate(note_id, LEFT[:5] + RIGHT[:5], 1.0)
    _, passed = settled(people)
    assert passed.notes[note_id].status == CRH
    assert passed.notes[note_id].net_min_helpful == 5
    assert passed.notes[note_id].net_min_helpful_ratio == 0.5
    _, held = settled(people, scorer.Params(min_net_helpful_ratio=0.6))
    assert held.notes[note_id].status == NMR and held.notes[note_id].rule == "RaterBalance"


def test_a_note_with_a_large_factor_is_not_helpful_whatever_its_intercept():
    """With the Helpful threshold at -1 (a test value), a one-sided note passes on its
    intercept; its factor (|f_n| >= 0.5) holds it back, before any other rule."""
    people = base_population()
    note_id = people.note()
    people.rate(note_id, LEFT, 1.0)
    result = scorer.score(people.data(), scorer.Params(crh_threshold=-1.0))
    note = result.notes[note_id]
    assert note.factor is not None and abs(note.factor) >= 0.5
    assert note.status == NMR and note.rule == "LargeFactor"
    partisan = [result.notes[n] for n in range(1, 61)]
    assert all(n.rule == "LargeFactor" for n in partisan if abs(n.factor or 0) >= 0.5)


def test_a_note_saying_the_post_is_fine_is_rejected_at_a_higher_intercept():
    """NmCRNH: with the general Not Helpful line moved out of reach (a test value), a "not
    misleading" note both sides reject is still Not Helpful (i_n <= -0.15); the same
    ratings on a "misleading" note leave it Needs More Ratings."""
    people = base_population()
    fine, misleading = people.note(misleading=False), people.note()
    for note_id in (fine, misleading):
        people.rate(note_id, LEFT[:15] + RIGHT[:15], 0.0)
    result = scorer.score(people.data(), scorer.Params(crnh_threshold_intercept=-5.0))
    assert (result.notes[fine].intercept or 0) <= -0.15
    assert result.notes[fine].status == CRNH and result.notes[fine].rule == "NmCRNH"
    assert result.notes[misleading].status == NMR
    assert result.notes[misleading].rule == "InitialNMR"


def test_a_server_counts_25_ratings_on_one_note_the_earliest():
    """Thirty raters of one server rate the same ten notes, a minute apart: on each note the
    first 25 count, so the last five have no rating left and never enter the model. With the
    same time for all, the lower rater ids win."""
    for same_time in (False, True):
        people = base_population()
        flood = [f"flood-{i:02d}" for i in range(30)]
        for note_id in range(1, 11):
            people.rate(note_id, flood, 1.0, origin="flood.example")
            if same_time:
                for k in range(len(people.ratings) - 30, len(people.ratings)):
                    people.ratings.created_ms[k] = people.ratings.created_ms[-30]
        result = scorer.score(people.data())
        assert result.counts["ratings_over_server_note_cap"] == 10 * 5
        assert set(flood[:25]) <= set(result.raters)
        assert not set(flood[25:]) & set(result.raters)


def test_a_server_brings_at_most_its_cap_of_raters():
    """With the cap at 20 (a test value), the 20 raters of the server who rated first enter."""
    people = base_population()
    flood = [f"flood-{i:02d}" for i in range(30)]
    for note_id in range(1, 11):
        people.rate(note_id, flood[::-1], 1.0, origin="flood.example")  # flood-29 first
    result = scorer.score(people.data(), scorer.Params(server_rater_cap=20))
    assert set(flood[10:]) <= set(result.raters) and not set(flood[:10]) & set(result.raters)
    assert result.counts["ratings_over_server_rater_cap"] == 10 * 10
    assert set(LEFT + RIGHT) <= set(result.raters)  # 10 per server each: under the cap


# --- The run as a whole -------------------------------------------------------------------


def test_the_same_ratings_give_the_same_results_in_any_order(scenario: Scenario):
    people, history = scenario.people, history_of(scenario.first)
    repeat = scorer.score(people.data(NOW, history))
    assert repeat == scorer.score(people.data(NOW, history))
    order = list(range(len(people.ratings)))
    random.Random(3).shuffle(order)
    shuffled = RatingsInput()
    for field in dataclasses.fields(RatingsInput):
        column = getattr(people.ratings, field.name)
        getattr(shuffled, field.name).extend(column[k] for k in order)
    data = ScoringInput(people.notes[::-1], shuffled, history, NOW)
    assert scorer.score(data) == repeat


def test_counts_losses_and_version(scenario: Scenario):
    result = scenario.first
    counts = result.counts
    assert counts["ratings_read"] == len(scenario.people.ratings)
    assert counts["ratings_kept"] == counts["ratings_read"]  # no server over a cap
    assert counts["ratings_first_model"] >= counts["ratings_final_model"] > 0
    assert counts["raters_first_model"] == 80 and counts["raters_helpful"] == 79
    assert counts["notes_helpful"] + counts["notes_not_helpful"] + counts[
        "notes_needs_more_ratings"
    ] == len(scenario.people.notes)
    assert set(result.losses) == set(result.epochs) == {"first", "final"}
    assert 0 < result.losses["final"] < 0.25 and result.epochs["first"] > 10
    assert len(scorer.version()) == 12


def test_nothing_to_score():
    result = scorer.score(ScoringInput([NoteInput(1, NOW, "w", True)], RatingsInput(), {}, NOW))
    assert result.notes[1].status == NMR and result.raters == {}
    assert result.epochs == {"first": 0, "final": 0}


# --- The fit ------------------------------------------------------------------------------


def test_the_fit_recovers_known_parameters():
    """Ratings made from known parameters (plus noise): the fitted note intercepts and
    factors follow the true ones, the loss falls until it settles (X's loop ends when it
    moves by 1e-7 or less, or when it rises after epoch 100: both happen here, by seed), and
    the larger group of raters is given the negative factor."""
    rng = np.random.default_rng(5)
    n_raters, n_notes = 300, 400
    camp = np.where(rng.random(n_raters) < 0.6, -1.0, 1.0)  # 60% on one side
    rater_factor = camp * rng.uniform(0.5, 1.0, n_raters)
    rater_intercept = rng.normal(0, 0.1, n_raters)
    note_factor = rng.normal(0, 0.4, n_notes)
    note_intercept = rng.normal(0, 0.3, n_notes)
    raters = np.concatenate([rng.choice(n_raters, 30, replace=False) for _ in range(n_notes)])
    notes = np.repeat(np.arange(n_notes), 30)
    values = 0.4 + rater_intercept[raters] + note_intercept[notes]
    values += rater_factor[raters] * note_factor[notes] + rng.normal(0, 0.1, len(notes))
    fit = matrix.fit(raters, notes, values, n_raters, n_notes, scorer.fit_settings(scorer.PARAMS))
    assert fit.stop in ("converged", "rising") and 100 < fit.epochs < 1_000
    assert fit.losses[-1] < fit.losses[0] / 5 and abs(fit.losses[-1] - fit.losses[-2]) < 1e-6
    assert np.corrcoef(fit.note_intercept, note_intercept)[0, 1] > 0.98
    assert np.corrcoef(fit.note_factor, note_factor)[0, 1] > 0.98  # the sign rule: same side
    assert np.mean(fit.rater_factor < 0) > 0.5
    start = matrix.Start(
        fit.rater_intercept, fit.rater_factor, fit.note_intercept, fit.note_factor, fit.mu
    )
    settings = scorer.fit_settings(scorer.PARAMS)
    started = matrix.fit(raters, notes, values, n_raters, n_notes, settings, start)
    # Started from the fit (learning rate 0.2), it settles at least as low.
    assert started.stop != "max_epochs" and started.loss < fit.loss * 1.001


def test_the_larger_group_of_raters_gets_the_negative_factor_whatever_the_start():
    """The sign of a fitted factor is arbitrary (flipping every f_u and f_n fits as well);
    X fixes it so that most raters have a negative one. Whatever the seed of the start."""
    rng = np.random.default_rng(2)
    camp = np.where(np.arange(100) < 70, -1.0, 1.0)  # 70 of 100 raters on one side
    raters = np.concatenate([rng.choice(100, 20, replace=False) for _ in range(60)])
    notes = np.repeat(np.arange(60), 20)
    side = np.where(np.arange(60) % 2, 1.0, -1.0)
    values = (camp[raters] * side[notes] > 0).astype(np.float64)
    signs = set()
    for seed in range(6):
        settings = dataclasses.replace(scorer.fit_settings(scorer.PARAMS), seed=seed)
        fit = matrix.fit(raters, notes, values, 100, 60, settings)
        assert np.all(np.sign(fit.rater_factor) == camp), seed
        signs.add(np.sign(fit.note_factor[0]))
    assert signs == {-1.0}  # note 0 is liked by the larger side: f_u x f_n > 0 there


def test_adams_first_step_moves_each_parameter_by_the_learning_rate():
    """torch's Adam: the first step is the learning rate times the sign of the gradient, for
    every parameter (so the clipping does not change it; only Adam's eps of 1e-8 next to a
    clipped gradient takes a little off). 1.0 from scratch, 0.2 from a start."""
    rng = np.random.default_rng(4)
    raters, notes = rng.integers(0, 20, 200), rng.integers(0, 30, 200)
    raters[:20], notes[:30] = np.arange(20), np.arange(30)
    values = rng.choice([0.0, 0.5, 1.0], 200)
    one_step = dataclasses.replace(scorer.fit_settings(scorer.PARAMS), max_epochs=1)
    fresh = matrix.fit(raters, notes, values, 20, 30, one_step)
    assert fresh.epochs == 1 and fresh.stop == "max_epochs"
    assert np.allclose(np.abs(fresh.note_intercept), 1.0, rtol=1e-3)
    assert np.allclose(np.abs(fresh.rater_intercept), 1.0, rtol=1e-3)
    assert abs(fresh.mu) == pytest.approx(1.0, rel=1e-3)
    # (mu 0.123: no note's or rater's gradient is exactly 0 there, which would not move it)
    start = matrix.Start(np.zeros(20), np.full(20, 0.5), np.zeros(30), np.full(30, 0.5), 0.123)
    started = matrix.fit(raters, notes, values, 20, 30, one_step, start)
    assert np.allclose(np.abs(started.note_intercept), 0.2, rtol=1e-3)
    assert np.allclose(np.abs(np.abs(started.note_factor) - 0.5), 0.2, rtol=1e-3)


def test_a_fit_of_a_subset_starts_where_the_earlier_fit_ended():
    """`fit_subset` from an earlier fit of the same ratings starts at its optimum: the loss
    before the first step is the earlier fit's last (the factors' sign flip leaves it)."""
    rng = np.random.default_rng(6)
    raters, notes = rng.integers(0, 40, 600), rng.integers(0, 50, 600)
    values = rng.choice([0.0, 0.5, 1.0], 600)
    mask = np.ones(600, dtype=bool)
    settings = scorer.fit_settings(scorer.PARAMS)
    first = matrix.fit_subset(raters, notes, values, mask, (40, 50), settings)
    again = matrix.fit_subset(raters, notes, values, mask, (40, 50), settings, first)
    assert first.fit is not None and again.fit is not None
    assert again.fit.losses[0] == pytest.approx(first.fit.loss, rel=1e-12)
    assert np.array_equal(np.isnan(first.note_intercept), np.bincount(notes, minlength=50) == 0)
    fewer = matrix.fit_subset(raters, notes, values, raters < 20, (40, 50), settings, first)
    assert np.isnan(fewer.rater_intercept[20:]).all() and not fewer.rater_in[20:].any()


def test_the_gradient_is_the_losss_derivative():
    """The analytic gradient against central differences, on every parameter."""
    rng = np.random.default_rng(1)
    raters = np.concatenate([np.arange(6), rng.integers(0, 6, 40)])
    notes = np.concatenate([np.arange(6) % 4, rng.integers(0, 4, 40)])
    values = rng.choice([0.0, 0.5, 1.0], len(raters))
    layout = matrix._Layout(6, 4)
    objective = matrix._Objective(raters, notes, values, layout, scorer.fit_settings(scorer.PARAMS))
    theta = rng.normal(0, 0.5, layout.size)
    objective.loss(theta)
    gradient = objective.gradient()
    numeric = np.empty(layout.size)
    for k in range(layout.size):
        step = np.zeros(layout.size)
        step[k] = 1e-6
        numeric[k] = (objective.loss(theta + step) - objective.loss(theta - step)) / 2e-6
    assert np.allclose(gradient, numeric, atol=1e-7)


def test_the_gradient_is_clipped_as_torch_clips_it():
    grad = np.array([3.0, 4.0])
    matrix.clip_by_norm(grad, 1.0)
    assert np.allclose(grad, [3.0, 4.0] / np.float64(5.0 + 1e-6))
    small = np.array([0.3, 0.4])
    matrix.clip_by_norm(small, 1.0)
    assert np.array_equal(small, [0.3, 0.4])
    assert matrix.xavier_bound(5) == pytest.approx(1.0)
