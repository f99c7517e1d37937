r"""Proof files: every definite answer of an exact solve, in a form an outside program can check.

A proof file is a ZIP archive (deflated) holding ``certificate.json`` and, for a ``drup``
certificate, ``master.cnf``, ``refutation.lrat`` and ``refutation.drup``. ``certificate.json`` states the claim
(``feasible`` / ``infeasible``), the sha256 fingerprint of the data as merged
(:func:`fingerprint`), the architecture and the options that shape the constraints. Kinds:

* ``weights`` (FEASIBLE): the network, every weight an exact rational ``"p/q"`` (the float the
  engine fitted, at its exact value). A checker runs the forward pass in rationals with
  sign(0) = +1 and compares with every label.
* ``conflict`` (INFEASIBLE): two original examples with one input and two labels.
* ``farkas`` (INFEASIBLE, no hidden layer): output unit k, examples, multipliers lam with
  lam >= 0, sum lam > 0 and sum_i lam_i t_i [x_i, 1] = 0.
* ``drup`` (INFEASIBLE, ``lazy`` backend): the lazy master's final CNF in DIMACS
  (``master.cnf``: ``c v N NAME`` names every variable, ``c o TAG`` sets the origin of the
  clauses that follow; unit clauses come last), one Farkas certificate per no-good in
  ``certificate.json``, and CaDiCaL's refutation of that CNF (the master re-solved with proof
  logging; CP-SAT writes no proofs), trimmed to the lemmas the empty clause needs: with the ids
  of the clauses each lemma's unit propagation uses (``refutation.lrat``, LRAT without RAT
  steps: ``id lits 0 hints 0``; clause k of ``master.cnf`` has id k) and without them
  (``refutation.drup``, plain DRUP for any DRAT checker). CaDiCaL writes the hints itself; see
  :mod:`combinatorial.proof.hints`. A checker trusts none of them: it checks each lemma with
  ``drup`` on its hints alone.

* ``optimal`` (min-errors OPTIMAL with e >= 1 errors, ``lazy``): the network with its exact
  weights and ``errors`` e, and, as in ``drup``, the master's CNF and its refutation. In this
  CNF, keep[i] means "merged example i is fitted". The pair families bind only when their
  examples are kept, and so do the no-goods the lazy search finds; a no-good without keep
  literals (one hidden unit: Benders cuts ranking dichotomies of every example) binds always,
  which holds too, since the targets are the network's outputs on every example. Two examples
  with one input and two labels cannot both be kept (``conflicting-inputs``), and ``at-most-errors`` is Sinz's sequential counter for "at most
  e - 1 errors", counted with the examples' multiplicities. It stands in for the CP-SAT model's
  linear bounds, which it implies. The checker counts the network's errors exactly, requires
  them to equal e, regenerates the counter and checks the refutation. The argument below then
  reads "any network with at most e - 1 errors", with keep given its meaning.

* ``separation`` (INFEASIBLE, no shortcut, inputs in at most two dimensions): ``pairs`` of
  merged rows with different label rows, integer ``weights`` and ``width``. The checker finds,
  in its own code, the most weight M one line separates and requires ceil(sum / M) >= width >
  the first hidden layer's width (the argument is in :mod:`ftprop.checker.separation`). As a
  min-errors optimum (claim ``optimal``, ``errors`` e >= 1, no ``width``): the network with its
  exact weights too, and the pairs show that any first layer of the architecture's width errs on
  examples whose pairs weigh at least sum - width * M; ``more``, further cuts of that kind (each
  ``pairs`` and ``weights``); and no set of fewer than e errors meets every cut.

* ``lines`` (min-errors OPTIMAL with e >= 1 errors, one hidden unit; at most two inputs, or a
  bound the label rows alone prove): the network with its exact weights and ``errors`` e,
  nothing else. The checker counts the network's errors, then each pair of label rows' errors
  on the other rows, and where those are fewer than e enumerates, itself, every dichotomy a line
  through two examples induces (the argument is in :mod:`ftprop.checker.lines`).

Why UNSAT of the tagged CNF proves that no network exists (what a checker must establish):

1. Take any network N with real weights that fits the merged data. Shift each unit's bias by a
   tiny epsilon > 0 so that no pre-activation is exactly 0 on the finitely many examples: every
   output stays the same (z >= 0 becomes z > 0, z < 0 stays negative). Negating a hidden unit
   (its incoming weights and bias, and the matching outgoing weights of the layer above) now
   flips its outputs exactly and keeps the function; permuting a layer's units keeps it too.
2. Layer by layer, from the input side: negate units that are -1 on merged example 0 (or, on
   the last hidden layer when the output is monotone, units whose weight into the single output
   unit is negative), then sort the columns of targets lexicographically non-increasing. Each
   step only changes weights of the layer and the one above, never another layer's outputs.
3. The transformed network N' is a real network fitting the data. Its actual hidden outputs,
   with the auxiliary variables given their intended meaning (``diff``: the two codes differ in
   unit j; ``above``: unit j is +1 on the positive and -1 on the negative example; ``s``: the
   sign of w_jk; ``lex``: the two columns agree before example i), satisfy every clause of every
   family: distinct codes and monotone output (the rest of N' is a function of the code,
   monotone non-decreasing when the outgoing weights are >= 0), unateness and equal inputs (a
   first-layer unit is sign(w . x + b)), and symmetry breaking (step 2).
4. Every no-good clause says "not (unit j of layer l has these targets on S and its inputs on S
   have these values)". The Farkas identity sum lam_i t_i [u_i, 1] = 0 rules this out for every
   real (w, b) under the sign rule, for t and for -t alike, and for every unit of the layer (they
   share their inputs). So N' satisfies every no-good too, whatever the symmetry breaking did:
   a no-good is valid for *every* real network, not only for the canonical one.

So N' gives a satisfying assignment of the whole CNF; a refutation of the CNF rules out every N.
Symmetry breaking is valid only as a family (it picks one representative per class), which is
why a checker regenerates each family from the data and architecture and requires every tagged
clause to belong to its family, and why the families depend on the options recorded here.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from fractions import Fraction

import numpy as np

from ..files import write_bytes
from ..certificates import Conflict, Farkas, ProofFile, Separation
from ..clauses import CUBE, Lines, PairErrors, Refutation
from ..errors import ProofError
from .hints import HintError, cadical_lrat, lrat, renumber, trim

FORMAT = "ftprop-proof"
VERSION = 1
NO_CERTIFICATE = "solver's word, no certificate"


def fingerprint(Xu, Yu) -> str:
    """sha256 of the merged data's canonical bytes: a header line ``ftprop-merged-v1 m d k``,
    then the merged inputs as little-endian float64 (row-major, -0.0 written as 0.0), then the
    ±1 targets as int8."""
    Xu = np.ascontiguousarray(np.asarray(Xu, dtype="<f8") + 0.0)
    Yu = np.ascontiguousarray(np.asarray(Yu, dtype="i1"))
    h = hashlib.sha256(f"ftprop-merged-v1 {Xu.shape[0]} {Xu.shape[1]} {Yu.shape[1]}\n".encode())
    h.update(Xu.tobytes())
    h.update(Yu.tobytes())
    return h.hexdigest()


def _header(problem, options, kind: str, claim: str) -> dict:
    from ..solution import versions

    monotone = bool(options.symmetry_breaking and problem.n_outputs == 1 and not problem.shortcut)
    return {
        "format": FORMAT, "version": VERSION, "kind": kind, "claim": claim,
        "data": {"sha256": fingerprint(problem.Xu, problem.Yu), "examples": problem.n_examples,
                 "merged_examples": problem.n_merged, "inputs": problem.n_inputs, "outputs": problem.n_outputs},
        "architecture": {"hidden": list(problem.hidden), "shortcut": bool(problem.shortcut), "sizes": problem.sizes},
        "options": {"objective": options.objective, "backend": options.backend,
                    "symmetry_breaking": bool(options.symmetry_breaking), "monotone_output": monotone},
        "generated_by": versions((*_engine_distributions(), "python-sat")),
    }


def _engine_distributions():
    from ..solution import ENGINE_DISTRIBUTIONS

    return ENGINE_DISTRIBUTIONS


def write(path, problem, solution, options) -> dict:
    """Write the proof of ``solution`` to ``path`` (atomically); returns what the answer's
    :class:`ProofFile` says: kind, file, checked (False: nobody has checked it yet), sizes, times.
    Raises :class:`ProofError` when the answer has no certificate (the message says why)."""
    from ..solution import Status

    start = time.monotonic()
    cert = solution.certificate
    perfect = solution.layers is not None and solution.train_errors == 0
    if options.objective not in ("feasibility", "min-errors") and not perfect:
        raise ProofError(f"objective {options.objective}: optimality is not certified")
    if solution.status in (Status.FEASIBLE, Status.OPTIMAL) and perfect:
        body, members = _weights(problem, options, solution.layers), {}
    elif solution.status == Status.OPTIMAL and options.objective == "min-errors":
        body, members = _optimal(problem, options, solution)
    elif solution.status == Status.INFEASIBLE and isinstance(cert, Conflict):
        body, members = _header(problem, options, "conflict", "infeasible"), {}
        body["examples"] = list(cert.examples)
    elif solution.status == Status.INFEASIBLE and isinstance(cert, Farkas):
        body, members = _header(problem, options, "farkas", "infeasible"), {}
        plain = cert.to_dict()
        body.update({k: plain[k] for k in ("unit", "examples", "multipliers")})
    elif solution.status == Status.INFEASIBLE and isinstance(cert, Separation):
        body, members = _header(problem, options, "separation", "infeasible"), {}
        body.update(width=cert.width, pairs=[list(p) for p in cert.pairs], weights=list(cert.weights))
    elif solution.status == Status.INFEASIBLE and isinstance(solution.refutation, Refutation):
        body, members = _drup(problem, options, solution.refutation)
    elif solution.status == Status.INFEASIBLE and isinstance(solution.refutation, str):
        raise ProofError(solution.refutation)
    elif solution.status == Status.INFEASIBLE:
        raise ProofError(f"backend {solution.backend} does not log its refutation")
    else:
        raise ProofError(f"status {solution.status.value}: nothing is claimed, so nothing is certified")
    body["times"] = {**body.get("times", {}), "write_s": round(time.monotonic() - start, 4)}
    data = _archive(body, members)
    write_bytes(path, data)
    body["times"]["write_s"] = round(time.monotonic() - start, 4)
    return ProofFile(body["kind"], str(path), sizes={"bytes": len(data), "write_s": body["times"]["write_s"],
                                                     **body.get("sizes", {})})


def _weights(problem, options, layers) -> dict:
    body = _header(problem, options, "weights", "feasible")
    body["layers"] = [
        {"W": [[_exact(v) for v in row] for row in L.W], "b": [_exact(v) for v in L.b]}
        for L in layers
    ]
    return body


def _optimal(problem, options, solution) -> tuple[dict, dict]:
    """A min-errors optimum: its network (exact weights, e errors) and the refutation of the
    master with "at most e - 1 errors" (``Refutation.errors`` = e)."""
    ref = solution.refutation
    if isinstance(ref, str):
        raise ProofError(ref)
    if isinstance(ref, (Lines, PairErrors)):  # a bound the checker redoes: an enumeration, or the pairs' load
        if solution.layers is None or ref.errors != solution.train_errors:
            raise ProofError("the network's errors differ from the bound")
        body = _header(problem, options, ref.kind, "optimal")
        body.update(errors=int(ref.errors), layers=_weights(problem, options, solution.layers)["layers"])
        if isinstance(ref, PairErrors):
            body.update(pairs=[list(p) for p in ref.pairs], weights=list(ref.weights))
            if ref.more:
                body.update(more=[{"pairs": [list(p) for p in pairs], "weights": list(weights)} for pairs, weights in ref.more])
        return body, {}
    if not isinstance(ref, Refutation) or ref.errors is None:
        raise ProofError(f"the optimum was not proved by a logged master ({solution.stats.get('optimal_by') or solution.backend})")
    if solution.layers is None or ref.errors != solution.train_errors:
        raise ProofError("the network's errors differ from the refuted bound")
    body, members = _drup(problem, options, ref)
    body.update(kind="optimal", claim="optimal", errors=int(ref.errors),
                layers=_weights(problem, options, solution.layers)["layers"])
    return body, members


def _exact(v) -> str:
    return str(Fraction(float(v)))


def _drup(problem, options, refutation: Refutation) -> tuple[dict, dict]:
    """The master's CNF with origins, its no-goods' Farkas certificates and CaDiCaL's refutation."""
    cnf = refutation.cnf
    names, clauses, tags = list(cnf.names), [list(c) for c in cnf.clauses], list(cnf.tags)
    # units last: CaDiCaL assigns a unit as it is added and then rewrites later clauses that
    # hold its negation under new ids; with units last, clause k keeps id k in its LRAT
    order = sorted(range(len(clauses)), key=lambda k: len(clauses[k]) == 1)
    clauses, tags = [clauses[k] for k in order], [tags[k] for k in order]
    body = _header(problem, options, "drup", "infeasible")
    if body["options"]["monotone_output"] != refutation.monotone:
        raise ProofError("the master's monotone-output setting differs from the proof's")
    if refutation.rows is not None:  # refuted on a subset: its rows (merged, first-occurrence order)
        body["subset"] = [int(r) for r in refutation.rows]
        problem = problem.restricted(refutation.rows)
    cube = [(names[abs(c[0]) - 1], 1 if c[0] > 0 else -1) for c, tag in zip(clauses, tags) if tag == CUBE]
    if cube:  # one cube of a split refutation (combinatorial.cubes): it proves nothing alone
        body["cube"] = [[name, value] for name, value in cube]
    body["nogoods"] = []
    for record in refutation.nogoods:
        body["nogoods"].append({"layer": int(record["layer"]), "unit": int(record["unit"]),
                                "examples": [int(i) for i in record["examples"]],
                                "targets": _nogood_targets(problem, record),
                                "multipliers": [str(Fraction(v)) for v in record["multipliers"]]})
    start = time.monotonic()
    hinted, kept, drup_lemmas, solver = refute(clauses)
    cnf = dimacs(names, clauses, tags)
    body["refutation"] = {"solver": solver, "refute_s": round(time.monotonic() - start, 4),
                          "cpsat_master_s": refutation.search_s}
    body["sizes"] = {"variables": len(names), "clauses": len(clauses), "nogoods": len(body["nogoods"]),
                     "solver_lemmas": drup_lemmas, "lrat_lemmas": kept}
    return body, {"master.cnf": cnf, "refutation.lrat": "\n".join(hinted) + "\n",
                  "refutation.drup": _without_hints(hinted)}


def _without_hints(hinted: list[str]) -> str:
    """The same refutation as plain DRUP (lemmas only), for DRAT checkers that find their own."""
    out = []
    for line in hinted:
        values = line.split()
        out.append(" ".join(values[1:values.index("0", 1)] + ["0"]))
    return "\n".join(out) + "\n"


def _nogood_targets(problem, record) -> list[int] | None:
    """The failing unit's targets on the no-good's examples, for a reader (the labels on the
    output layer; a hidden unit's from its first clause, which may be any unit or the negation:
    every clause states its own values and a checker reads them from there)."""
    layer, examples = int(record["layer"]), [int(i) for i in record["examples"]]
    if layer == len(problem.hidden) + 1:
        return [int(problem.Yu[i, int(record["unit"])]) for i in examples]
    own = {}
    for name, value in (record["clauses"] or [[]])[0]:
        if name.startswith(f"t[{layer}]"):
            own[int(name.rsplit("[", 1)[1].rstrip("]"))] = int(value)
    return [own[i] for i in examples] if set(own) == set(examples) else None


def refute(clauses) -> tuple[list[str], int, int, str]:
    """CaDiCaL's refutation, trimmed, with hints: (LRAT lines, lemmas kept, lemmas CaDiCaL
    wrote, solver). CaDiCaL writes the hints itself where python-sat lets it trace LRAT;
    otherwise its DRUP refutation is replayed for them (:mod:`combinatorial.proof.hints`)."""
    try:
        lines = cadical_lrat(clauses)
        solver = "CaDiCaL 1.9.5 (python-sat), LRAT"
        if lines is None:
            raise ProofError("CaDiCaL finds the master's CNF satisfiable: the proof would not match the master")
        written = sum(1 for line in lines if len(line.split()) > 1 and line.split()[1] != "d")
        hinted, kept = trim(renumber(lines, len(clauses)))
    except HintError:
        drup_lines = _cadical_drup(clauses)
        solver = "CaDiCaL 1.9.5 (python-sat), DRUP replayed for hints"
        written = sum(1 for line in drup_lines if not line.startswith("d"))
        try:
            hinted, kept = lrat(clauses, drup_lines)
        except HintError as exc:
            raise ProofError(f"CaDiCaL's refutation does not replay: {exc}") from None
    return hinted, kept, written, solver


def _cadical_drup(clauses) -> list[str]:
    from pysat.solvers import Cadical195

    with Cadical195(bootstrap_with=clauses, with_proof=True) as solver:
        if solver.solve():
            raise ProofError("CaDiCaL finds the master's CNF satisfiable: the proof would not match the master")
        return list(solver.get_proof())


def dimacs(names: list[str], clauses: list[list[int]], tags: list[str]) -> str:
    out = [f"c ftprop master CNF: {len(names)} variables, {len(clauses)} clauses",
           f"p cnf {len(names)} {len(clauses)}"]
    out += [f"c v {i} {name}" for i, name in enumerate(names, 1)]
    last = None
    for clause, tag in zip(clauses, tags):
        if tag != last:
            out.append(f"c o {tag}")
            last = tag
        out.append(" ".join(map(str, clause)) + " 0")
    return "\n".join(out) + "\n"


def _archive(body: dict, members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("certificate.json", json.dumps(body, indent=1))
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


def write_cubes(path, parts) -> ProofFile:
    """One proof file from the cube proofs ``parts`` (paths, cube k at index k; each a ``drup``
    file with its cube's unit clauses): kind ``cubes``, the shared header once, per cube its
    literals, no-goods and refutation, and its members under ``cube-K/``."""
    start = time.monotonic()
    body, members, cubes = None, {}, []
    for k, part in enumerate(parts):
        with zipfile.ZipFile(part) as z:
            own = json.loads(z.read("certificate.json"))
            for name in ("master.cnf", "refutation.lrat", "refutation.drup"):
                members[f"cube-{k}/{name}"] = z.read(name).decode()
        if own.get("kind") != "drup" or "cube" not in own:
            raise ProofError(f"cube {k}: not a refutation of one cube")
        entry = {key: own.pop(key) for key in ("cube", "nogoods", "refutation", "sizes")}
        own.pop("times", None)
        cubes.append({"literals": entry.pop("cube"), **entry})
        if body is None:
            body = dict(own, kind="cubes")
        elif own != {**body, "kind": "drup"}:
            raise ProofError(f"cube {k} is about other data, architecture or options than cube 0")
    body["cubes"] = cubes
    body["sizes"] = {"cubes": len(cubes), "clauses": sum(c["sizes"]["clauses"] for c in cubes),
                     "lrat_lemmas": sum(c["sizes"]["lrat_lemmas"] for c in cubes)}
    body["times"] = {"write_s": round(time.monotonic() - start, 4)}
    data = _archive(body, members)
    write_bytes(path, data)
    return ProofFile("cubes", str(path), sizes={"bytes": len(data), "write_s": body["times"]["write_s"], **body["sizes"]})

