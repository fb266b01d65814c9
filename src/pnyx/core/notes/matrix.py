"""The matrix factorization at the heart of the notes scorer, fitted as X's scorer fits it.

Every rating r (1 helpful, 0.5 somewhat, 0 not helpful) of note n by rater u is explained as

    r ~ mu + i_u + i_n + f_u * f_n

and the parameters minimize, as X's code computes it (means, not sums, of the penalties),

    mean over ratings of (r - r_hat)^2
      + factor_lambda * (mean of f_u^2 + mean of f_n^2)
      + intercept_lambda * (mean of i_u^2 + mean of i_n^2 + mu^2)

by full-batch Adam on every parameter at once, the gradient clipped to a global L2 norm
before each step (torch's `clip_grad_norm_`), until the loss moves by no more than
`convergence` (or rises after the first 100 epochs, or `max_epochs` pass). X's code runs this
with torch in float32; here the gradients are written out with numpy in float64, so the same
data gives the same fit to within rounding, without torch. `scorer` decides what is fitted
and what the fit means; this module only fits (`fit`, or `fit_subset` for some of the
ratings, its parameters given for every rater and note).

Speed: one pass over the ratings an epoch (the predictions, reused for the loss and the
gradient), the per-rater and per-note sums by `np.bincount`, and Adam on one flat vector of
all parameters. No BLAS call, so the result does not depend on how many threads it runs.
numpy is imported by the functions that compute, not with the module (as `bridging_fit`
does): the server imports `scorer` and this module for their text, parameters and version,
and must not keep numpy's tens of MB (tests/test_process_memory.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Indices = npt.NDArray[np.intp]
    Ints = npt.NDArray[np.int64]
    Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Settings:
    """How to fit; `scorer.Params` holds the published values."""

    factor_lambda: float
    intercept_lambda: float
    learning_rate: float  # a fit from scratch
    init_learning_rate: float  # a fit started from given parameters
    adam_beta1: float
    adam_beta2: float
    adam_eps: float
    max_grad_norm: float
    convergence: float
    rising_stop_after: int  # epochs after which a rising loss ends the fit
    max_epochs: int
    seed: int


@dataclass(frozen=True)
class Start:
    """Parameters to start from, one per rater and note of the fit (0.0 where unknown, as
    X's scorer fills them)."""

    rater_intercept: Floats
    rater_factor: Floats
    note_intercept: Floats
    note_factor: Floats
    mu: float


@dataclass(frozen=True)
class Fit:
    rater_intercept: Floats
    rater_factor: Floats
    note_intercept: Floats
    note_factor: Floats
    mu: float
    loss: float  # the regularized loss at the end
    epochs: int
    stop: str  # "converged", "rising" or "max_epochs"
    losses: Floats  # the loss before the first step, then after each


class _Layout:
    """Where each group of parameters sits in the flat vector: [mu, i_u, i_n, f_u, f_n]."""

    def __init__(self, n_raters: int, n_notes: int) -> None:
        self.n_raters, self.n_notes = n_raters, n_notes
        self.iu = slice(1, 1 + n_raters)
        self.in_ = slice(self.iu.stop, self.iu.stop + n_notes)
        self.fu = slice(self.in_.stop, self.in_.stop + n_raters)
        self.fn = slice(self.fu.stop, self.fu.stop + n_notes)
        self.size = self.fn.stop


def xavier_bound(rows: int) -> float:
    """torch's `xavier_uniform_` on an (n, 1) embedding: fan in 1, fan out n."""
    return math.sqrt(6.0 / (rows + 1))


def _initial(layout: _Layout, settings: Settings, start: Start | None) -> Floats:
    import numpy as np

    theta = np.zeros(layout.size)
    if start is None:
        rng = np.random.default_rng(settings.seed)
        bound_u, bound_n = xavier_bound(layout.n_raters), xavier_bound(layout.n_notes)
        theta[layout.fu] = rng.uniform(-bound_u, bound_u, layout.n_raters)
        theta[layout.fn] = rng.uniform(-bound_n, bound_n, layout.n_notes)
        return theta
    theta[0] = start.mu
    theta[layout.iu] = start.rater_intercept
    theta[layout.in_] = start.note_intercept
    theta[layout.fu] = start.rater_factor
    theta[layout.fn] = start.note_factor
    return theta


class _Objective:
    """The loss and its gradient at a point; the predictions of one evaluation serve both."""

    def __init__(
        self, raters: Indices, notes: Indices, values: Floats, layout: _Layout, settings: Settings
    ) -> None:
        self.raters, self.notes, self.values, self.layout = raters, notes, values, layout
        self.lam_f, self.lam_i = settings.factor_lambda, settings.intercept_lambda
        self.scale = 2.0 / len(values)

    def loss(self, theta: Floats) -> float:
        """Evaluate at theta, keeping what `gradient` needs."""
        lay = self.layout
        self.theta = theta
        self.fu_r = theta[lay.fu][self.raters]
        self.fn_r = theta[lay.fn][self.notes]
        error = theta[lay.iu][self.raters] + theta[lay.in_][self.notes]
        error += self.fu_r * self.fn_r
        error += theta[0] - self.values
        self.error = error
        penalty = self.lam_f * (_mean_square(theta[lay.fu]) + _mean_square(theta[lay.fn]))
        penalty += self.lam_i * (
            _mean_square(theta[lay.iu]) + _mean_square(theta[lay.in_]) + theta[0] ** 2
        )
        return float(_sum_square(error) / len(error) + penalty)

    def gradient(self) -> Floats:
        """The gradient at the point of the last `loss`."""
        import numpy as np

        lay, theta, error, scale = self.layout, self.theta, self.error, self.scale
        nu, nn = lay.n_raters, lay.n_notes
        grad = np.empty(lay.size)
        grad[0] = scale * error.sum() + 2.0 * self.lam_i * theta[0]
        grad[lay.iu] = np.bincount(self.raters, error, nu)
        grad[lay.in_] = np.bincount(self.notes, error, nn)
        grad[lay.fu] = np.bincount(self.raters, error * self.fn_r, nu)
        grad[lay.fn] = np.bincount(self.notes, error * self.fu_r, nn)
        grad[1:] *= scale
        grad[lay.iu] += (2.0 * self.lam_i / nu) * theta[lay.iu]
        grad[lay.in_] += (2.0 * self.lam_i / nn) * theta[lay.in_]
        grad[lay.fu] += (2.0 * self.lam_f / nu) * theta[lay.fu]
        grad[lay.fn] += (2.0 * self.lam_f / nn) * theta[lay.fn]
        return grad


def _sum_square(values: Floats) -> float:
    """numpy's own sum, not BLAS's dot: the result does not depend on BLAS threads."""
    return float((values * values).sum())


def _mean_square(values: Floats) -> float:
    return _sum_square(values) / len(values) if len(values) else 0.0


def clip_by_norm(grad: Floats, max_norm: float) -> None:
    """torch's `clip_grad_norm_`, in place: scale by max_norm / (norm + 1e-6) when below 1."""
    coefficient = max_norm / (math.sqrt(_sum_square(grad)) + 1e-6)
    if coefficient < 1.0:
        grad *= coefficient


def fit(
    raters: Indices,
    notes: Indices,
    values: Floats,
    n_raters: int,
    n_notes: int,
    settings: Settings,
    start: Start | None = None,
) -> Fit:
    """Fit the model to ratings given as parallel arrays (rater index in [0, n_raters), note
    index in [0, n_notes), value). Every rater and note should have a rating; deterministic
    for the same input and `settings.seed`."""
    import numpy as np

    if len(values) == 0:
        raise ValueError("no ratings to fit")
    layout = _Layout(n_raters, n_notes)
    objective = _Objective(
        np.asarray(raters, np.intp), np.asarray(notes, np.intp), values, layout, settings
    )
    theta = _initial(layout, settings, start)
    rate = settings.learning_rate if start is None else settings.init_learning_rate
    beta1, beta2 = settings.adam_beta1, settings.adam_beta2
    first_moment, second_moment = np.zeros(layout.size), np.zeros(layout.size)
    losses = [objective.loss(theta)]
    previous, epoch, stop = 1e10, 0, "max_epochs"
    while epoch < settings.max_epochs:
        loss = losses[-1]
        if abs(loss - previous) <= settings.convergence:
            stop = "converged"
            break
        if epoch > settings.rising_stop_after and loss > previous:
            stop = "rising"
            break
        previous = loss
        grad = objective.gradient()
        clip_by_norm(grad, settings.max_grad_norm)
        epoch += 1
        # Adam as torch.optim.Adam computes it (no weight decay, no amsgrad).
        first_moment *= beta1
        first_moment += (1.0 - beta1) * grad
        second_moment *= beta2
        second_moment += (1.0 - beta2) * grad * grad
        denominator = np.sqrt(second_moment)
        denominator /= np.sqrt(1.0 - beta2**epoch)
        denominator += settings.adam_eps
        theta -= (rate / (1.0 - beta1**epoch)) * first_moment / denominator
        losses.append(objective.loss(theta))
    return _result(theta, layout, losses, epoch, stop)


def _result(theta: Floats, layout: _Layout, losses: list[float], epochs: int, stop: str) -> Fit:
    """The fitted parameters, with the factors' sign fixed as X fixes it: if fewer than half
    of the raters with a nonzero factor have a negative one, every factor changes sign (the
    fit is the same; the larger group of raters sits on the negative side)."""
    import numpy as np

    rater_factor, note_factor = theta[layout.fu].copy(), theta[layout.fn].copy()
    nonzero = int(np.count_nonzero(rater_factor))
    if nonzero and np.count_nonzero(rater_factor < 0) / nonzero < 0.5:
        rater_factor, note_factor = -rater_factor, -note_factor
    return Fit(
        rater_intercept=theta[layout.iu].copy(),
        rater_factor=rater_factor,
        note_intercept=theta[layout.in_].copy(),
        note_factor=note_factor,
        mu=float(theta[0]),
        loss=losses[-1],
        epochs=epochs,
        stop=stop,
        losses=np.array(losses),
    )


@dataclass
class Subfit:
    """A fit of the ratings in `mask`, its parameters given for every rater and note (NaN
    for those with no rating in it); `fit` is None when `mask` holds no rating."""

    mask: Bools
    fit: Fit | None
    note_intercept: Floats
    note_factor: Floats
    note_count: Ints  # ratings in the fit, per note
    rater_intercept: Floats
    rater_factor: Floats
    rater_in: Bools

    @property
    def mu(self) -> float:
        return self.fit.mu if self.fit is not None else 0.0


def fit_subset(
    raters: Indices,
    notes: Indices,
    values: Floats,
    mask: Bools,
    sizes: tuple[int, int],
    settings: Settings,
    earlier: Subfit | None = None,
) -> Subfit:
    """Fit the ratings in `mask` (raters and notes given as positions among `sizes`: all
    raters, all notes), started from `earlier` where it has parameters (0.0 elsewhere, as X
    fills them) or from scratch."""
    import numpy as np

    n_raters, n_notes = sizes
    note_codes, local_note = np.unique(notes[mask], return_inverse=True)
    rater_codes, local_rater = np.unique(raters[mask], return_inverse=True)
    rater_in = np.zeros(n_raters, dtype=np.bool_)
    rater_in[rater_codes] = True
    note_count = np.bincount(notes[mask], minlength=n_notes).astype(np.int64)
    per_note, per_rater = np.full((2, n_notes), np.nan), np.full((2, n_raters), np.nan)
    if not len(note_codes):
        return Subfit(mask, None, *_rows(per_note), note_count, *_rows(per_rater), rater_in)
    start = None
    if earlier is not None:
        start = Start(
            rater_intercept=np.nan_to_num(earlier.rater_intercept[rater_codes]),
            rater_factor=np.nan_to_num(earlier.rater_factor[rater_codes]),
            note_intercept=np.nan_to_num(earlier.note_intercept[note_codes]),
            note_factor=np.nan_to_num(earlier.note_factor[note_codes]),
            mu=earlier.mu,
        )
    counts = len(rater_codes), len(note_codes)
    done = fit(local_rater, local_note, values[mask], *counts, settings, start)
    per_note[:, note_codes] = done.note_intercept, done.note_factor
    per_rater[:, rater_codes] = done.rater_intercept, done.rater_factor
    return Subfit(mask, done, *_rows(per_note), note_count, *_rows(per_rater), rater_in)


def _rows(pair: Floats) -> tuple[Floats, Floats]:
    """The intercepts and the factors of a (2, n) array."""
    return pair[0], pair[1]
