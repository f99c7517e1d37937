"""What an answer rests on, as small typed values (``Solution.certificate``, ``Solution.proof_file``).

* :class:`Conflict`   two examples with the same input and different labels: no network at all.
* :class:`Farkas`     one unit (depth 0: an output unit) without weights: exact multipliers on a
                      subset of examples, re-checked in rational arithmetic before it is returned.
* :class:`Separation` a first layer narrower than the pair bound (:mod:`combinatorial.separation`):
                      weighted pairs of examples with different labels, and the most weight one
                      line separates.
* :class:`SolverWord` a solver's INFEASIBLE (CP-SAT, a MIP, the exhaustive search, lazy's no-good
                      cuts): what it proved and on which model, with no certificate a reader can
                      check unless a proof file carries one (lazy's :class:`~combinatorial.clauses.Refutation`).
* :class:`ProofFile`  the proof file written for an answer, or why there is none; ``check`` is the
                      checker's verdict when it was run.

Each has ``kind`` and ``to_dict()`` (the JSON a reader gets, with exact values as strings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import ClassVar, Mapping


@dataclass(frozen=True)
class Conflict:
    examples: tuple[int, int]
    kind: ClassVar[str] = "conflict"

    @property
    def reason(self) -> str:
        i, j = self.examples
        return f"examples {i} and {j} have the same input but different labels"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "examples": list(self.examples), "reason": self.reason}


@dataclass(frozen=True)
class Farkas:
    layer: int
    unit: int
    examples: tuple[int, ...]  # original example indices
    multipliers: tuple[Fraction, ...]  # exact, one per example
    kind: ClassVar[str] = "farkas"
    reason: ClassVar[str] = ""  # said in full by the report, from the multipliers

    def to_dict(self) -> dict:
        return {"kind": self.kind, "layer": self.layer, "unit": self.unit, "examples": list(self.examples),
                "multipliers": [str(v) for v in self.multipliers], "checked": "exact rational arithmetic"}


@dataclass(frozen=True)
class SolverWord:
    kind: str  # cpsat, mip, exhaustive, no-good cuts
    reason: str  # what was proved, in words
    facts: Mapping = field(default_factory=dict)  # the model it was proved on (bounds, scales, counts)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **self.facts, "reason": self.reason}


@dataclass(frozen=True)
class Separation:
    """Every first hidden layer that fits the data has at least ``width`` units: ``pairs`` (merged
    example rows, different label rows) with integer ``weights``, no line separating more than
    ``load`` of their weight."""

    width: int
    pairs: tuple[tuple[int, int], ...]
    weights: tuple[int, ...]
    load: int
    kind: ClassVar[str] = "separation"

    @property
    def reason(self) -> str:
        return (f"the first hidden layer needs at least {self.width} units: {len(self.pairs)} pairs of examples "
                f"with different labels must each get different codes, with weights summing to "
                f"{sum(self.weights)}, no line separates more than {self.load} (every line through two inputs "
                "enumerated, orientations exact)")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "width": self.width, "pairs": [list(p) for p in self.pairs],
                "weights": list(self.weights), "load": self.load, "reason": self.reason}


Certificate = Conflict | Farkas | SolverWord | Separation


@dataclass(frozen=True)
class ProofFile:
    kind: str  # weights, conflict, farkas, drup; "none" when no file was written
    file: str | None = None
    checked: bool = False  # True only once the checker has said VALID
    note: str = ""  # why there is no file, when there is none
    sizes: Mapping = field(default_factory=dict)  # bytes, write_s and the members' sizes
    check: str | None = None  # the checker's verdict line, when it was run
    check_s: float | None = None

    @property
    def rejected(self) -> bool:
        """The checker was run and did not say VALID: a bug, never an answer."""
        return self.check is not None and self.check != "VALID"

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "file": self.file, "checked": self.checked, **self.sizes}
        if self.note:
            out["note"] = self.note
        if self.check is not None:
            out.update(check=self.check, check_s=self.check_s)
        return out
