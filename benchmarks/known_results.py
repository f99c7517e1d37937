"""What the literature knows beside what the engine proves: every answer of ours with its proof.

Rows (each with the published value and its source, our answer, time, proof size, check time
and the checker's verdict):

* minimum hidden units for n-bit parity, one hidden layer, no shortcut (n = 2..5; ``--with-6``
  adds n = 6, whose width-5 refutation takes minutes): width w fitted, width w - 1 refuted
* the same with input-to-output shortcut links (n = 2..5; floor(n / 2) suffice, published)
* the number of threshold functions of n variables (OEIS A000609), n = 0..4 (``--with-5``: n = 5),
  counted with the engine's own single-unit check: the separable dichotomies of {-1, 1}^n,
  grown point by point (a dichotomy of the first k points extends only a separable one)
* the 65,536 functions of 4 variables in their 222 NPN classes (negated inputs, permuted inputs,
  negated output; OEIS A000370), each class solved once for its minimum plain and shortcut width
  (width 0: one threshold unit), both sides written as proofs and checked: the largest minima

Every refutation and every network is written with ``--proof`` and checked by ``ftprop check``'s
checker (``ftprop.checker.check``); the checker trusts the written arguments for the valid
constraint families (docs/proofs.md) and checks everything else exactly.

    python benchmarks/known_results.py [--with-5] [--with-6]

writes benchmarks/results/known_results.jsonl (one row per question, seed, versions, wall time)
and known_results.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from ftprop.io import append_jsonl, atomic_write_text, read_jsonl, versions  # noqa: E402

NAME = "known_results"
A000609 = (2, 4, 14, 104, 1882, 94572)  # threshold functions of n = 0..5 variables (OEIS)
PARITY_SOURCE = "Minimal Feedforward Parity Networks Using Threshold Gates, Neural Comput. 13(2) 2001; n = 5: edge slicing of the 5-cube"


def cube(n: int) -> np.ndarray:
    i = np.arange(2**n)
    return np.where((i[:, None] >> np.arange(n)) & 1, 1.0, -1.0)


def parity_min_width(n: int, shortcut: bool, folder: str) -> dict:
    """The engine's minimum width for n-bit parity, with the checked proof for width - 1."""
    from combinatorial import SolveOptions, min_width
    from ftprop.checker import check

    X = cube(n)
    y = (np.sum(X > 0, axis=1) % 2).astype(int)
    start = time.monotonic()
    search = min_width(X, y, max_width=n + 1, shortcut=shortcut, options=SolveOptions(seed=0, workers=0),
                       proof=lambda w: os.path.join(folder, f"parity{n}{'s' if shortcut else ''}.w{w}.proof"))
    solve_s = time.monotonic() - start
    verdicts, sizes, check_s = [], 0, 0.0
    for sol in (search.below, search.found):  # the refutation below and the network at the minimum
        pf = None if sol is None else sol.proof_file
        if pf is not None and pf.file:
            v = check(pf.file, X, y)
            verdicts.append(v.line())
            sizes += pf.sizes.get("bytes", 0)
            check_s += v.stats.get("check_s", 0.0)
    width = None if search.found is None else search.found.architecture[1]
    return {"answer": width, "below_refuted": search.below is not None, "solve_s": round(solve_s, 3),
            "proof_bytes": sizes, "check_s": round(check_s, 3),
            "verdict": "VALID" if verdicts and all(v == "VALID" for v in verdicts) else "; ".join(verdicts) or "none"}


def threshold_functions(n: int) -> dict:
    """Separable dichotomies of {-1, 1}^n, grown point by point as the enumerate backend grows
    them (its ``row_dichotomies``: a labelling of k + 1 points extends a separable one of k, the
    parent's exactly checked weights settle one of the two extensions, the engine's single-unit
    check the other; +1 on the first point, then every labelling negated)."""
    from combinatorial.backends.enumerate import _Search
    from combinatorial.options import SolveOptions
    from combinatorial.problem import Problem

    start = time.monotonic()
    if n == 0:
        return {"answer": 2, "solve_s": 0.0, "lp_checks": 0}
    X = cube(n)
    search = _Search(Problem.from_data(X, np.arange(len(X)) % 2, (1,)), SolveOptions(), None)
    found = search.row_dichotomies(X)
    undecided = {"undecided": search.undecided} if search.undecided else {}
    return {"answer": len(found), "solve_s": round(time.monotonic() - start, 3), "lp_checks": search.lp_checks,
            **undecided}


def npn_classes(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(representatives, sizes): every Boolean function of n variables up to negating inputs,
    permuting inputs and negating the output; a function is its truth table on ``cube(n)`` read
    as an integer (bit i: f(point i) = 1), and a class's representative its smallest table."""
    from itertools import permutations

    X = cube(n)
    points = 2**n
    tables = ((np.arange(2**points)[:, None] >> np.arange(points)) & 1).astype(bool)
    weights = (1 << np.arange(points)).astype(np.int64)
    best = np.full(len(tables), np.iinfo(np.int64).max)
    index = {tuple(p): i for i, p in enumerate(X.tolist())}
    for perm in permutations(range(n)):
        for mask in range(2**n):
            signs = np.where((mask >> np.arange(n)) & 1, -1.0, 1.0)
            image = [index[tuple((X[i, list(perm)] * signs).tolist())] for i in range(points)]
            moved = tables[:, image] @ weights
            best = np.minimum(best, np.minimum(moved, (2**points - 1) - moved))
    reps, sizes = np.unique(best, return_counts=True)
    return reps, sizes


def _min_width(X, y, shortcut: bool, folder: str, tag: str, max_width: int) -> dict:
    """Widths 0 (one unit: Farkas or weights), 1, 2, ... until a fit; the refutation below it and
    the fit, both written as proof files and checked."""
    from combinatorial import solve
    from ftprop.checker import check

    below = None
    for w in range(0, max_width + 1):
        path = os.path.join(folder, f"{tag}.w{w}.proof")
        sol = solve(X, y, hidden=(w,) if w else (), shortcut=shortcut and w > 0, seed=0, workers=1, proof=path)
        if sol.status.value == "feasible":
            files = [p.file for p in (below, sol.proof_file) if p is not None and p.file]
            verdicts = [check(f, X, y) for f in files]
            ok = all(v.valid for v in verdicts) and (w == 0 or below is not None)
            return {"width": w, "valid": ok, "proof_bytes": sum(os.path.getsize(f) for f in files),
                    "check_s": sum(v.stats.get("check_s", 0.0) for v in verdicts)}
        below = sol.proof_file if sol.status.value == "infeasible" else None
    return {"width": None, "valid": False, "proof_bytes": 0, "check_s": 0.0}


def four_variable_functions(folder: str, max_width: int = 6) -> list[dict]:
    """The 222 NPN classes of 4-variable functions, each solved once for its minimum plain and
    shortcut width (with checked proofs both sides): the class counts and the largest minima."""
    start = time.monotonic()
    reps, sizes = npn_classes(4)
    X = cube(4)
    classes, by_plain, by_short = [], {}, {}
    for rep, size in zip(reps.tolist(), sizes.tolist()):
        y = ((rep >> np.arange(16)) & 1).astype(int)
        if y.min() == y.max():  # a constant: no unit at all
            plain = short = {"width": 0, "valid": True, "proof_bytes": 0, "check_s": 0.0}
        else:
            plain = _min_width(X, y, False, folder, f"npn{rep}", max_width)
            short = _min_width(X, y, True, folder, f"npn{rep}s", max_width)
        classes.append({"table": rep, "functions": size, "plain": plain["width"], "shortcut": short["width"]})
        for into, got in ((by_plain, plain), (by_short, short)):
            cell = into.setdefault(got["width"], {"classes": 0, "functions": 0})
            cell["classes"] += 1
            cell["functions"] += size
        for key in ("proof_bytes", "check_s"):
            classes[-1][key] = plain[key] + short[key]
        classes[-1]["valid"] = plain["valid"] and short["valid"]
    elapsed = round(time.monotonic() - start, 3)
    valid = all(c["valid"] for c in classes)
    verdict = f"VALID ({2 * len(classes)} minima, both sides checked)" if valid else "INVALID or unsettled"
    common = {"solve_s": elapsed, "proof_bytes": sum(c["proof_bytes"] for c in classes),
              "check_s": round(sum(c["check_s"] for c in classes), 3), "verdict": verdict}
    plain_max = max(c["plain"] for c in classes if c["plain"] is not None)
    short_max = max(c["shortcut"] for c in classes if c["shortcut"] is not None)
    hardest = [c["table"] for c in classes if c["plain"] == plain_max]
    return [
        {"question": "4-variable functions: NPN classes", "known": 222, "source": "OEIS A000370",
         "answer": len(classes), "functions": int(sizes.sum()), "solve_s": elapsed, "verdict": "exact enumeration"},
        {"question": "4-variable functions: largest minimum width, plain", "known": "unpublished (4 or 5?)",
         "source": "", "answer": plain_max, "hardest_classes": hardest,
         "by_width": {str(k): v for k, v in sorted(by_plain.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))},
         **common},
        {"question": "4-variable functions: largest minimum width, shortcut", "known": "<= 2",
         "source": "Haring & Ohori 1967, as read", "answer": short_max,
         "by_width": {str(k): v for k, v in sorted(by_short.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))},
         "classes": classes, **common},
    ]


def rows(with_5: bool, with_6: bool, shortcut_up_to: int = 5, npn: bool = True) -> list[dict]:
    folder = tempfile.mkdtemp(prefix="ftprop-known-")
    base = {"benchmark": NAME, "seed": 0, "cores": os.cpu_count(), "versions": versions()}
    out = []
    for n in range(2, 7 if with_6 else 6):
        out.append({**base, "question": f"parity-{n}, plain", "known": n if n <= 5 else "5 <= H <= 6",
                    "source": PARITY_SOURCE, **parity_min_width(n, False, folder)})
    for n in range(2, shortcut_up_to + 1):
        out.append({**base, "question": f"parity-{n}, shortcut", "known": f"<= {n // 2}",
                    "source": "Liu, Hohil & Smith, Neurocomputing 48 (2002)" + ("; no lower bound published" if n >= 6 else ""),
                    **parity_min_width(n, True, folder)})
    for n in range(0, 6 if with_5 else 5):
        out.append({**base, "question": f"threshold functions, n = {n}", "known": A000609[n], "source": "OEIS A000609",
                    **threshold_functions(n), "verdict": "exact single-unit checks"})
    if npn:
        out += [{**base, **r} for r in four_variable_functions(folder)]
    return out


def report(rows_: list[dict]) -> str:
    latest = {r["question"]: r for r in rows_}
    lines = ["# Known results beside the engine's answers", "",
             "| question | known | source | ours | time s | proof KiB | check s | verdict |", "|---|---|---|---|---|---|---|---|"]
    for q, r in latest.items():
        kib = "-" if not r.get("proof_bytes") else f"{r['proof_bytes'] / 1024:.1f}"
        lines.append(f"| {q} | {r['known']} | {r['source']} | {r['answer']} | {r['solve_s']:.2f} | {kib} | "
                     f"{r.get('check_s', '-')} | {r['verdict']} |")
    plain = latest.get("4-variable functions: largest minimum width, plain")
    short = latest.get("4-variable functions: largest minimum width, shortcut")
    if plain and short:
        widths = sorted({int(k) for k in (*plain["by_width"], *short["by_width"]) if k != "None"})
        lines += ["", "Minimum hidden width of the 4-variable functions (one hidden layer; width 0: a single "
                  "threshold unit), NPN classes / functions:", "",
                  "| width | " + " | ".join(map(str, widths)) + " |", "|---|" + "---|" * len(widths)]
        for name, r in (("plain", plain), ("shortcut", short)):
            cells = [f"{r['by_width'][str(w)]['classes']} / {r['by_width'][str(w)]['functions']}"
                     if str(w) in r["by_width"] else "-" for w in widths]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append(f"\nThe classes of the largest plain minimum ({plain['answer']}), as truth tables on "
                     f"`cube(4)` (bit i = f(point i)): {', '.join(map(str, plain['hardest_classes']))}.")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-5", action="store_true", help="also count the threshold functions of 5 variables")
    ap.add_argument("--with-6", action="store_true", help="also settle plain parity-6 (minutes)")
    ap.add_argument("--shortcut-up-to", type=int, default=5, metavar="N",
                    help="shortcut parity rows up to N bits (default 5; 6 to 8 take minutes to hours)")
    ap.add_argument("--no-npn", action="store_true", help="skip the 222 NPN classes of 4-variable functions")
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    args = ap.parse_args(argv)
    jsonl, md = args.out / f"{NAME}.jsonl", args.out / f"{NAME}.md"
    start = time.monotonic()
    new = rows(args.with_5, args.with_6, args.shortcut_up_to, not args.no_npn)
    for r in new:
        r["wall_s"] = round(time.monotonic() - start, 3)
    append_jsonl(jsonl, new)
    atomic_write_text(md, report(read_jsonl(jsonl)))
    print(report(new), end="")
    print(f"wrote {md}")


if __name__ == "__main__":
    main()
