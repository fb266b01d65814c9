"""A ranked item and its score's terms: the one shape every algorithm returns.

A score is the sum of its terms' weight x value, nothing else; "why am I seeing this" shows
those terms, so an algorithm that wants a factor in the order must name it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Term:
    """One named part of a score: its published weight and this item's value."""

    name: str
    weight: float
    value: float


@dataclass(frozen=True)
class Ranked:
    """A status in a ranked order, with the terms its score is the sum of."""

    status_id: int
    score: float
    terms: tuple[Term, ...]


def ranked(status_id: int, terms: tuple[Term, ...] = ()) -> Ranked:
    """A ranked item whose score is exactly the sum of its terms (rounded the same way the
    snapshot stores it, so a replay compares equal)."""
    return Ranked(status_id, round(sum(t.weight * t.value for t in terms), 9), terms)


def to_json(items: list[Ranked]) -> list[list[Any]]:
    """The snapshot's form: [[status_id, score, [[name, weight, value], ...]], ...]."""
    return [[r.status_id, r.score, [[t.name, t.weight, t.value] for t in r.terms]] for r in items]


def from_json(rows: list[list[Any]]) -> list[Ranked]:
    return [
        Ranked(int(sid), float(score), tuple(Term(str(n), float(w), float(v)) for n, w, v in terms))
        for sid, score, terms in rows
    ]
