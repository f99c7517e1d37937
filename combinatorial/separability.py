r"""Per-unit separability: the convex half of the problem.

One unit with inputs U (n x d) and targets t in {-1, +1}^n is *separable* when some (w, b)
reproduces the targets under the engine's sign rule (z >= 0 on +1, z < 0 on -1); equivalently,
for finitely many points, t_i (w . u_i + b) >= 1 for every i (margin 1).

Every definite answer is exact (:mod:`combinatorial.exact`), whatever floats did to find it:

* ``separable=True`` comes with float weights (for the unscaled inputs) that reproduce every
  target in exact arithmetic;
* ``separable=False`` comes with a Farkas certificate (a subset of examples and rational
  multipliers) verified exactly on the unscaled data;
* ``separable=None`` means undecided, with ``reason``: the float LPs disagreed with exact
  arithmetic and the exact fallback could not settle it (or a heuristic method gave up).

Methods:

* ``lp`` (complete): HiGHS through :func:`scipy.optimize.linprog` on columns scaled to [-1, 1].
  A feasible LP gives weights, checked exactly. An infeasible one is followed by the Farkas LP
  (multipliers lam >= 0, sum(lam) = 1, sum_i lam_i t_i [u_i, 1] = 0; a vertex has at most
  d + 2 non-zeros), whose support is turned into exact multipliers. When either step fails the
  exact check, an exact rational LP with row generation decides (:func:`combinatorial.exact.decide`).
* ``perceptron``: bounded epochs; answers yes (with weights checked exactly) or ``None``.
* ``svm``: scikit-learn's linear SVC with a large C; yes or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import deadline, exact

METHODS = ("lp", "perceptron", "svm")


@dataclass
class SeparabilityResult:
    separable: bool | None  # True (weights checked exactly), False (exact certificate), None
    method: str
    w: np.ndarray | None = None  # weights for the unscaled inputs, exactly reproducing t
    b: float | None = None
    subset: np.ndarray | None = None  # example indices of an inseparable subset (False only)
    multipliers: list[Fraction] | None = None  # exact Farkas multipliers on ``subset``, sum 1
    reason: str = ""  # why the answer is None

    def __bool__(self) -> bool:  # `if check_separable(...)` reads naturally
        return bool(self.separable)


def _prepare(U, t):
    U = np.asarray(U, dtype=float)
    if U.ndim == 1:
        U = U[:, None]
    t = np.asarray(t, dtype=float).reshape(-1)
    if len(U) != len(t):
        raise ValueError(f"U has {len(U)} rows but t has {len(t)} targets")
    if not np.all(np.abs(t) == 1):
        raise ValueError("targets must be -1 or +1")
    scale = np.max(np.abs(U), axis=0) if len(U) else np.ones(U.shape[1])
    scale = np.where(scale > 0, scale, 1.0)
    return U, t, scale


def check_separable(
    U,
    t,
    *,
    method: str = "lp",
    sparse: bool = False,
    max_epochs: int = 1000,
    C: float = 1e6,
    seed: int = 0,
) -> SeparabilityResult:
    """Is the unit with inputs ``U`` and targets ``t`` separable? (See the module docstring.)

    ``sparse=True`` makes the LP minimise ||w||_1 (after scaling), which gives small, readable
    weights for a final fit.
    """
    if method not in METHODS:
        raise ValueError(f"unknown separability method {method!r}; valid: {', '.join(METHODS)}")
    U, t, scale = _prepare(U, t)
    if len(t) == 0:
        return SeparabilityResult(True, method, np.zeros(U.shape[1]), 1.0)
    if np.all(t == t[0]):  # constant targets: w = 0, b = t0 always works
        return SeparabilityResult(True, method, np.zeros(U.shape[1]), float(t[0]))
    Us = U / scale
    if method == "lp":
        return _lp(U, Us, t, scale, sparse)
    if method == "perceptron":
        return _perceptron(U, Us, t, scale, max_epochs, seed)
    return _svm(U, Us, t, scale, C)


# Units this small are decided by the exact LP alone: it takes well under a millisecond there,
# and a tiny problem (xor, parity-3) then never pays for importing scipy.optimize (~0.5 s).
TINY_CELLS = 48  # examples x (inputs + 1); at 80 cells (16 points in 4-D) scipy is 5x faster (4.5 vs 24 ms)


def _lp(U, Us, t, scale, sparse) -> SeparabilityResult:
    """Float LPs propose, exact arithmetic disposes; :func:`exact.decide` when they disagree."""
    n, d = Us.shape
    if n * (d + 1) <= TINY_CELLS:
        return _decide(U, t)
    from scipy.optimize import linprog

    A = -(t[:, None] * np.concatenate([Us, np.ones((n, 1))], axis=1))
    if sparse:  # w = p - q with p, q >= 0; minimise sum(p + q)
        A_ub = np.concatenate([A[:, :d], -A[:, :d], A[:, d:]], axis=1)
        c = np.concatenate([np.ones(2 * d), [0.0]])
        bounds = [(0, None)] * (2 * d) + [(None, None)]
    else:
        A_ub, c, bounds = A, np.zeros(d + 1), [(None, None)] * (d + 1)
    res = linprog(c, A_ub=A_ub, b_ub=-np.ones(n), bounds=bounds, method="highs", options=highs_limits())
    if res.status == 0:
        x = res.x
        w = (x[:d] - x[d : 2 * d] if sparse else x[:d]) / scale
        b = float(x[-1])
        if exact.separates(U, t, w, b):
            return SeparabilityResult(True, "lp", w, b)
    elif res.status == 2:  # infeasible: look for a certificate
        found = _farkas(U, Us, t)
        if found is not None:
            return SeparabilityResult(False, "lp", subset=found[0], multipliers=found[1])
    return _decide(U, t)


def highs_limits() -> dict:
    """HiGHS options for one LP: the time left of the solve in progress (a stopped LP decides
    nothing, and the exact fallback then answers "undecided" at once)."""
    left = deadline.remaining()
    return {} if left is None else {"time_limit": max(left, 1e-3)}


def _farkas(U, Us, t):
    """Float Farkas LP on the scaled data; its support made exact on the unscaled data."""
    from scipy.optimize import linprog

    n, d = Us.shape
    A_eq = np.concatenate([(t[:, None] * Us).T, t[None, :], np.ones((1, n))], axis=0)
    b_eq = np.zeros(d + 2)
    b_eq[-1] = 1.0
    res = linprog(np.zeros(n), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds", options=highs_limits())
    if res.status != 0:
        return None
    found = exact.farkas_multipliers(U, t, np.flatnonzero(res.x > 0))
    if found is None:  # degenerate data: the float support is not a certificate; shrink first
        small = irreducible(Us, t, np.argsort(-res.x)[: max(4 * (d + 2), int(np.sum(res.x > 1e-12)))])
        found = None if small is None else exact.farkas_multipliers(U, t, small)
    return found


def irreducible(Us, t, rows) -> np.ndarray | None:
    """An inseparable subset of ``rows`` that no example can leave (Kirchberger: at most d + 2
    examples in d dimensions), by deletion filtering with float feasibility LPs; None when the
    float LP does not call ``rows`` inseparable. The exact certificate is then found on it."""
    from scipy.optimize import linprog

    def inseparable(sub) -> bool:
        A = -(t[sub, None] * np.concatenate([Us[sub], np.ones((len(sub), 1))], axis=1))
        res = linprog(np.zeros(Us.shape[1] + 1), A_ub=A, b_ub=-np.ones(len(sub)),
                      bounds=[(None, None)] * (Us.shape[1] + 1), method="highs", options=highs_limits())
        return res.status == 2

    keep = list(np.asarray(rows, dtype=int))
    if not inseparable(keep):
        return None
    for i in list(keep):
        if deadline.passed():
            return None
        trial = [k for k in keep if k != i]
        if inseparable(trial):
            keep = trial
    return np.asarray(keep, dtype=int)


def _decide(U, t) -> SeparabilityResult:
    kind, a, b = exact.decide(U, t)
    if kind == "separable":
        return SeparabilityResult(True, "lp", a, b)
    if kind == "inseparable":
        return SeparabilityResult(False, "lp", subset=a, multipliers=b)
    return SeparabilityResult(None, "lp", reason=f"numerically undecided: {a}")


def verify_farkas(U, t, subset, multipliers) -> bool:
    """Exact check that ``subset`` cannot be separated (:func:`combinatorial.exact.verify_farkas`)."""
    U, t, _ = _prepare(U, t)
    return exact.verify_farkas(U, t, subset, multipliers)


def _margin_scaled(U, Us, t, ws, b, scale, method) -> SeparabilityResult:
    m = (t * (Us @ ws + b)).min()
    if m > 0:
        w, b = ws / m / scale, float(b / m)
        if exact.separates(U, t, w, b):
            return SeparabilityResult(True, method, w, b)
    return SeparabilityResult(None, method, reason=f"{method} found no separating weights")


def _perceptron(U, Us, t, scale, max_epochs, seed) -> SeparabilityResult:
    rng = np.random.default_rng(seed)
    n, d = Us.shape
    aug = np.concatenate([Us, np.ones((n, 1))], axis=1)
    v = np.zeros(d + 1)
    for _ in range(max_epochs):
        mistakes = 0
        for i in rng.permutation(n):
            if t[i] * (aug[i] @ v) <= 0:
                v += t[i] * aug[i]
                mistakes += 1
        if mistakes == 0:
            return _margin_scaled(U, Us, t, v[:d], v[d], scale, "perceptron")
    return SeparabilityResult(None, "perceptron", reason=f"no convergence in {max_epochs} epochs")


def _svm(U, Us, t, scale, C) -> SeparabilityResult:
    from sklearn.svm import SVC

    clf = SVC(kernel="linear", C=C, tol=1e-6, max_iter=100_000)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(Us, t)
    return _margin_scaled(U, Us, t, clf.coef_.ravel(), float(clf.intercept_[0]), scale, "svm")
