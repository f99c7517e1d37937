"""What an answer rests on, as small typed values (``Solution.certificate``, ``Solution.proof_file``).

* :class:`Conflict`   two examples with the same input and different labels: no network at all.
* :class:`Farkas`     one unit (depth 0: an output unit) without weights: exact multipliers on a
                      subset of examples, re-checked in rational arithmetic before it is returned.
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


Certificate = Conflict | Farkas | SolverWord


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
