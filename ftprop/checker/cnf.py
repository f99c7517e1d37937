"""The checker's half for ``drup`` certificates: read the tagged CNF, justify every clause, and
check the refutation with ``drup`` (never with the solver that wrote it).

A clause tagged with a family must belong to it (:mod:`ftprop.checker.families`). A clause tagged
``nogood N`` must say "not (unit j of layer l has targets v_i on the examples S of no-good N,
and its inputs on S are u_i)", where u_i are the inputs the clause itself names (the data on
layer 1, the upstream targets above it, plus the raw inputs for a shortcut output), and the
no-good's multipliers must satisfy the Farkas identity for (u_i, v_i): then no real weights
realise that pattern, so the clause holds for every network.
"""

from __future__ import annotations

import re
from fractions import Fraction

_T = re.compile(r"^t\[(\d+)\]\[(\d+)\]\[(\d+)\]$", re.ASCII)
_INT = re.compile(r"^-?\d+$", re.ASCII)
_LITERAL = re.compile(r"^-?[1-9]\d*$", re.ASCII)  # a DIMACS literal: never 0 or -0, no leading zeros
_RATIONAL = re.compile(r"^\s*([+-]?)(\d+)\s*/\s*(\d+)\s*$|^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$", re.ASCII)
# Longest integer (digits) a number in a proof file may need: CPython's own limit for str <-> int,
# so anything longer could not have been written by ftprop either. Exponents count as digits, so
# that "1e100000000" is refused instead of building 10^(10^8).
MAX_DIGITS = 4300
MAX_LITERAL = 2**31 - 1  # larger DIMACS variables are truncated by the SAT libraries


class Invalid(Exception):
    """A proof that reads but does not hold (the message is the reason)."""


def integer(v, what: str, lo: int | None = None, hi: int | None = None) -> int:
    """A JSON integer (never a bool, a float or a string) in [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise Invalid(f"{what}: {_show(v)} is not an integer")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise Invalid(f"{what}: {v} is out of range")
    return v


def rational(v, what: str) -> Fraction:
    """An exact rational from a JSON integer, a finite float or a 'p/q' / decimal string, with at
    most :data:`MAX_DIGITS` digits (exponent included); anything else is :class:`Invalid`."""
    if isinstance(v, bool):
        raise Invalid(f"{what}: {_show(v)} is not a number")
    if isinstance(v, int):
        if v.bit_length() > 3.33 * MAX_DIGITS:
            raise Invalid(f"{what}: a number with more than {MAX_DIGITS} digits")
        return Fraction(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise Invalid(f"{what}: {v} is not a finite number")
        return Fraction(v)
    if not isinstance(v, str) or len(v) > 2 * MAX_DIGITS + 8:
        raise Invalid(f"{what}: {_show(v)} is not an exact rational")
    mt = _RATIONAL.match(v)
    if not mt or (mt.group(2) is None and not (mt.group(5) or mt.group(6))):
        raise Invalid(f"{what}: {_show(v)} is not an exact rational")
    if mt.group(2) is not None:
        p, q = int(mt.group(2)), int(mt.group(3))
        if q == 0:
            raise Invalid(f"{what}: {_show(v)} divides by zero")
        return Fraction(-p if mt.group(1) == "-" else p, q)
    whole, frac, exp = mt.group(5) or "", mt.group(6) or "", int(mt.group(7) or 0)
    if abs(exp) + len(whole) + len(frac) > MAX_DIGITS:
        raise Invalid(f"{what}: {_show(v)} has more than {MAX_DIGITS} digits")
    value = Fraction(int(whole + frac or "0"), 10 ** len(frac)) * Fraction(10) ** exp
    return -value if mt.group(4) == "-" else value


def _show(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def farkas_holds(U: list[list[Fraction]], t: list[int], lam: list[Fraction]) -> str:
    """Why sum lam_i t_i [u_i, 1] = 0, lam >= 0, sum lam > 0 fails; empty when it holds. Then no
    real (w, b) gives sign(w . u_i + b) = t_i on every i with sign(0) = +1: t_i z_i >= 0 on all i
    and sum lam_i t_i z_i = 0 force z_i = 0 (so t_i = +1) wherever lam_i > 0, against
    sum lam_i t_i = 0. The same multipliers refute -t."""
    if len(lam) != len(t) or not lam:
        return "multipliers and examples differ in number"
    if any(v < 0 for v in lam) or sum(lam) <= 0:
        return "multipliers must be >= 0 with a positive sum"
    for k in range(len(U[0]) + 1):
        total = sum((v * ti * (u[k] if k < len(u) else 1) for v, ti, u in zip(lam, t, U) if v), Fraction(0))
        if total != 0:
            return f"the combination is {total} in coordinate {k}, not 0"
    return ""


def read_dimacs(text: str) -> tuple[list[str], list[list[int]], list[str]]:
    """Variable names (index v - 1), clauses and their origin tags from the proof's CNF."""
    names: dict[int, str] = {}
    clauses, tags, header, tag = [], [], None, None
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "c":
            if len(parts) == 4 and parts[1] == "v" and _INT.match(parts[2]):
                v = int(parts[2])
                if v in names:
                    raise Invalid(f"master.cnf line {n}: variable {v} named twice")
                names[v] = parts[3]
            elif len(parts) >= 3 and parts[1] == "o":
                tag = " ".join(parts[2:])
            continue
        if parts[0] == "p":
            if (header is not None or len(parts) != 4 or parts[1] != "cnf" or not all(map(_INT.match, parts[2:]))
                    or not all(len(p) <= 10 for p in parts[2:])):
                raise Invalid(f"master.cnf line {n}: bad header {_show(line)}")
            header = (int(parts[2]), int(parts[3]))
            if header[0] > MAX_LITERAL or header[0] < 0 or header[1] < 0:
                raise Invalid(f"master.cnf line {n}: header out of range")
            continue
        if header is None or parts[-1] != "0" or not all(map(_LITERAL.match, parts[:-1])):
            raise Invalid(f"master.cnf line {n}: not a clause line {_show(line)}")
        if tag is None:
            raise Invalid(f"master.cnf line {n}: a clause without an origin")
        clauses.append([int(p) for p in parts[:-1]])
        tags.append(tag)
    if header is None:
        raise Invalid("master.cnf has no 'p cnf' header")
    n_vars, n_clauses = header
    if len(clauses) != n_clauses:
        raise Invalid(f"master.cnf declares {n_clauses} clauses and holds {len(clauses)}")
    if len(names) != n_vars or sorted(names) != list(range(1, n_vars + 1)):
        raise Invalid(f"master.cnf must name each of its {n_vars} variables once")
    if len(set(names.values())) != n_vars:
        raise Invalid("master.cnf gives two variables one name")
    if any(abs(l) > n_vars for c in clauses for l in c):
        raise Invalid("master.cnf uses a variable beyond its header")
    return [names[v] for v in range(1, n_vars + 1)], clauses, tags


def check_target_name(name: str, m: int, hidden) -> None:
    """``name`` is a hidden target t[l][j][i] of this architecture on m merged examples."""
    mt = _T.match(name) if len(name) < 40 else None
    if not mt:
        raise Invalid(f"{name[:40]!r} is not a hidden target t[l][j][i]")
    l, j, i = map(int, mt.groups())
    if not (1 <= l <= len(hidden) and j < hidden[l - 1] and i < m):
        raise Invalid(f"{name} is not a hidden target of this architecture and data")


KEEP = re.compile(r"^keep\[(\d+)\]$", re.ASCII)  # min-errors: merged example i is fitted


def _without_keep(record, named, keep: bool):
    """A min-errors no-good may also say "unless some example of S is dropped": its keep
    literals (not keep[i], for exactly the examples i of S) are taken off; (clause, error or "").
    Without them it is the stronger no-good, which holds as well: a network's hidden outputs
    are what they are on every example, fitted or not."""
    flags = {(name, positive) for name, positive in named if KEEP.match(name)}
    if not flags:
        return named, ""
    if not keep:
        return named, "keep flags belong to min-errors proofs"
    if any(positive for _, positive in flags) or sorted(int(KEEP.match(n).group(1)) for n, _ in flags) != sorted(record[2]):
        return named, "its keep literals are not 'not keep[i]' for exactly the no-good's examples"
    return named - flags, ""


def check_clauses(names, clauses, tags, families, nogoods, Xu, Yu, hidden, shortcut, cube=None) -> None:
    """Every clause is in its family, or is a no-good its Farkas certificate justifies, or (only
    in a cube of a split proof, ``cube``: the set of (name, value > 0) it fixes) fixes the cube."""
    records = [_record(r, n, len(Xu), len(hidden)) for n, r in enumerate(nogoods)]
    X = [[Fraction(v) for v in row] for row in Xu.tolist()]
    fixed = set()
    for k, (clause, tag) in enumerate(zip(clauses, tags), 1):
        named = frozenset((names[abs(l) - 1], l > 0) for l in clause)
        if tag == "cube":
            if cube is None:
                raise Invalid(f"clause {k} fixes a cube: this is one part of a split proof and proves nothing alone")
            if len(named) != 1 or next(iter(named)) not in cube:
                raise Invalid(f"clause {k} ({' '.join(map(str, clause))} 0) is not one of the cube's literals")
            fixed |= named
        elif tag.startswith("nogood "):
            n = tag.split()[1]
            if not _INT.match(n) or not 0 <= int(n) < len(records):
                raise Invalid(f"clause {k} claims no-good {n}, which the file does not hold")
            named, why = _without_keep(records[int(n)], named, families.keep)
            why = why or _nogood(records[int(n)], named, X, Yu, hidden, shortcut)
            if why:
                raise Invalid(f"clause {k} (no-good {n}): {why}")
        elif not families.contains(tag, named):
            raise Invalid(f"clause {k} ({' '.join(map(str, clause))} 0) is not a valid {tag} clause")
    if cube is not None and fixed != set(cube):
        raise Invalid("the CNF does not fix every literal of its cube")


def _record(r, n, m, depth) -> tuple:
    if not isinstance(r, dict) or not all(isinstance(r.get(k), list) for k in ("examples", "multipliers")):
        raise Invalid(f"no-good {n} is malformed")
    layer, unit = integer(r.get("layer"), f"no-good {n} layer"), integer(r.get("unit"), f"no-good {n} unit")
    examples = [integer(i, f"no-good {n} example") for i in r["examples"]]
    lam = [rational(v, f"no-good {n} multipliers") for v in r["multipliers"]]
    if not 1 <= layer <= depth + 1 or len(set(examples)) != len(examples) or not all(0 <= i < m for i in examples):
        raise Invalid(f"no-good {n}: layer {layer} or examples {examples} out of range")
    return layer, unit, examples, lam


def _nogood(record, named, X, Yu, hidden, shortcut) -> str:
    layer, unit, S, lam = record
    depth = len(hidden)
    own, up = {}, {}
    for name, positive in named:
        mt = _T.match(name)
        if not mt:
            return f"{name} is not a hidden target"
        l, j, i = map(int, mt.groups())
        value = -1 if positive else 1  # the literal excludes the variable taking this value
        if l == layer and layer <= depth:
            own[(j, i)] = value
        elif l == layer - 1 and l >= 1:
            up[(j, i)] = value
        else:
            return f"{name} is neither the unit's target nor its input"
    if layer <= depth:
        units = {j for j, _ in own}
        if len(units) != 1 or not 0 <= next(iter(units)) < hidden[layer - 1] or sorted(i for _, i in own) != sorted(S):
            return "its targets are not one unit's on the no-good's examples"
        j = next(iter(units))
        t = [own[(j, i)] for i in S]
    else:
        if own or not 0 <= unit < Yu.shape[1]:
            return f"no output unit {unit}"
        t = [int(Yu[i, unit]) for i in S]
    if layer == 1:
        if up:
            return "a first-layer unit's inputs are the data, not targets"
        U = [X[i] for i in S]
    else:
        width = hidden[layer - 2]
        if set(up) != {(k, i) for k in range(width) for i in S}:
            return "it does not fix every input of the unit on the no-good's examples"
        U = [[Fraction(up[(k, i)]) for k in range(width)] + (X[i] if shortcut and layer == depth + 1 else []) for i in S]
    why = farkas_holds(U, t, lam)
    return f"Farkas certificate: {why}" if why else ""


def check_refutation(clauses: list[list[int]], text: str, jobs: int = 1, n_vars: int | None = None) -> int:
    """Check the hinted refutation (``id lits 0 hints 0``) lemma by lemma with ``drup``: each
    lemma must follow by unit propagation from its hints (earlier lemmas or clauses of the CNF,
    clause k having id k), the last lemma must be the empty clause. Returns the number of lemmas.
    Checking each lemma on its hints alone is sound: the hints are clauses already established
    (the ids are checked first, in order), and ``drup`` decides the propagation. The lemmas are
    then independent, so ``jobs`` processes may share them."""
    global _SHARED
    if n_vars is None:
        n_vars = max((abs(l) for c in clauses for l in c), default=0)
    known: dict[int, list[int]] = {k: c for k, c in enumerate(clauses, 1)}
    last, lemma, steps = len(clauses), None, []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if (not all(map(_INT.match, parts)) or parts[-1] != "0" or parts.count("0") != 2 or parts[0] == "0"
                or any(len(p) > 12 for p in parts)):
            raise Invalid(f"refutation line {n}: not a step 'id lits 0 hints 0': {_show(line)}")
        values = [int(p) for p in parts]
        cid, split = values[0], values.index(0, 1)
        lemma, hints = values[1:split], values[split + 1:-1]
        if not all(_LITERAL.match(p) for p in parts[1:split]) or any(abs(l) > n_vars for l in lemma):
            raise Invalid(f"refutation line {n}: a literal that is not a variable of master.cnf")
        if cid <= last:
            raise Invalid(f"refutation line {n}: step id {cid} does not increase")
        missing = [h for h in hints if h not in known]
        if missing or not hints:
            raise Invalid(f"refutation line {n}: hint {missing[0] if missing else '(none)'} is no earlier clause")
        known[cid], last = lemma, cid
        steps.append((n, line))
    if lemma is None or lemma:
        raise Invalid("the refutation does not end with the empty clause")
    _SHARED = (known, steps)
    try:
        if jobs <= 1:
            failed = _check_steps((0, len(steps)))
        else:
            import multiprocessing

            size = max(1, len(steps) // (8 * jobs))
            chunks = [(a, min(a + size, len(steps))) for a in range(0, len(steps), size)]
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                failed = next((f for f in pool.imap(_check_steps, chunks) if f is not None), None)
    finally:
        _SHARED = None
    if failed is not None:
        n, lemma = failed
        raise Invalid(f"refutation line {n}: drup finds lemma {lemma} not implied by its hints")
    return len(steps)


_SHARED = None  # (clauses by id, steps) for the worker processes, which inherit it by fork


def _check_steps(bounds) -> tuple[int, list[int]] | None:
    """The first step in ``steps[a:b]`` that drup rejects on its hints, or None."""
    import drup

    known, steps = _SHARED
    for n, line in steps[bounds[0]:bounds[1]]:
        values = [int(p) for p in line.split()]
        split = values.index(0, 1)
        lemma = values[1:split]
        formula = [known[h] for h in values[split + 1:-1]] + [[-l] for l in lemma]
        if drup.check_proof(formula, [[]]).outcome != drup.Outcome.VALID:
            return n, lemma
    return None
