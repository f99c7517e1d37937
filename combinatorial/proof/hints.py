"""Hints for a refutation: which earlier clauses make each lemma follow by unit propagation.

:func:`cadical_lrat` has CaDiCaL write the hints itself (LRAT, through python-sat's tracer);
:func:`trim` keeps the lemmas the empty clause needs. Without that tracer, :func:`lrat` replays a
DRUP refutation to find them. CaDiCaL's DRUP refutation comes: lemmas (and deletions) without justification. A checker then
has to rediscover every unit propagation over the whole clause set, and ``drup``'s verified
checker does so without watched literals, which takes minutes for a few thousand lemmas. This
module replays the refutation once (two watched literals, deletions honoured), records for each
lemma the clauses its propagation used (conflict analysis back from the conflict), keeps only
the lemmas the empty clause needs, and returns them in LRAT form: ``id lits 0 hints 0``. A
checker can then check each lemma with ``drup`` on its hints alone. Nothing here is trusted:
a wrong hint makes the check fail, never pass.
"""

from __future__ import annotations


class HintError(RuntimeError):
    """The refutation does not replay (a lemma that is not RUP, or no empty clause)."""


class _Replay:
    """The clause database with two watched literals and a persistent root-level trail: each
    lemma's check starts from the root fixpoint and undoes its own assignments afterwards."""

    def __init__(self, clauses: list[list[int]]):
        self.lits: dict[int, list[int]] = {}
        self.watch: dict[int, list[int]] = {}
        self.by_key: dict[tuple, list[int]] = {}
        self.value: dict[int, bool] = {}  # literal -> True when it is true
        self.reason: dict[int, int | None] = {}  # variable -> the clause that implied it
        self.pos: dict[int, int] = {}  # variable -> its place on the trail
        self.trail: list[int] = []
        self.head = 0  # trail[:head] is propagated
        self.root_conflict: int | None = None
        self.next_id = 1
        for c in clauses:
            self.add(c)

    def add(self, c: list[int]) -> int:
        c = list(dict.fromkeys(c))
        cid = self.next_id
        self.next_id += 1
        self.lits[cid] = c
        self.by_key.setdefault(tuple(sorted(c)), []).append(cid)
        if self.root_conflict is not None or not c:
            return cid
        value = self.value
        c.sort(key=lambda l: value.get(l) is False)  # literals not false first: the watches
        if value.get(c[0]) is False:
            self.root_conflict = cid
        elif len(c) == 1 or value.get(c[1]) is False:
            if value.get(c[0]) is None:
                self._assign(c[0], cid)
                self.root_conflict = self._propagate()
        if len(c) >= 2:
            self.watch.setdefault(c[0], []).append(cid)
            self.watch.setdefault(c[1], []).append(cid)
        return cid

    def delete(self, c: list[int]) -> None:
        """Deletions free memory and speed propagation; a clause that justifies a root-level
        literal (or the root conflict) is kept, as drat-trim does, since hints may cite it."""
        ids = self.by_key.get(tuple(sorted(dict.fromkeys(c))))
        if not ids:
            return
        cid = ids[-1]
        lits = self.lits[cid]
        if cid == self.root_conflict or (lits and self.reason.get(abs(lits[0])) == cid):
            return
        ids.pop()
        del self.lits[cid]  # watch lists drop it lazily

    def _assign(self, lit: int, why) -> None:
        self.value[lit], self.value[-lit] = True, False
        self.reason[abs(lit)] = why
        self.pos[abs(lit)] = len(self.trail)
        self.trail.append(lit)

    def _propagate(self) -> int | None:
        """Unit propagation from ``head``; the conflicting clause or None."""
        lits, watch, value, trail = self.lits, self.watch, self.value, self.trail
        while self.head < len(trail):
            false = -trail[self.head]
            self.head += 1
            ws = watch.get(false)
            if not ws:
                continue
            keep = []
            conflict = None
            i, n = 0, len(ws)
            while i < n:
                cid = ws[i]
                i += 1
                c = lits.get(cid)
                if c is None:
                    continue  # deleted
                if c[0] == false:
                    c[0], c[1] = c[1], c[0]
                elif c[1] != false:
                    continue  # a stale entry: the clause watches other literals now
                first = c[0]
                if value.get(first) is True:
                    keep.append(cid)
                    continue
                for k in range(2, len(c)):
                    if value.get(c[k]) is not False:
                        c[1], c[k] = c[k], c[1]
                        watch.setdefault(c[1], []).append(cid)
                        break
                else:
                    keep.append(cid)
                    if value.get(first) is False:
                        conflict = cid
                        keep.extend(ws[i:])
                        break
                    self._assign(first, cid)
            watch[false] = keep
            if conflict is not None:
                return conflict
        return None

    def rup(self, lemma: list[int]) -> list[int] | None:
        """Clause ids used to derive a conflict from the lemma's negation, in trail order with
        the conflict clause last; None when unit propagation finds no conflict."""
        if self.root_conflict is not None:
            return self._analyse(self.root_conflict)
        mark = len(self.trail)
        value = self.value
        conflict = None
        try:
            for l in lemma:
                v = value.get(l)
                if v is True:  # true at the root, or the lemma is a tautology
                    why = self.reason[abs(l)]
                    return [] if why is None else self._analyse(why)
                if v is None:
                    self._assign(-l, None)
            conflict = self._propagate()
            return None if conflict is None else self._analyse(conflict)
        finally:
            for lit in self.trail[mark:]:
                del value[lit], value[-lit], self.reason[abs(lit)], self.pos[abs(lit)]
            del self.trail[mark:]
            self.head = mark

    def _analyse(self, conflict: int) -> list[int]:
        seen: set[int] = set()
        used: list[tuple[int, int]] = []  # (trail position, reason clause)
        stack = [conflict]
        while stack:
            for l in self.lits[stack.pop()]:
                v = abs(l)
                if v in seen:
                    continue
                seen.add(v)
                r = self.reason.get(v)
                if r is not None and r != conflict:
                    used.append((self.pos[v], r))
                    stack.append(r)
        used.sort()
        return list(dict.fromkeys(r for _, r in used)) + [conflict]


def cadical_lrat(clauses: list[list[int]]) -> list[str] | None:
    """CaDiCaL's refutation of ``clauses`` in text LRAT (clause k has id k), or None when the
    formula is satisfiable. Raises :class:`HintError` when python-sat cannot trace LRAT."""
    import tempfile

    from pysat.solvers import Cadical195

    try:
        import pysolvers
    except ImportError as exc:
        raise HintError(f"python-sat's CaDiCaL tracer is not available ({exc})") from None
    solver = Cadical195()
    try:
        solver.configure({"lrat": 1, "binary": 0})
        with tempfile.TemporaryFile() as fh:
            tracer = pysolvers.cadical195_tracepr(solver.cadical, fh)
            for c in clauses:
                solver.add_clause(c)
            if solver.solve():
                return None
            pysolvers.flushpr(tracer)
            fh.seek(0)
            return fh.read().decode().splitlines()
    finally:
        solver.delete()


def renumber(lines: list[str], n_clauses: int) -> list[str]:
    """CaDiCaL's LRAT with clause k of the formula as id k and lemmas numbered from n + 1.

    CaDiCaL numbers the formula's clauses as they are added, and a unit it propagates while
    clauses are still being added takes the next id first; so the k-th clause has the k-th id
    that no lemma uses. Deletions are dropped (a checker keeps every clause)."""
    steps = [[int(p) for p in line.split()] for line in lines if len(line.split()) > 1 and line.split()[1] != "d"]
    taken = {step[0] for step in steps}
    mapping: dict[int, int] = {}
    candidate = 0
    for k in range(1, n_clauses + 1):
        candidate += 1
        while candidate in taken:
            candidate += 1
        mapping[candidate] = k
    for n, step in enumerate(steps, n_clauses + 1):
        mapping[step[0]] = n
    out = []
    for step in steps:
        split = step.index(0, 1)
        try:
            hints = [mapping[h] for h in step[split + 1:-1]]
        except KeyError as exc:
            raise HintError(f"a hint cites clause {exc.args[0]}, which the refutation never defines") from None
        out.append(" ".join(map(str, [mapping[step[0]], *step[1:split], 0, *hints, 0])))
    return out


def trim(lines: list[str]) -> tuple[list[str], int]:
    """Keep the LRAT lemmas the empty clause needs (deletions dropped): (lines, how many)."""
    steps: list[tuple[int, list[int], list[int]]] = []
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or parts[1] == "d":
            continue
        values = [int(p) for p in parts]
        split = values.index(0, 1)
        steps.append((values[0], values[1:split], values[split + 1:-1]))
        if split == 1:
            break  # the empty clause
    return _needed(steps)


def lrat(clauses: list[list[int]], drup_lines: list[str]) -> tuple[list[str], int]:
    """The refutation as trimmed LRAT lines (``id lits 0 hints 0``) and how many lemmas it kept.
    Clause ids 1..len(clauses) are the formula's clauses in order."""
    replay = _Replay(clauses)
    lemmas: list[tuple[int, list[int], list[int]]] = []
    for line in drup_lines:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "d":
            replay.delete([int(p) for p in parts[1:-1]])
            continue
        lemma = [int(p) for p in parts[:-1]]
        hints = replay.rup(lemma)
        if hints is None:
            raise HintError(f"lemma {' '.join(parts)} is not RUP")
        cid = replay.add(lemma)
        lemmas.append((cid, lemma, hints))
        if not lemma:
            break
    return _needed(lemmas)


def _needed(steps: list[tuple[int, list[int], list[int]]]) -> tuple[list[str], int]:
    """The steps the final empty clause needs, back through their hints, as LRAT lines
    (``id lits 0 hints 0``), and how many."""
    if not steps or steps[-1][1]:
        raise HintError("the refutation has no empty clause")
    needed = set(steps[-1][2])
    kept = [steps[-1]]
    for cid, lemma, hints in reversed(steps[:-1]):
        if cid in needed:
            needed.update(hints)
            kept.append((cid, lemma, hints))
    kept.reverse()
    return [" ".join(map(str, [cid, *lemma, 0, *hints, 0])) for cid, lemma, hints in kept], len(kept)
