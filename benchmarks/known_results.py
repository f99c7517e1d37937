"""What the literature knows beside what the engine proves: every answer of ours with its proof.

Rows (each with the published value and its source, our answer, time, proof size, check time
and the checker's verdict):

* minimum hidden units for n-bit parity, one hidden layer, no shortcut (n = 2..5; ``--with-6``
  adds n = 6, whose width-5 refutation takes minutes): width w fitted, width w - 1 refuted
* the same with input-to-output shortcut links (n = 2..5; floor(n / 2) suffice, published)
* the number of threshold functions of n variables (OEIS A000609), n = 0..4 (``--with-5``: n = 5),
  counted with the engine's own single-unit check: the separable dichotomies of {-1, 1}^n,
  grown point by point (a dichotomy of the first k points extends only a separable one)

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
    """Separable dichotomies of {-1, 1}^n, grown point by point with the exact single-unit check."""
    from combinatorial.separability import check_separable

    X = cube(n)
    start = time.monotonic()
    if n == 0:
        return {"answer": 2, "solve_s": 0.0, "lp_checks": 0}
    patterns, checks = [(-1,), (1,)], 0
    for k in range(1, len(X)):
        grown = []
        for p in patterns:
            for s in (-1, 1):
                q = p + (s,)
                checks += 1
                if check_separable(X[: k + 1], np.array(q)).separable:
                    grown.append(q)
        patterns = grown
    return {"answer": len(patterns), "solve_s": round(time.monotonic() - start, 3), "lp_checks": checks}


def rows(with_5: bool, with_6: bool) -> list[dict]:
    folder = tempfile.mkdtemp(prefix="ftprop-known-")
    base = {"benchmark": NAME, "seed": 0, "cores": os.cpu_count(), "versions": versions()}
    out = []
    for n in range(2, 7 if with_6 else 6):
        out.append({**base, "question": f"parity-{n}, plain", "known": n if n <= 5 else "5 <= H <= 6",
                    "source": PARITY_SOURCE, **parity_min_width(n, False, folder)})
    for n in range(2, 6):
        out.append({**base, "question": f"parity-{n}, shortcut", "known": f"<= {n // 2}",
                    "source": "Liu, Hohil & Smith, Neurocomputing 48 (2002)", **parity_min_width(n, True, folder)})
    for n in range(0, 6 if with_5 else 5):
        out.append({**base, "question": f"threshold functions, n = {n}", "known": A000609[n], "source": "OEIS A000609",
                    **threshold_functions(n), "verdict": "exact single-unit checks"})
    return out


def report(rows_: list[dict]) -> str:
    latest = {r["question"]: r for r in rows_}
    lines = ["# Known results beside the engine's answers", "",
             "| question | known | source | ours | time s | proof KiB | check s | verdict |", "|---|---|---|---|---|---|---|---|"]
    for q, r in latest.items():
        kib = "-" if not r.get("proof_bytes") else f"{r['proof_bytes'] / 1024:.1f}"
        lines.append(f"| {q} | {r['known']} | {r['source']} | {r['answer']} | {r['solve_s']:.2f} | {kib} | "
                     f"{r.get('check_s', '-')} | {r['verdict']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-5", action="store_true", help="also count the threshold functions of 5 variables")
    ap.add_argument("--with-6", action="store_true", help="also settle plain parity-6 (minutes)")
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    args = ap.parse_args(argv)
    jsonl, md = args.out / f"{NAME}.jsonl", args.out / f"{NAME}.md"
    start = time.monotonic()
    new = rows(args.with_5, args.with_6)
    for r in new:
        r["wall_s"] = round(time.monotonic() - start, 3)
    append_jsonl(jsonl, new)
    atomic_write_text(md, report(read_jsonl(jsonl)))
    print(report(new), end="")
    print(f"wrote {md}")


if __name__ == "__main__":
    main()
