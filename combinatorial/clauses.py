"""A CP-SAT model that keeps a log of its clauses, each with the family it belongs to.

The valid constraints (:mod:`combinatorial.cuts`, :mod:`combinatorial.symmetry`) and the lazy
master's no-goods add their clauses through :class:`ClauseModel`, naming their family
explicitly. The model forwards each to CP-SAT and, when logging, records it in DIMACS form (the
CP-SAT variable with index k is DIMACS variable k + 1). A refutation is then read off this record
(:meth:`ClauseModel.record`), never off the live solver, and a proof file serialises the record
(:mod:`combinatorial.proof`). Every constraint added here is one constraint of the CP-SAT
model, so :meth:`ClauseModel.complete` can confirm that nothing entered the model unlogged.
"""

from __future__ import annotations

from dataclasses import dataclass

# The families of valid constraints, as proof files and the checker (ftprop.checker.families) spell them.
DISTINCT, MONOTONE, UNATE, EQUAL, SYMMETRY = "distinct-codes", "monotone-output", "unateness", "equal-inputs", "symmetry"
FAMILIES = (DISTINCT, MONOTONE, UNATE, EQUAL, SYMMETRY)
# Unit clauses that fix one cube of a split refutation (combinatorial.cubes): valid only together
# with the other cubes, so a checker accepts them only inside a proof that holds every cube.
CUBE = "cube"
# min-errors masters: two merged examples with one input and two labels cannot both be kept; and
# "at most E errors" as Sinz's sequential counter over the dropped examples (at-most-errors), which
# a proof adds in place of the CP-SAT model's linear constraint (see at_most_errors)
CONFLICT, AT_MOST = "conflicting-inputs", "at-most-errors"


def nogood_tag(n: int) -> str:
    """The tag of the clauses of no-good n (its Farkas record is n-th in the refutation)."""
    return f"nogood {n}"


@dataclass(frozen=True)
class CNF:
    """Variable names (DIMACS variable v is ``names[v - 1]``), clauses and each clause's tag."""

    names: tuple[str, ...]
    clauses: tuple[tuple[int, ...], ...]
    tags: tuple[str, ...]


def _dimacs(lit) -> int:
    k = lit.index
    return k + 1 if k >= 0 else k  # CP-SAT's negation of variable k has index -k - 1


class ClauseModel:
    """``cm = ClauseModel(cp_model.CpModel())``: ``cm.bool_var``, then ``cm.clause(family,
    literals)`` and friends; ``cm.model`` is the CP-SAT model. ``log=False`` keeps no record (the
    joint cpsat backend, which writes no proofs)."""

    def __init__(self, model, *, log: bool = True):
        self.model = model
        self.names: list[str] | None = [] if log else None
        self.clauses: list[tuple[int, ...]] = []
        self.tags: list[str] = []
        self.calls = 0  # constraints added through this object

    def bool_var(self, name: str):
        var = self.model.new_bool_var(name)
        if self.names is not None:
            if var.index != len(self.names):
                raise RuntimeError("a variable entered the model outside this ClauseModel")
            self.names.append(name)
        return var

    def clause(self, family: str, lits) -> None:
        """At least one of ``lits`` holds."""
        self.calls += 1
        self.model.add_bool_or(lits)
        self._log(family, [_dimacs(l) for l in lits])

    def implication(self, family: str, a, b) -> None:
        """a implies b."""
        self.calls += 1
        self.model.add_implication(a, b)
        self._log(family, [-_dimacs(a), _dimacs(b)])

    def fix(self, family: str, lit, value: bool) -> None:
        self.calls += 1
        self.model.add(lit == int(value))
        self._log(family, [_dimacs(lit) if value else -_dimacs(lit)])

    def same(self, family: str, a, b) -> None:
        """a and b take one value."""
        self.calls += 1
        self.model.add(a == b)
        self._log(family, [-_dimacs(a), _dimacs(b)])
        self._log(family, [_dimacs(a), -_dimacs(b)])

    def linear(self, add) -> None:
        """A linear constraint on keep flags, ``add(model)``: in the CP-SAT model only. A min-errors
        proof replaces these by the optimum's bound (:func:`at_most_errors`), which implies them."""
        self.calls += 1
        add(self.model)

    def _log(self, family: str, lits: list[int]) -> None:
        if self.names is not None:
            self.clauses.append(tuple(lits))
            self.tags.append(family)

    def complete(self) -> bool:
        """Is every constraint and variable of the CP-SAT model in the log?"""
        proto = self.model.Proto()
        return (self.names is not None and len(proto.constraints) == self.calls
                and len(proto.variables) == len(self.names))

    def record(self) -> CNF:
        if self.names is None:
            raise RuntimeError("this ClauseModel keeps no log")
        return CNF(tuple(self.names), tuple(self.clauses), tuple(self.tags))


def at_most_errors(keep: list[int], counts, errors: int, first: int) -> tuple[list[str], list[tuple[int, ...]]]:
    """Sinz's sequential counter for "at most ``errors`` examples dropped": the literals are
    "not keep[i]" (``keep``: DIMACS variables of keep[0..m-1]), merged example i repeated
    ``counts[i]`` times, so the count is the errors on the original data. Auxiliary variable
    card[p][j] (DIMACS ``first`` on) means "at least j of the first p + 1 literals hold".
    Returns (the new variables' names, the clauses); ftprop.checker regenerates the same."""
    xs = [-keep[i] for i in range(len(keep)) for _ in range(int(counts[i]))]
    n, E = len(xs), int(errors)
    if E < 0:
        raise ValueError("errors must be >= 0")
    if E == 0:
        return [], [(-x,) for x in xs]
    names, index = [], {}
    for p in range(n - 1):
        for j in range(1, E + 1):
            index[p, j] = first + len(names)
            names.append(f"card[{p}][{j}]")
    clauses: list[tuple[int, ...]] = []
    if n == 1:
        return names, clauses
    s = lambda p, j: index[p, j]  # noqa: E731
    clauses.append((-xs[0], s(0, 1)))
    clauses += [(-s(0, j),) for j in range(2, E + 1)]
    for p in range(1, n - 1):
        clauses += [(-xs[p], s(p, 1)), (-s(p - 1, 1), s(p, 1))]
        for j in range(2, E + 1):
            clauses += [(-xs[p], -s(p - 1, j - 1), s(p, j)), (-s(p - 1, j), s(p, j))]
        clauses.append((-xs[p], -s(p - 1, E)))
    clauses.append((-xs[n - 1], -s(n - 2, E)))
    return names, clauses


@dataclass(frozen=True)
class Lines:
    """A min-errors optimum (``errors`` >= 1) whose bound is an enumeration a checker redoes; a
    proof file of this ``kind`` holds only the network and ``errors``. ``lines``: one hidden unit
    in one or two input dimensions, or one whose label rows alone prove it (the count per pair of
    label rows and every line through two examples); ``wedges``: two hidden units, two classes,
    inputs in the plane (every pair of half-plane dichotomies, :mod:`combinatorial.wedges`);
    ``trees``: the same with three classes (:mod:`combinatorial.trees`)."""

    errors: int
    kind: str = "lines"


@dataclass(frozen=True)
class PairErrors:
    """A min-errors optimum (``errors`` >= 1) bounded by the pairs of examples a first layer must
    separate (:mod:`combinatorial.errorsets`): ``pairs`` of merged rows with different label rows
    and integer ``weights``, no line separating more than ``load`` of them; ``more``: further
    (pairs, weights), each a cut of its own that every error set meets too. A proof file of kind
    ``separation`` holds them with the network and ``errors``."""

    errors: int
    pairs: tuple[tuple[int, int], ...]
    weights: tuple[int, ...]
    load: int
    kind: str = "separation"
    more: tuple[tuple[tuple[tuple[int, int], ...], tuple[int, ...]], ...] = ()


@dataclass(frozen=True)
class Refutation:
    """What a backend proved UNSAT, as a record: the CNF with every clause's family or no-good,
    one Farkas record per no-good (layer, unit, merged examples, exact multipliers, and its
    clauses as (variable name, value) pairs), whether the last layer used monotone output, and
    the search's seconds. :mod:`combinatorial.proof` serialises it; nothing in it is live."""

    cnf: CNF
    nogoods: tuple[dict, ...]
    monotone: bool
    search_s: float = 0.0
    # the merged examples (of the whole problem) the refutation is about, in the order its example
    # numbers count them; None: all of them (an example-subset search refutes a subset)
    rows: tuple[int, ...] | None = None
    # min-errors: the refuted claim is "at most errors - 1 training errors", its encoding already
    # in the CNF (tagged at-most-errors); None: a feasibility refutation
    errors: int | None = None
