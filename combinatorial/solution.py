"""Outcomes of an exact solve. Statuses are a small closed set; outcomes are values, not errors."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .certificates import Certificate, ProofFile
from .clauses import Refutation
from .network import LayerWeights


class Status(str, Enum):
    OPTIMAL = "optimal"  # min-errors (or another objective) proved optimal
    FEASIBLE = "feasible"  # a network reproducing every kept label, verified by a forward pass
    INFEASIBLE = "infeasible"  # proof that no network exists, within ``proved_for``
    UNKNOWN = "unknown"  # limit reached; the best network found so far may be attached

    def __str__(self) -> str:
        return self.value


# the libraries an exact answer rests on, recorded with every Solution
ENGINE_DISTRIBUTIONS = ("ftprop", "numpy", "scipy", "scikit-learn", "ortools")


@functools.lru_cache(maxsize=8)
def _versions(distributions: tuple[str, ...]) -> dict[str, str]:
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in distributions:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def versions(distributions=ENGINE_DISTRIBUTIONS) -> dict[str, str]:
    """Python's version and those of ``distributions`` that are installed (read once per process)."""
    return dict(_versions(tuple(distributions)))


class VerificationError(RuntimeError):
    """An answer failed its independent check (a bug in the engine, never bad input)."""


# The scopes an INFEASIBLE (or an optimality proof) may claim. Backends build the integer one.
ALL_REAL_WEIGHTS = "all real weights"


def integer_scope(bound: int | float) -> str:
    return f"integer weights |w| <= {int(bound)}"


@dataclass
class BackendResult:
    """What a backend hands back to :func:`combinatorial.solve`, over the *merged* examples.

    ``hidden_targets[l]`` is an (m x width_l) ±1 array of layer l+1's targets. ``kept`` marks the
    merged examples the targets fit (None: all of them; min-errors drops some). The solver fits
    every unit's weights from these targets by LP and verifies them, so a backend never needs to
    return weights, though it may (``layers``) when its own are the point (integer weights).
    """

    status: Status
    hidden_targets: list[np.ndarray] | None = None
    kept: np.ndarray | None = None
    proved_for: str | None = None
    layers: list[LayerWeights] | None = None
    lower_bound: float | None = None  # min-errors: proved lower bound on the error count
    certificate: Certificate | None = None  # INFEASIBLE: what the proof rests on, for a reader
    stats: dict = field(default_factory=dict)
    message: str = ""
    trace: object | None = None  # the backend's own record of its run (ftprop: FTPropTrace)
    # INFEASIBLE from a backend that logs its refutation (lazy, when a proof is asked for): the
    # record a proof file serialises, or why there is none
    refutation: Refutation | str | None = None


@dataclass
class Solution:
    status: Status
    proved_for: str | None  # scope of an INFEASIBLE / OPTIMAL proof; None when nothing is proved
    backend: str
    objective: str
    architecture: list[int]  # [n_inputs, h1, ..., n_outputs]
    shortcut: bool
    layers: list[LayerWeights] | None  # W (out x in) and b (out) per layer, for the original, unscaled inputs
    hidden_targets: list[np.ndarray] | None  # per hidden layer, n x width, on the original examples
    train_errors: int | None  # examples whose predicted label differs from the given one
    n_examples: int
    wall_time_s: float
    seed: int
    stats: dict = field(default_factory=dict)
    certificate: Certificate | None = None  # what an INFEASIBLE rests on (combinatorial.certificates)
    proof_file: ProofFile | None = None  # the proof file written (SolveOptions.proof), or why none
    lower_bound: float | None = None
    message: str = ""
    versions: dict = field(default_factory=dict)
    trace: object | None = None  # the backend's own record of its run (not serialised)
    refutation: Refutation | str | None = None  # as in BackendResult (not serialised)

    @property
    def found_network(self) -> bool:
        return self.layers is not None

    def summary(self) -> str:
        """One line a person can read: ``status: infeasible (all real weights) in 0.41 s [lazy]``."""
        scope = f" ({self.proved_for})" if self.proved_for and self.status in (Status.INFEASIBLE, Status.OPTIMAL) else ""
        errs = ""
        if self.train_errors is not None:
            errs = f", {self.train_errors}/{self.n_examples} training errors"
        return f"status: {self.status.value}{scope}{errs} in {self.wall_time_s:.2f} s [{self.method}]"

    @property
    def method(self) -> str:
        """What found the answer: the search backend, or the code stage 1 tried without a search."""
        return self.stats.get("stage1") or self.backend

    def to_dict(self) -> dict:
        out = {
            "status": self.status.value,
            "proved_for": self.proved_for,
            "backend": self.backend,
            "objective": self.objective,
            "architecture": list(self.architecture),
            "shortcut": self.shortcut,
            "train_errors": self.train_errors,
            "n_examples": self.n_examples,
            "wall_time_s": round(self.wall_time_s, 4),
            "seed": self.seed,
            "lower_bound": self.lower_bound,
            "stats": _plain(self.stats),
            "certificate": None if self.certificate is None else _plain(self.certificate.to_dict()),
            "proof_file": None if self.proof_file is None else _plain(self.proof_file.to_dict()),
            "message": self.message,
            "versions": self.versions,
        }
        if self.layers is not None:
            out["layers"] = [
                L.to_dict() for L in self.layers
            ]
        out["hidden_targets"] = (
            None if self.hidden_targets is None else [np.asarray(T).astype(int).tolist() for T in self.hidden_targets]
        )
        return out

    def save(self, path) -> None:
        """Write this answer to ``path`` as JSON, atomically: :meth:`to_dict` with every weight and
        bias also as an exact rational string, so :meth:`load` gives the network back bit for bit
        (the format: :mod:`combinatorial.saved`)."""
        from . import saved

        saved.save(self, path)

    @classmethod
    def load(cls, path) -> "Solution":
        """An answer written by :meth:`save` or ``ftprop solve --save``; a bad file is a
        :class:`~combinatorial.problem.ProblemError` with a one-line message."""
        from . import saved

        return cls(**saved.read(path, Status))


def _plain(obj):
    """JSON-friendly copy of nested dicts / lists holding numpy values."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
