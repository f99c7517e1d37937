r"""Per-unit refinements once the targets are fixed: feasibility, max-margin and min-weight.

With every hidden target fixed the network falls apart into single units, so each objective
below is solved unit by unit, exactly, *for those targets* (a joint optimum over targets and
weights would need the target search to see the objective; none of these claims that).

Unit with inputs U (n x d), targets t in {-1, +1}^n, score s_i = w . u_i, real bias b:

* margin      gamma(w, b) = min_i t_i (w . u_i + b), measured on the inputs *as given*, under the
              normalisation ||w||_inf <= 1 (integer domains: |w| <= P, and the margin reported
              is divided by P so both read on the same scale). With the bias free this is the
              L1-geometric margin; it makes every real-weight unit an LP.
* max-margin  maximise gamma: an LP (real) or a MILP (integer weights).
* min-weight  minimise the number of non-zero weights subject to gamma >= a required margin:
              a MILP with one indicator z_k per weight, |w_k| <= limit * z_k. Standalone the
              required margin is the smallest that loses nothing (integer domains on inputs with
              a resolution q: gap q, so gamma >= q/2) or ``REAL_MIN_MARGIN`` times the largest
              input (real weights: a fixed small margin; the proof scope says so). In a staged
              run it is the unit's optimal margin from the max-margin stage.

Dead inputs (constant columns) get weight 0 and are left out of every LP/MILP. All problems go
to HiGHS through :func:`scipy.optimize.milp`; integer weights are rounded and the bias re-centred
afterwards, and the returned margin is recomputed from the returned (w, b), never taken from the
solver.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .domains import REAL, WeightDomain, dead_inputs, input_resolution
from . import exact
from .options import STAGES
from .separability import check_separable

UNIT_OBJECTIVES = tuple(STAGES.values())
REAL_MIN_MARGIN = 1e-3  # standalone min-weight, real weights: required margin / max |u|
_TOL = 1e-7


@dataclass
class UnitFit:
    status: str  # optimal | feasible (limit hit, incumbent kept) | infeasible | unknown
    w: np.ndarray | None  # weights for the unit's inputs as given (0 on dead inputs)
    b: float | None
    objective: str
    margin: float | None = None  # normalised margin of the returned (w, b); None for constant targets
    nonzeros: int | None = None
    dead: list[int] = field(default_factory=list)
    scope: str = ""  # what "optimal" / "infeasible" is a statement about
    time_s: float = 0.0

    @property
    def ok(self) -> bool:
        """Weights that meet every target (margin > 0, or constant targets)."""
        return self.w is not None


def required_gap(U, domain: WeightDomain) -> tuple[float, bool]:
    """(margin every fit must reach, whether that requirement loses no solution of the domain)."""
    U = np.asarray(U, dtype=float)
    top = float(np.max(np.abs(U))) if U.size else 1.0
    if domain.is_integer:
        q = input_resolution(U)
        if q is not None:
            return q / 2 / domain.weight_limit, True  # normalised: divided by P like every margin
        return REAL_MIN_MARGIN * max(top, 1e-12) / domain.weight_limit, False
    return REAL_MIN_MARGIN * max(top, 1e-12), False


def center_bias(U, t, w) -> tuple[float, float]:
    """Bias half-way between the classes' scores, and the resulting (unnormalised) margin."""
    s = np.asarray(U, dtype=float) @ w
    pos, neg = s[t > 0], s[t < 0]
    if len(pos) == 0 or len(neg) == 0:
        return (1.0 if len(neg) == 0 else -1.0), np.inf
    b = -(pos.min() + neg.max()) / 2
    return float(b), float((pos.min() - neg.max()) / 2)


def fit_unit(
    U,
    t,
    *,
    objective: str = "feasibility",
    domain: WeightDomain = REAL,
    min_margin: float | None = None,
    time_limit: float | None = None,
) -> UnitFit:
    """Fit one unit to fixed targets under ``domain``, optimising ``objective`` exactly.

    ``min_margin`` (normalised, see the module docstring) overrides the standalone requirement;
    a staged run passes the max-margin stage's value here for the min-weight stage.
    """
    if objective not in UNIT_OBJECTIVES:
        raise ValueError(f"unknown unit objective {objective!r}; valid: {', '.join(UNIT_OBJECTIVES)}")
    start = time.monotonic()
    U = np.asarray(U, dtype=float)
    t = np.asarray(t).reshape(-1)
    n, d = U.shape
    dead = dead_inputs(U).tolist()
    live = np.setdiff1d(np.arange(d), dead)
    if n == 0 or np.all(t == t[0]):  # constant targets: w = 0, bias does it
        b = 1.0 if n == 0 or t[0] > 0 else -1.0
        return UnitFit("optimal", np.zeros(d), b, objective, None, 0, dead, domain.scope, time.monotonic() - start)
    if len(live) == 0:
        return UnitFit("infeasible", None, None, objective, dead=dead, scope=domain.scope,
                       time_s=time.monotonic() - start)
    Ul = U[:, live]
    gap, exact = required_gap(Ul, domain)
    if min_margin is not None:
        gap = max(float(min_margin), 0.0)
    if not domain.is_integer:  # an exact, certified yes/no first (Farkas on no)
        r = check_separable(Ul, t, sparse=True)
        if r.separable is not True:  # False: an exact Farkas proof; None: numerically undecided
            status = "infeasible" if r.separable is False else "unknown"
            return UnitFit(status, None, None, objective, dead=dead, scope=domain.scope,
                           time_s=time.monotonic() - start)
        if objective == "feasibility":
            w = np.zeros(d)
            w[live] = r.w
            return _finish(U, t, w, domain, "optimal", objective, dead, start)
        if objective == "max-margin":
            gap = 0.0
    scope = _scope(domain, objective, gap, exact and min_margin is None)
    found = None
    if domain.is_integer and objective != "min-weight":  # cheap first: round the LP's max-margin weights
        found = _from_rounded(Ul, t, objective, domain, gap, time_limit)
    status, x = found if found is not None else _solve(Ul, t, objective, domain, gap, time_limit)
    if x is None:
        return UnitFit(status, None, None, objective, dead=dead, scope=scope, time_s=time.monotonic() - start)
    w = np.zeros(d)
    w[live] = x
    fit = _finish(U, t, w, domain, status, objective, dead, start)
    fit.scope = scope
    return fit


def _from_rounded(Ul, t, objective, domain, gap, time_limit):
    """(status, x) from the LP's max-margin weights rounded into the domain, or None when they
    do not fit: feasibility takes them; max-margin's MILP then looks only above their margin."""
    incumbent = _rounded(Ul, t, domain, gap)
    if incumbent is None:
        return None
    if objective == "feasibility":
        return "optimal", incumbent
    _, raw = center_bias(Ul, t, incumbent)
    status, x = _solve(Ul, t, objective, domain, raw / domain.weight_limit * (1 - 1e-9), time_limit)
    return ("feasible", incumbent) if x is None or status == "infeasible" else (status, x)


def _scope(domain: WeightDomain, objective: str, gap: float, exact: bool) -> str:
    """What an optimal / infeasible unit answer covers, in words."""
    if not domain.is_integer:
        if objective == "feasibility":
            return domain.scope
        if objective == "max-margin":
            return f"{domain.scope}, margin measured with ||w||_inf <= 1"
        return f"real weights with ||w||_inf <= 1 and margin >= {gap:.3g}"
    if exact:  # the required gap is implied by any separation on these inputs
        return domain.scope
    return f"{domain.scope} and margin >= {gap:.3g}"


def _solve(U, t, objective, domain, gap, time_limit):
    """Build and run one HiGHS model over [w (d), b, gamma, z (d, min-weight only)]."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, d = U.shape
    P = domain.weight_limit
    bmax = P * float(np.abs(U).sum(axis=1).max()) + 1.0
    sparse = objective == "min-weight"
    nv = d + 2 + (d if sparse else 0)
    c = np.zeros(nv)
    if objective == "max-margin":
        c[d + 1] = -1.0
    elif sparse:
        c[d + 2 :] = 1.0
    # t_i (w . u_i + b) - gamma >= 0
    A = np.zeros((n, nv))
    A[:, :d] = t[:, None] * U
    A[:, d] = t
    A[:, d + 1] = -1.0
    cons = [LinearConstraint(A, 0.0, np.inf)]
    if sparse:  # |w_k| <= P z_k
        I = np.eye(d)
        up = np.zeros((d, nv))
        up[:, :d], up[:, d + 2 :] = I, -P * I
        lo = np.zeros((d, nv))
        lo[:, :d], lo[:, d + 2 :] = -I, -P * I
        cons += [LinearConstraint(up, -np.inf, 0.0), LinearConstraint(lo, -np.inf, 0.0)]
    # gamma is stored unnormalised (times P); the required gap is normalised
    g_hi = gap * P if sparse else bmax  # min-weight: gamma fixed at the requirement
    lb = np.concatenate([-P * np.ones(d), [-bmax, gap * P], np.zeros(d if sparse else 0)])
    ub = np.concatenate([P * np.ones(d), [bmax, g_hi], np.ones(d if sparse else 0)])
    integrality = np.zeros(nv)
    if domain.is_integer:
        integrality[:d] = 1
    if sparse:
        integrality[d + 2 :] = 1
    options = {"disp": False}
    if time_limit is not None:
        options["time_limit"] = max(float(time_limit), 0.01)
    with _quiet_stderr():
        res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(lb, ub), options=options)
    if res.status == 0:
        return "optimal", res.x[:d]
    if res.status == 2:
        return "infeasible", None
    if res.x is not None:
        return "feasible", res.x[:d]
    return "unknown", None


_QUIET = threading.Lock()
_quiet_depth = [0, []]  # solves inside _quiet_stderr now, and the descriptors saved by the first


@contextmanager
def _quiet_stderr():
    """HiGHS's MIP solver prints stray progress lines at C level even with disp=False: hide them.

    The descriptors are the process's, shared by every thread: the first solve to enter saves and
    redirects them, the last to leave restores them (threads each saving their own copy once left
    stdout on /dev/null for good)."""
    with _QUIET:
        if _quiet_depth[0] == 0:
            fds = []
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                    fds.append(stream.fileno())
                except (AttributeError, OSError, ValueError):  # captured / no real descriptor: nothing to hide
                    pass
            saved = [(fd, os.dup(fd)) for fd in fds]
            with open(os.devnull, "w") as null:
                for fd in fds:
                    os.dup2(null.fileno(), fd)
            _quiet_depth[1] = saved
        _quiet_depth[0] += 1
    try:
        yield
    finally:
        with _QUIET:
            _quiet_depth[0] -= 1
            if _quiet_depth[0] == 0:
                for fd, keep in _quiet_depth[1]:
                    os.dup2(keep, fd)
                    os.close(keep)
                _quiet_depth[1] = []


def _rounded(U, t, domain, gap):
    """Integer weights from rounding the real max-margin LP at a few scales, or None."""
    status, x = _solve(U, t, "max-margin", REAL, 0.0, None)
    if x is None:
        return None
    x = x / max(np.abs(x).max(), 1e-300)
    P = domain.weight_limit
    best, best_margin = None, gap * (1 - 1e-9)
    for scale in (P, P + 0.5, P + 1.0, 1.5 * P, 2 * P, 3 * P):
        w = np.clip(np.round(x * scale), -P, P)
        if not np.any(w):
            continue
        _, raw = center_bias(U, t, w)
        if raw / P >= best_margin:
            best, best_margin = w, raw / P
    return best


def _finish(U, t, w, domain, status, objective, dead, start) -> UnitFit:
    """Round to the domain, clean tiny weights, re-centre the bias, recompute the margin."""
    w = np.asarray(w, dtype=float).copy()
    P = domain.weight_limit
    if domain.is_integer:
        w = np.clip(np.round(w), -P, P)
    else:
        w[np.abs(w) <= _TOL * max(1.0, np.abs(w).max())] = 0.0
    w[dead] = 0.0
    b, raw = center_bias(U, t, w)
    if not raw > 0 or not exact.separates(U, t, w, b):  # rounding lost the separation: say so
        return UnitFit("unknown", None, None, objective, dead=list(dead), scope=domain.scope,
                       time_s=time.monotonic() - start)
    norm = 1.0 / P if domain.is_integer else 1.0 / max(np.abs(w).max(), 1e-300)
    return UnitFit(status, w, b, objective, float(raw * norm), int(np.count_nonzero(w)), list(dead),
                   domain.scope, time.monotonic() - start)
