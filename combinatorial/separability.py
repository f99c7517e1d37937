r"""Per-unit separability: the convex half of the problem.

One unit with inputs U (n x d) and targets t in {-1, +1}^n is *separable* when some (w, b) meets

    t_i (w . u_i + b) >= 1   for every i                                   (margin 1)

Methods:

* ``lp`` (complete): HiGHS through :func:`scipy.optimize.linprog`. When the system is infeasible,
  Farkas' lemma gives multipliers lam >= 0, sum(lam) = 1, with sum_i lam_i t_i [u_i, 1] = 0. A
  basic solution of that LP has at most d + 2 non-zeros, so its support is a small infeasible
  subset of examples; :func:`verify_farkas` re-checks it with numpy alone.
* ``perceptron``: bounded epochs; answers yes (with weights) or inconclusive (``None``).
* ``svm``: scikit-learn's linear SVC with a large C; yes or inconclusive.

Columns are scaled to [-1, 1] internally; weights are always returned for the unscaled inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("lp", "perceptron", "svm")


@dataclass
class SeparabilityResult:
    separable: bool | None  # True, False (proved by a Farkas certificate) or None (inconclusive)
    method: str
    w: np.ndarray | None = None  # weights for the unscaled inputs (margin >= 1 when separable)
    b: float | None = None
    subset: np.ndarray | None = None  # example indices of an infeasible subset (lp, not separable)
    multipliers: np.ndarray | None = None  # Farkas multipliers on ``subset``

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
    need_weights: bool = True,
    need_certificate: bool = True,
    sparse: bool = False,
    max_epochs: int = 1000,
    C: float = 1e6,
    seed: int = 0,
) -> SeparabilityResult:
    """Is the unit with inputs ``U`` and targets ``t`` separable with margin 1?

    ``need_weights=False`` lets the LP method skip the primal solve (a search only needs yes/no
    and, on no, the infeasible subset). ``sparse=True`` makes the LP minimise ||w||_1, which
    gives small, readable weights for the final fit. ``need_certificate=False`` skips the Farkas
    solve after an infeasible primal (``separable=False`` then comes without ``subset``).
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
        return _lp(Us, t, scale, need_weights, sparse, need_certificate)
    if method == "perceptron":
        return _perceptron(Us, t, scale, max_epochs, seed)
    return _svm(Us, t, scale, C)


def _lp(Us, t, scale, need_weights, sparse, need_certificate=True) -> SeparabilityResult:
    from scipy.optimize import linprog

    n, d = Us.shape
    if need_weights or sparse:
        A = -(t[:, None] * np.concatenate([Us, np.ones((n, 1))], axis=1))
        if sparse:  # w = p - q with p, q >= 0; minimise sum(p + q)
            A_ub = np.concatenate([A[:, :d], -A[:, :d], A[:, d:]], axis=1)
            c = np.concatenate([np.ones(2 * d), [0.0]])
            bounds = [(0, None)] * (2 * d) + [(None, None)]
        else:
            A_ub, c, bounds = A, np.zeros(d + 1), [(None, None)] * (d + 1)
        res = linprog(c, A_ub=A_ub, b_ub=-np.ones(n), bounds=bounds, method="highs")
        if res.status == 0:
            x = res.x
            ws = x[:d] - x[d : 2 * d] if sparse else x[:d]
            b = float(x[-1])
            w = ws / scale
            return SeparabilityResult(True, "lp", w, b)
        if res.status != 2:  # 2 = infeasible; anything else is a numerical breakdown
            raise RuntimeError(f"HiGHS failed on a separability LP: {res.message}")
        if not need_certificate:
            return SeparabilityResult(False, "lp")
    return _farkas(Us, t)


def _farkas(Us, t) -> SeparabilityResult:
    """Solve for Farkas multipliers; a vertex has support <= d + 2 (an infeasible subset)."""
    from scipy.optimize import linprog

    n, d = Us.shape
    A_eq = np.concatenate([(t[:, None] * Us).T, t[None, :], np.ones((1, n))], axis=0)
    b_eq = np.zeros(d + 2)
    b_eq[-1] = 1.0
    res = linprog(np.zeros(n), A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds")
    if res.status == 2:
        return SeparabilityResult(True, "lp")  # no certificate exists: separable
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on a Farkas LP: {res.message}")
    lam = res.x
    subset = np.flatnonzero(lam > 1e-9)
    return SeparabilityResult(False, "lp", subset=subset, multipliers=lam[subset] / lam[subset].sum())


def verify_farkas(U, t, subset, multipliers, *, tol: float = 1e-6) -> bool:
    """Numpy-only check that ``subset`` cannot be separated: sum lam_i t_i [u_i, 1] = 0, lam >= 0."""
    U, t, scale = _prepare(U, t)
    subset = np.asarray(subset, dtype=int)
    lam = np.asarray(multipliers, dtype=float)
    if len(subset) == 0 or len(lam) != len(subset) or np.any(lam < 0) or lam.sum() <= 0:
        return False
    lam = lam / lam.sum()
    aug = np.concatenate([U[subset] / scale, np.ones((len(subset), 1))], axis=1)
    combo = (lam * t[subset]) @ aug
    size = (lam[:, None] * np.abs(aug)).sum(axis=0)
    return bool(np.all(np.abs(combo) <= tol * np.maximum(1.0, size)))


def _margin_scaled(Us, t, ws, b, scale, method) -> SeparabilityResult:
    margins = t * (Us @ ws + b)
    m = margins.min()
    if m <= 1e-12:
        return SeparabilityResult(None, method)
    return SeparabilityResult(True, method, ws / m / scale, float(b / m))


def _perceptron(Us, t, scale, max_epochs, seed) -> SeparabilityResult:
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
            return _margin_scaled(Us, t, v[:d], v[d], scale, "perceptron")
    return SeparabilityResult(None, "perceptron")


def _svm(Us, t, scale, C) -> SeparabilityResult:
    from sklearn.svm import SVC

    clf = SVC(kernel="linear", C=C, tol=1e-6, max_iter=100_000)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(Us, t)
    return _margin_scaled(Us, t, clf.coef_.ravel(), float(clf.intercept_[0]), scale, "svm")
