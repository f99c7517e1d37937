"""An independent checker of proof files (:mod:`combinatorial.proof` writes them).

It shares no code with the solver's model building (nothing here imports :mod:`combinatorial`):
it merges the data itself, recomputes the fingerprint, regenerates the valid constraints
(:mod:`ftprop.checker.families`), re-checks every Farkas certificate in ``fractions``, checks the
refutation with ``drup`` (a checker extracted from verified Why3 code) lemma by lemma on its LRAT
hints (:mod:`ftprop.checker.cnf`), and runs the forward pass of a network in exact rationals with
sign(0) = +1.

:func:`check` returns a :class:`Verdict`; a file that cannot be read as a proof at all raises
:class:`~ftprop.errors.InputError` (the CLI's exit 2).
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ftprop.checker.cnf import Invalid as _Invalid
from ftprop.checker.cnf import farkas_holds, integer, rational
from ftprop.checker.certify import certify
from ftprop.checker.families import TRUSTED, Families
from ftprop.checker.forward import outputs
from ftprop.errors import InputError

FORMAT, VERSION = "ftprop-proof", 1
MAX_LAYERS = 64
MAX_HIDDEN_TARGETS = 10_000_000  # the engine builds no larger model (combinatorial.problem)


@dataclass
class Verdict:
    valid: bool
    reason: str = ""  # the first thing found wrong (empty when valid)
    claim: str = ""  # what a valid file proves, in words
    stats: dict = field(default_factory=dict)  # stats["trusted"]: the families taken on their argument

    @property
    def trusted(self) -> dict[str, str]:
        """The constraint families a valid refutation used that rest on a written argument (each
        regenerated from the data and matched clause by clause), with that argument in words."""
        return {name: TRUSTED[name] for name in self.stats.get("trusted", [])}

    def line(self) -> str:
        return "VALID" if self.valid else f"INVALID: {self.reason}"


def merge(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Merged inputs and ±1 targets: one row per distinct (input, label), in order of first
    occurrence; two classes give one column (+1 = the larger label), k > 2 one-vs-rest columns."""
    return _merge(X, y)[:2]


def _merge(X, y) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """:func:`merge`, and how many of the given examples each merged row stands for."""
    X = np.asarray(X, dtype=float) + 0.0
    y = np.asarray(y)
    classes = sorted(set(y.tolist()))
    rows, seen, counts = [], {}, []
    for i in range(len(X)):
        key = (tuple(X[i].tolist()), y[i].item() if hasattr(y[i], "item") else y[i])
        if key not in seen:
            seen[key] = len(rows)
            rows.append(i)
            counts.append(0)
        counts[seen[key]] += 1
    Xu = X[rows]
    if len(classes) == 2:
        Yu = np.array([[1 if y[i] == classes[1] else -1] for i in rows], dtype=np.int8)
    else:
        Yu = np.array([[1 if y[i] == c else -1 for c in classes] for i in rows], dtype=np.int8)
    return Xu, Yu.reshape(len(rows), -1), counts


def fingerprint(Xu, Yu) -> str:
    """sha256 of ``ftprop-merged-v1 m d k``, newline, float64 LE inputs (-0.0 written as 0.0),
    int8 targets."""
    m, d = Xu.shape
    h = hashlib.sha256(f"ftprop-merged-v1 {m} {d} {Yu.shape[1]}\n".encode())
    h.update(np.ascontiguousarray(np.asarray(Xu, dtype="<f8") + 0.0).tobytes())  # -0.0 hashes as 0.0
    h.update(np.ascontiguousarray(Yu, dtype="i1").tobytes())
    return h.hexdigest()


def check(path, X, y, *, jobs: int = 1) -> Verdict:
    """Check the proof file ``path`` against the data (X, y); ``jobs`` processes share the
    refutation's lemmas."""
    start = time.monotonic()
    body, members, extra = _read(path)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) != len(y) or not np.isfinite(X).all():
        raise InputError("the data must be a finite 2-D X with one label per row")
    Xu, Yu, counts = _merge(X, y)
    ignored = {"ignored_members": extra} if extra else {}
    try:
        claim, stats = _check(body, members, X, np.asarray(y), Xu, Yu, counts, jobs)
    except _Invalid as exc:
        return Verdict(False, str(exc), stats={**ignored, "check_s": round(time.monotonic() - start, 4)})
    except (TypeError, KeyError, ValueError, AttributeError, IndexError, OverflowError, ZeroDivisionError,
            RecursionError) as exc:  # fields of the wrong shape: the file proves nothing
        return Verdict(False, f"malformed proof ({type(exc).__name__}: {str(exc)[:200]})",
                       stats={**ignored, "check_s": round(time.monotonic() - start, 4)})
    return Verdict(True, "", claim, {**stats, **ignored, "check_s": round(time.monotonic() - start, 4)})


# The members a proof file may hold, with the most bytes each may unpack to (a member is read only
# when its size is within the cap, so a small file cannot make the checker unpack gigabytes).
MEMBER_LIMITS = {"certificate.json": 64 << 20, "master.cnf": 1 << 30, "refutation.lrat": 2 << 30}
UNREAD_MEMBERS = {"refutation.drup"}  # for other DRAT checkers; this one checks the LRAT hints
# A split proof (kind "cubes") holds cube K's CNF and refutation as cube-K/<member>, under the same
# caps each and one cap on everything the file unpacks to.
MAX_CUBES = 4096
TOTAL_LIMIT = 8 << 30


def _limit(name: str) -> int | None:
    """The cap of a member this checker reads (None: a member it does not read)."""
    if name in MEMBER_LIMITS:
        return MEMBER_LIMITS[name]
    head, _, base = name.partition("/")
    if head.startswith("cube-") and head[5:].isdigit() and len(head) <= 10 and base in MEMBER_LIMITS:
        return MEMBER_LIMITS[base] if base != "certificate.json" else None
    return None


def _unread(name: str) -> bool:
    return name in UNREAD_MEMBERS or (name.startswith("cube-") and name.partition("/")[2] in UNREAD_MEMBERS)


def _read(path) -> tuple[dict, dict, list[str]]:
    """The certificate, the named members' texts, and the names of members that were not read."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = {i.filename: i for i in z.infolist()}
            if "certificate.json" not in infos:
                raise InputError(f"{path}: not an ftprop proof file (no certificate.json)")
            read = [name for name in infos if _limit(name) is not None]
            if sum(infos[name].file_size for name in read) > TOTAL_LIMIT:
                raise InputError(f"{path}: its members unpack to more than {TOTAL_LIMIT:,} bytes")
            members, total = {}, 0
            for name in read:
                members[name] = _member(z, infos[name], path)
                total += len(members[name])
                if total > TOTAL_LIMIT:
                    raise InputError(f"{path}: its members unpack to more than {TOTAL_LIMIT:,} bytes")
            extra = sorted(name for name in infos if _limit(name) is None and not _unread(name))
        body = json.loads(members.pop("certificate.json"), parse_constant=_constant)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except RecursionError:
        raise InputError(f"{path}: not an ftprop proof file (certificate.json nests too deeply)") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, UnicodeDecodeError, ValueError, IsADirectoryError,
            NotImplementedError, EOFError, OSError) as exc:  # ValueError covers JSON errors and huge integers
        raise InputError(f"{path}: not an ftprop proof file ({exc})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise InputError(f"{path}: not an ftprop proof file (format {body.get('format') if isinstance(body, dict) else None!r})")
    if body.get("version") != VERSION:
        raise InputError(f"{path}: proof format version {body.get('version')!r}, this checker reads {VERSION}")
    return body, members, extra


def _member(z: zipfile.ZipFile, info: zipfile.ZipInfo, path) -> str:
    """One member's text, refused when it would unpack past its cap (the header's size is not
    trusted: at most cap + 1 bytes are ever unpacked)."""
    cap = _limit(info.filename)
    if info.file_size > cap:
        raise InputError(f"{path}: member {info.filename} unpacks to {info.file_size:,} bytes, more than {cap:,}")
    with z.open(info) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"{path}: member {info.filename} unpacks to more than {cap:,} bytes")
    return data.decode()


def _constant(name: str) -> str:
    """JSON's non-standard Infinity / NaN read as text, which no number field accepts."""
    return name


def _check(body, members, X, y, Xu, Yu, counts, jobs) -> tuple[str, dict]:
    data, arch = body.get("data") or {}, body.get("architecture") or {}
    if data.get("sha256") != fingerprint(Xu, Yu):
        raise _Invalid("the data differ from the data the proof is about (sha256 of the merged data)")
    hidden, shortcut = arch.get("hidden"), arch.get("shortcut")
    if not isinstance(hidden, list) or not isinstance(shortcut, bool) or len(hidden) > MAX_LAYERS:
        raise _Invalid(f"malformed architecture {str(arch)[:80]}")
    hidden = [integer(w, "hidden width", 1, MAX_HIDDEN_TARGETS) for w in hidden]
    if len(Xu) * sum(hidden) > MAX_HIDDEN_TARGETS:
        raise _Invalid(f"hidden widths {hidden} on {len(Xu)} examples are beyond any proof ftprop writes")
    if shortcut and len(hidden) != 1:
        raise _Invalid("a shortcut needs exactly one hidden layer")
    net = "-".join(map(str, [Xu.shape[1], *hidden, Yu.shape[1]])) + (" with shortcut" if shortcut else "")
    kind = body.get("kind")
    if kind == "conflict":
        i, j = _ints(body.get("examples"), 2, len(X))
        if not (np.array_equal(X[i], X[j]) and y[i] != y[j]):
            raise _Invalid(f"examples {i} and {j} are not a conflict (same input, different labels)")
        return f"no network fits: examples {i} and {j} have one input and two labels", {}
    if kind == "farkas":
        return _check_farkas(body, X, y, hidden, net)
    if kind == "weights":
        _forward(body.get("layers"), Xu, Yu, hidden, shortcut)
        return f"the {net} network in the file fits every example (exact forward pass)", {}
    if kind == "optimal":
        errors = integer(body.get("errors"), "errors", 1, len(X))
        got = _forward(body.get("layers"), Xu, Yu, hidden, shortcut, counts=counts)
        if got != errors:
            raise _Invalid(f"the network in the file makes {got} training errors, not the {errors} it claims")
        stats = _check_drup(body, members, Xu, Yu, hidden, shortcut, jobs, counts=counts, errors=errors)
        return (f"the {net} network in the file makes {errors} training errors, and no {net} network with real "
                f"weights makes fewer (it is optimal)"), stats
    if kind in ("lines", "wedges", "trees", "triples"):
        from ftprop.checker import enumerated

        return enumerated.check(kind, body, Xu, Yu, hidden, shortcut, counts, net, _forward)
    if kind == "separation":
        from ftprop.checker import separation

        if "errors" in body:  # a min-errors optimum
            return separation.check_errors(body, Xu, Yu, hidden, shortcut, counts, net, _forward)
        return separation.check(body, Xu, Yu, hidden, shortcut, net)
    if kind == "cubes":
        stats = _check_cubes(body, members, Xu, Yu, hidden, shortcut, jobs)
        return (f"no {net} network with real weights fits the data: each of the {stats['cubes']} cubes "
                f"over {stats['cube_variables']} hidden targets, which together cover every assignment, "
                "is refuted"), stats
    if kind == "drup":
        rows = _subset(body.get("subset"), len(Xu))
        if rows is None:
            return f"no {net} network with real weights fits the data", _check_drup(body, members, Xu, Yu, hidden, shortcut, jobs)
        stats = _check_drup(body, members, Xu[rows], Yu[rows], hidden, shortcut, jobs)
        return (f"no {net} network with real weights fits the data: none fits its {len(rows)} examples "
                f"named in the proof (rows of the merged data)", {**stats, "subset": len(rows)})
    raise _Invalid(f"unknown certificate kind {kind!r}")


def _subset(values, m: int) -> list[int] | None:
    """The merged rows a refutation is about (distinct, each below m), or None: all of them."""
    if values is None:
        return None
    if not isinstance(values, list) or not values:
        raise _Invalid("the subset is not a non-empty list of merged example rows")
    rows = _ints(values, len(values), m)
    if len(set(rows)) != len(rows):
        raise _Invalid("the subset names a merged example twice")
    return rows


def _ints(values, n, bound) -> list[int]:
    if not isinstance(values, list) or len(values) != n:
        raise _Invalid(f"example indices {str(values)[:60]} are not {n} indices below {bound}")
    return [integer(v, "example index", 0, bound - 1) for v in values]


def _fractions(values, what) -> list[Fraction]:
    if not isinstance(values, list):
        raise _Invalid(f"{what}: not a list of exact rationals")
    return [rational(v, what) for v in values]


def _check_farkas(body, X, y, hidden, net) -> tuple[str, dict]:
    if hidden:
        raise _Invalid("a single Farkas certificate proves nothing about a network with hidden layers")
    classes = sorted(set(y.tolist()))
    unit = integer(body.get("unit"), "output unit", 0, (1 if len(classes) == 2 else len(classes)) - 1)
    examples = body.get("examples")
    _ints(examples, len(examples) if isinstance(examples, list) else -1, len(X))
    lam = _fractions(body.get("multipliers"), "multipliers")
    positive = classes[1] if len(classes) == 2 else classes[unit]
    t = [1 if y[i] == positive else -1 for i in examples]
    why = farkas_holds([[Fraction(v) for v in X[i].tolist()] for i in examples], t, lam)
    if why:
        raise _Invalid(f"Farkas certificate of output unit {unit}: {why}")
    return f"no {net} network fits: output unit {unit} is not linearly separable (Farkas)", {}


def _forward(layers, Xu, Yu, hidden, shortcut, counts=None) -> int:
    """Exact forward pass on every merged example; the outputs must equal the ±1 targets, or
    (``counts``: how many examples each row stands for) the training errors are returned."""
    sizes = [Xu.shape[1], *hidden, Yu.shape[1]]
    if not isinstance(layers, list) or len(layers) != len(sizes) - 1:
        raise _Invalid(f"the network must have {len(sizes) - 1} layers")
    parsed = []
    for l, layer in enumerate(layers):
        fan_in = sizes[l] + (sizes[0] if shortcut and l == len(layers) - 1 else 0)
        W, b = (layer or {}).get("W"), (layer or {}).get("b")
        if not (isinstance(W, list) and isinstance(b, list) and len(W) == sizes[l + 1] == len(b)
                and all(isinstance(r, list) and len(r) == fan_in for r in W)):
            raise _Invalid(f"layer {l + 1}: weights must be {sizes[l + 1]} x {fan_in} with {sizes[l + 1]} biases")
        parsed.append(([_fractions(r, f"layer {l + 1} weights") for r in W], _fractions(b, f"layer {l + 1} biases")))
    H = outputs(parsed, Xu, shortcut)  # exact (ftprop/checker/forward.py)
    missed = np.flatnonzero(np.any(H != np.asarray(Yu), axis=1))
    if counts is None and len(missed):
        i = int(missed[0])
        raise _Invalid(f"the network misses merged example {i} (outputs {H[i].tolist()}, targets {Yu[i].tolist()})")
    return 0 if counts is None else int(np.asarray(counts)[missed].sum())


def _check_drup(body, members, Xu, Yu, hidden, shortcut, jobs, *, part=None, cube=None, counts=None,
                errors=None, families=None) -> dict:
    """A CNF of valid clauses and its refutation; ``part``: one cube of a split proof (its
    no-goods, member prefix and the literals ``cube`` it may fix), else the whole file;
    ``families``: the valid families when already built (the cubes of one file share them)."""
    from ftprop.checker.cnf import check_clauses, check_refutation, read_dimacs

    if not hidden:
        raise _Invalid("a DRUP certificate needs hidden layers")
    where = part or {"prefix": "", "nogoods": body.get("nogoods")}
    prefix, nogoods = where["prefix"], where["nogoods"] or []
    for name in ("master.cnf", "refutation.lrat"):
        if prefix + name not in members:
            raise _Invalid(f"the file holds no {prefix + name}")
    opts = body.get("options") or {}
    symmetry = opts.get("symmetry_breaking")
    if not isinstance(symmetry, bool):
        raise _Invalid("the options do not say whether symmetry breaking was on")
    names, clauses, tags = read_dimacs(members[prefix + "master.cnf"])
    families = families or Families(Xu, Yu, hidden, shortcut, symmetry, counts=counts, errors=errors)
    check_clauses(names, clauses, tags, families, nogoods, Xu, Yu, hidden, shortcut, cube=cube)
    start = time.monotonic()
    lemmas = check_refutation(clauses, members[prefix + "refutation.lrat"], jobs, n_vars=len(names))
    used = sorted({tag for tag in tags if tag in TRUSTED})
    certified = {name: n for name, n in certify(names, clauses, tags, Xu).items() if name in tags}
    return {"variables": len(names), "clauses": len(clauses), "nogoods": len(nogoods),
            "refutation_lemmas": lemmas, "drup_s": round(time.monotonic() - start, 4), "trusted": used,
            "certified": certified}


def _check_cubes(body, members, Xu, Yu, hidden, shortcut, jobs) -> dict:
    """Cubes that are every sign pattern of one set of k hidden targets, each refuted."""
    from itertools import product

    from ftprop.checker.cnf import check_target_name

    cubes = body.get("cubes")
    if not isinstance(cubes, list) or not 1 < len(cubes) <= MAX_CUBES:
        raise _Invalid(f"a split proof needs 2..{MAX_CUBES} cubes")
    patterns = []
    for k, cube in enumerate(cubes):
        literals = (cube or {}).get("literals") if isinstance(cube, dict) else None
        if not isinstance(literals, list) or not literals:
            raise _Invalid(f"cube {k}: no literals")
        pattern = {}
        for lit in literals:
            if not (isinstance(lit, list) and len(lit) == 2 and isinstance(lit[0], str) and lit[1] in (1, -1)
                    and not isinstance(lit[1], bool)):
                raise _Invalid(f"cube {k}: literal {str(lit)[:60]} is not [target name, ±1]")
            check_target_name(lit[0], len(Xu), hidden)
            if lit[0] in pattern:
                raise _Invalid(f"cube {k} fixes {lit[0]} twice")
            pattern[lit[0]] = lit[1]
        patterns.append(pattern)
    variables = sorted(patterns[0])
    signs = {tuple(p.get(v) for v in variables) for p in patterns}
    if any(sorted(p) != variables for p in patterns) or signs != set(product((1, -1), repeat=len(variables))) \
            or len(patterns) != 2 ** len(variables):
        raise _Invalid(f"the cubes are not every sign pattern of {len(variables)} hidden targets once each: "
                       "together they would not cover every assignment")
    stats = {"cubes": len(cubes), "cube_variables": len(variables), "variables": 0, "clauses": 0, "nogoods": 0,
             "refutation_lemmas": 0, "drup_s": 0.0}
    symmetry = (body.get("options") or {}).get("symmetry_breaking")
    families = Families(Xu, Yu, hidden, shortcut, symmetry) if isinstance(symmetry, bool) else None
    for k, (cube, pattern) in enumerate(zip(cubes, patterns)):
        try:
            own = _check_drup(body, members, Xu, Yu, hidden, shortcut, jobs, families=families,
                              part={"prefix": f"cube-{k}/", "nogoods": cube.get("nogoods")},
                              cube={(name, value > 0) for name, value in pattern.items()})
        except _Invalid as exc:
            raise _Invalid(f"cube {k}: {exc}") from None
        for key in ("variables", "clauses", "nogoods", "refutation_lemmas", "drup_s"):
            stats[key] += own[key]
        stats["trusted"] = sorted(set(stats.get("trusted", [])) | set(own["trusted"]))
        stats["certified"] = {name: stats.get("certified", {}).get(name, 0) + n for name, n in own["certified"].items()}
    stats["drup_s"] = round(stats["drup_s"], 4)
    return stats
