"""Hints for a DRUP refutation: which earlier clauses make each lemma follow by unit propagation.

CaDiCaL writes a DRUP refutation: lemmas (and deletions) without justification. A checker then
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
    def __init__(self, clauses: list[list[int]]):
        self.lits: dict[int, list[int]] = {}
        self.watch: dict[int, list[int]] = {}
        self.units: set[int] = set()
        self.by_key: dict[tuple, list[int]] = {}
        self.next_id = 1
        for c in clauses:
            self.add(list(dict.fromkeys(c)))

    def add(self, c: list[int]) -> int:
        cid = self.next_id
        self.next_id += 1
        self.lits[cid] = c
        self.by_key.setdefault(tuple(sorted(c)), []).append(cid)
        if len(c) == 1:
            self.units.add(cid)
        elif len(c) >= 2:
            self.watch.setdefault(c[0], []).append(cid)
            self.watch.setdefault(c[1], []).append(cid)
        return cid

    def delete(self, c: list[int]) -> None:
        ids = self.by_key.get(tuple(sorted(dict.fromkeys(c))))
        if ids:
            cid = ids.pop()
            self.units.discard(cid)
            del self.lits[cid]  # watch lists drop it lazily

    def rup(self, lemma: list[int]) -> list[int] | None:
        """Clause ids used to derive a conflict from the lemma's negation, in trail order with
        the conflict clause last; None when unit propagation finds no conflict."""
        value: dict[int, bool] = {}  # literal -> True when it is true
        reason: dict[int, int | None] = {}  # variable -> the clause that implied it
        trail: list[int] = []

        def assign(lit: int, why) -> int | None:
            v = value.get(lit)
            if v is True:
                return None
            if v is False:
                return why if why is not None else -1
            value[lit], value[-lit] = True, False
            reason[abs(lit)] = why
            trail.append(lit)
            return None

        for l in lemma:
            if value.get(-l) is True:
                continue
            if value.get(l) is True:  # tautology: nothing to prove
                return []
            assign(-l, None)
        for u in self.units:
            clash = assign(self.lits[u][0], u)
            if clash is not None:
                return self._analyse(u, reason, trail)
        head = 0
        lits, watch = self.lits, self.watch
        while head < len(trail):
            false = -trail[head]
            head += 1
            ws = watch.get(false, [])
            keep = []
            i = 0
            conflict = None
            while i < len(ws):
                cid = ws[i]
                i += 1
                c = lits.get(cid)
                if c is None:
                    continue  # deleted
                if c[0] == false:
                    c[0], c[1] = c[1], c[0]
                if value.get(c[0]) is True:
                    keep.append(cid)
                    continue
                for k in range(2, len(c)):
                    if value.get(c[k]) is not False:
                        c[1], c[k] = c[k], c[1]
                        watch.setdefault(c[1], []).append(cid)
                        break
                else:
                    keep.append(cid)
                    if value.get(c[0]) is False:
                        conflict = cid
                        keep.extend(ws[i:])
                        break
                    assign(c[0], cid)
            watch[false] = keep
            if conflict is not None:
                return self._analyse(conflict, reason, trail)
        return None

    def _analyse(self, conflict: int, reason, trail) -> list[int]:
        seen_vars: set[int] = set()
        used: set[int] = {conflict}
        stack = [conflict]
        while stack:
            for l in self.lits[stack.pop()]:
                v = abs(l)
                if v in seen_vars:
                    continue
                seen_vars.add(v)
                r = reason.get(v)
                if r is not None and r not in used:
                    used.add(r)
                    stack.append(r)
        order = [reason[abs(l)] for l in trail if reason.get(abs(l)) in used]
        hints = list(dict.fromkeys(h for h in order if h != conflict))
        return hints + [conflict]


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
        cid = replay.add(list(dict.fromkeys(lemma)))
        lemmas.append((cid, lemma, hints))
        if not lemma:
            break
    if not lemmas or lemmas[-1][1]:
        raise HintError("the refutation has no empty clause")
    needed = set(lemmas[-1][2])
    kept = [lemmas[-1]]
    for cid, lemma, hints in reversed(lemmas[:-1]):
        if cid in needed:
            needed.update(hints)
            kept.append((cid, lemma, hints))
    kept.reverse()
    lines = [" ".join(map(str, [cid, *lemma, 0, *hints, 0])) for cid, lemma, hints in kept]
    return lines, len(kept)
