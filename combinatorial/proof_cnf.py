"""The lazy master's CNF, each clause tagged with the family of valid constraints it comes from.

The master is a CP-SAT model; its valid constraints are added through the part of CP-SAT's API
that :mod:`combinatorial.cuts` and :mod:`combinatorial.symmetry` use. :func:`master_cnf` runs the
master's own ``_preconstrain`` against :class:`_Recorder`, which speaks that API and writes
clauses instead (tagging each with the function that added it, found on the call stack), then
appends every logged no-good. The number of constraints must equal the real model's, so the
families in a proof file are exactly the master's.
"""

from __future__ import annotations

import sys

# the constraint family of each function that adds clauses to the master (cuts.py, symmetry.py)
FAMILIES = {
    "add_distinct_codes": "distinct-codes",
    "add_monotone_output": "monotone-output",
    "add_unateness": "unateness",
    "add_equal_inputs": "equal-inputs",
    "add_cpsat_symmetry_breaking": "symmetry",
}


class ProofError(RuntimeError):
    """The answer cannot be turned into a checkable proof (the reason is the message)."""


class _Lit:
    """A literal of :class:`_Recorder`: speaks the part of CP-SAT's API the families use."""

    __slots__ = ("var", "positive", "name")

    def __init__(self, var: int, positive: bool, name: str):
        self.var, self.positive, self.name = var, positive, name

    def Not(self) -> "_Lit":  # noqa: N802 - CP-SAT's spelling
        return _Lit(self.var, not self.positive, self.name)

    def __eq__(self, other):  # ``t == 1`` and ``t == u``, as CP-SAT's linear equalities
        return ("eq", self, other)

    __hash__ = object.__hash__

    @property
    def dimacs(self) -> int:
        return self.var if self.positive else -self.var


class _Recorder:
    """Records clauses in CNF as the valid-constraint families add them, tagged with the family
    (the function of cuts.py / symmetry.py that added them, found on the call stack)."""

    def __init__(self):
        self.names: list[str] = []
        self.clauses: list[list[int]] = []
        self.tags: list[str] = []
        self.calls = 0  # constraints added through the API: CP-SAT's model has as many

    def new_bool_var(self, name: str) -> _Lit:
        self.names.append(name)
        return _Lit(len(self.names), True, name)

    NewBoolVar = new_bool_var

    def add_bool_or(self, lits) -> None:
        self.calls += 1
        self._clause([l.dimacs for l in lits])

    AddBoolOr = add_bool_or

    def add_implication(self, a: _Lit, b: _Lit) -> None:
        self.calls += 1
        self._clause([-a.dimacs, b.dimacs])

    def add(self, constraint) -> None:
        self.calls += 1
        kind, a, b = constraint if isinstance(constraint, tuple) and len(constraint) == 3 else (None, None, None)
        if kind != "eq" or not isinstance(a, _Lit):
            raise ProofError(f"unsupported constraint in the master: {constraint!r}")
        if isinstance(b, _Lit):  # a == b
            self._clause([-a.dimacs, b.dimacs])
            self._clause([a.dimacs, -b.dimacs])
        elif b in (0, 1):
            self._clause([a.dimacs if b == 1 else -a.dimacs])
        else:
            raise ProofError(f"unsupported constraint in the master: {a.name} == {b!r}")

    Add = add

    def __getattr__(self, name):
        raise ProofError(f"the master uses {name}, which the proof writer cannot translate to CNF")

    def _clause(self, lits: list[int]) -> None:
        frame, tag = sys._getframe(2), None
        while frame is not None and tag is None:
            tag = FAMILIES.get(frame.f_code.co_name)
            frame = frame.f_back
        if tag is None:
            raise ProofError("a master constraint comes from no known family of valid constraints")
        self.clauses.append(lits)
        self.tags.append(tag)


def master_cnf(master) -> tuple[list[str], list[list[int]], list[str]]:
    """Variable names, clauses (DIMACS literals) and their origins for the master's model: its
    valid constraints re-recorded through the master's own ``_preconstrain`` (so the families are
    exactly the master's), the pair constraints it added later (``late_pairs``), then every
    logged no-good, tagged ``nogood N``."""
    from .backends.lazy_master import Master

    if master.keep is not None:
        raise ProofError("min-errors masters are not certified")
    rec = _Recorder()
    shell = object.__new__(Master)
    shell.problem, shell.options, shell.model, shell.keep = master.problem, master.options, rec, None
    shell.stats = {"distinct_code_pairs": 0, "unateness_clauses": 0, "symmetry_clauses": 0}
    shell.t = [[[rec.new_bool_var(f"t[{l + 1}][{j}][{i}]") for i in range(master.problem.n_merged)]
                for j in range(w)] for l, w in enumerate(master.problem.hidden)]
    Master._preconstrain(shell)
    if shell.monotone != master.monotone:
        raise ProofError("re-recording the master's constraints gave another monotone setting")
    from . import cuts

    p, last = master.problem, len(shell.t) - 1
    for l, pairs in getattr(master, "late_pairs", []):  # pair constraints added after the start
        add = cuts.add_monotone_output if shell.monotone and l == last else cuts.add_distinct_codes
        add(rec, shell.t[l], p.Xu, p.Yu, keep=None, name=f"[{l + 1}]", pairs=pairs)
    index = {name: i for i, name in enumerate(rec.names, 1)}
    n_nogood_clauses = 0
    for n, record in enumerate(master.nogoods):
        for clause in record["clauses"]:
            try:
                lits = [-index[name] if value > 0 else index[name] for name, value in clause]
            except KeyError as exc:
                raise ProofError(f"no-good {n} mentions {exc.args[0]}, not a variable of the master") from None
            rec.clauses.append(lits)
            rec.tags.append(f"nogood {n}")
            n_nogood_clauses += 1
    proto = getattr(master.model, "Proto", None)
    if proto is not None and len(proto().constraints) != rec.calls + n_nogood_clauses:
        raise ProofError(f"the master holds {len(proto().constraints)} constraints, the proof "
                         f"{rec.calls + n_nogood_clauses}: its families changed")
    return rec.names, rec.clauses, rec.tags
