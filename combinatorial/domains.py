"""Weight domains: the values a unit's weights may take, and the scope a proof about them covers.

    real        w in R^d (the default); proofs cover "all real weights"
    integer:P   w in {-P, ..., P}^d; proofs cover "integer weights |w| <= P"
    ternary     integer:1, i.e. w in {-1, 0, 1}^d (Icarte et al. 2019; BeMi)

The bias is *not* restricted in any domain: it is a real number, placed half-way between the
largest score of a -1 example and the smallest score of a +1 example. Restricting the weights
already makes a unit's score w . u take few values; a restricted bias would only move the
threshold between two of them and would make the answer depend on the input scaling. Icarte et
al. and BeMi (as far as we know, unverified) restrict the bias too, so our integer-domain model
class is slightly larger than theirs; every proof scope therefore says "weights", not
"parameters". The cpsat backend, used as the stage-1 search for integer domains, has an integer
bias on scaled inputs; its answers are re-fitted here with a real bias, which only adds room.

Dead inputs (columns constant over the examples a unit is fitted on) get weight 0: a constant
column only shifts the score, which the free bias absorbs, and a zero weight keeps the model
from reacting to a pixel it never saw change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .problem import ProblemError
from .solution import ALL_REAL_WEIGHTS, integer_scope

_SPEC = re.compile(r"integer:(\d+)")


@dataclass(frozen=True)
class WeightDomain:
    bound: int | None = None  # None: real weights; P: integer weights with |w| <= P

    @property
    def is_integer(self) -> bool:
        return self.bound is not None

    @property
    def scope(self) -> str:
        """What an INFEASIBLE or OPTIMAL answer under this domain is a statement about."""
        return ALL_REAL_WEIGHTS if self.bound is None else integer_scope(self.bound)

    @property
    def weight_limit(self) -> float:
        """Largest |w| allowed; real weights are normalised to ||w||_inf <= 1 where a bound is needed."""
        return 1.0 if self.bound is None else float(self.bound)

    def contains(self, W, *, tol: float = 1e-9) -> bool:
        W = np.asarray(W, dtype=float)
        if not np.all(np.isfinite(W)):
            return False
        if self.bound is None:
            return True
        return bool(np.all(np.abs(W - np.round(W)) <= tol) and np.all(np.abs(W) <= self.bound + tol))

    def __str__(self) -> str:
        if self.bound is None:
            return "real"
        return "ternary" if self.bound == 1 else f"integer:{self.bound}"


REAL = WeightDomain()
TERNARY = WeightDomain(1)


def parse_weights(spec) -> WeightDomain:
    """``real``, ``ternary`` or ``integer:P`` (P a positive integer); a WeightDomain passes through."""
    if isinstance(spec, WeightDomain):
        return spec
    if spec is None:
        return REAL
    text = str(spec).strip().lower()
    if text == "real":
        return REAL
    if text == "ternary":
        return TERNARY
    m = _SPEC.fullmatch(text)
    if m and int(m.group(1)) > 0:
        return WeightDomain(int(m.group(1)))
    raise ProblemError(f"weights must be real, ternary or integer:P with P a positive integer, got {spec!r}")


def dead_inputs(U, rows=None) -> np.ndarray:
    """Indices of the columns of ``U`` that are constant over ``rows`` (a mask or indices; all rows by default)."""
    U = np.asarray(U, dtype=float)
    if rows is not None:
        U = U[rows]
    if len(U) == 0:
        return np.arange(U.shape[1])
    return np.flatnonzero(np.all(U == U[0:1], axis=0))


def input_resolution(U, *, max_denominator: int = 4096) -> float | None:
    """Largest q such that every entry of ``U`` is an integer multiple of q (q = 1/s, s <= max_denominator).

    With integer weights every score w . u is then a multiple of q, so two scores that differ at
    all differ by at least q: requiring a gap of q between the classes loses nothing. ``None``
    when no such q exists (generic real inputs); callers then require an explicit gap.
    """
    U = np.asarray(U, dtype=float)
    if U.size == 0:
        return 1.0
    for s in (1, 2, 4, 8, 16, 32, 64, 100, 128, 256, 1000, 1024, 4096):
        if s > max_denominator:
            break
        scaled = U * s
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return 1.0 / s
    return None
