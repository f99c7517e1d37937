"""K(n): the largest integer weight any threshold function of n ±1 inputs needs, computed here.

Constraint form (the one the ``cpsat`` backend uses): a unit with integer weights w, |w_k| <= K,
and an integer bias b (unbounded) outputs +1 iff z = w . h + b >= 0 and -1 iff z <= -1. With
integer z these two cases cover every z, so the form reproduces the engine's tie rule exactly
and costs no margin (a z >= 1 / z <= -1 form would need roughly twice the weights).

K(n) is the least K such that every linearly separable dichotomy of {-1, 1}^n is realised with
|w| <= K. The proof has two halves, both by enumeration:

1. *Realised*: every weight vector in [-K, K]^n and every useful threshold; count the distinct
   truth tables. The count stops growing at K(n).
2. *Complete*: every truth table not realised is shown not separable.
   n <= 4: all 2^(2^n) truth tables are candidates.
   n = 5: a threshold function's two restrictions to x_5 = -1 / +1 are threshold functions of 4
   inputs (same weights) and are comparable pointwise (the sign of w_5 decides which is
   larger); so only comparable pairs of 4-input threshold functions (from step 2 for n = 4) are
   candidates. Each unrealised candidate is refuted by 2-asummability (two true points and two
   false points with the same sum: no hyperplane separates them) or, failing that, by an LP.

    python benchmarks/weight_bounds.py [--max-n 5]

writes benchmarks/results/weight_bounds.jsonl and weight_bounds.md.
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def cube(n: int) -> np.ndarray:
    """The 2^n points of {-1, 1}^n; bit k of the point's index is input k (1 = +1)."""
    i = np.arange(2**n)
    return np.where((i[:, None] >> np.arange(n)) & 1, 1, -1)


def realised(n: int, K: int) -> np.ndarray:
    """Sorted truth tables (bit i = output on point i) realised with integer |w| <= K."""
    P = cube(n)
    bits = np.uint64(1) << np.arange(2**n, dtype=np.uint64)
    W = np.array(list(itertools.product(range(-K, K + 1), repeat=n)))
    out = [np.array([0], dtype=np.uint64)]  # constant -1 (bias below every sum)
    for c in range(0, len(W), 20000):
        S = W[c : c + 20000] @ P.T
        # Threshold at each attained sum s_j: output +1 iff s >= s_j, i.e. b = -s_j.
        M = S[:, None, :] >= S[:, :, None]
        out.append(np.unique((M.astype(np.uint64) * bits).sum(axis=2)))
    return np.unique(np.concatenate(out))


def table_bits(codes: np.ndarray, n: int) -> np.ndarray:
    return ((codes[:, None] >> np.arange(2**n, dtype=np.uint64)) & np.uint64(1)).astype(bool)


def not_2_asummable(F: np.ndarray, n: int) -> np.ndarray:
    """Rows of F (truth tables) with true points a, b and false points c, d, a + b = c + d."""
    P = cube(n)
    A, B = np.triu_indices(2**n)
    key = np.ravel_multi_index(((P[A] + P[B]) // 2 + 1).T, (3,) * n)
    order = np.argsort(key, kind="stable")
    A, B, key = A[order], B[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    bad = np.zeros(len(F), dtype=bool)
    for c in range(0, len(F), 4096):
        G = F[c : c + 4096]
        tt = np.maximum.reduceat(G[:, A] & G[:, B], starts, axis=1)
        ff = np.maximum.reduceat(~G[:, A] & ~G[:, B], starts, axis=1)
        bad[c : c + 4096] = np.any(tt & ff, axis=1)
    return bad


def separable(n: int, row: np.ndarray) -> bool:
    from scipy.optimize import linprog

    P = cube(n).astype(float)
    t = np.where(row, 1.0, -1.0)
    A = -(t[:, None] * np.c_[P, np.ones(len(P))])
    res = linprog(np.zeros(n + 1), A_ub=A, b_ub=-np.ones(len(P)), bounds=(None, None), method="highs")
    if res.status not in (0, 2):
        raise RuntimeError(res.message)
    return res.status == 0


def candidates(n: int, threshold_below: np.ndarray | None) -> np.ndarray:
    if n <= 4:
        return np.arange(2 ** (2**n), dtype=np.uint64)
    half = 2 ** (n - 1)
    lo = threshold_below[:, None]
    hi = threshold_below[None, :]
    comparable = ((lo & hi) == lo) | ((lo & hi) == hi)
    i, j = np.nonzero(comparable)
    return np.unique(threshold_below[i] | (threshold_below[j] << np.uint64(half)))


def weight_bound(n: int, threshold_below: np.ndarray | None, k_max: int = 8) -> dict:
    start = time.monotonic()
    counts, prev = [], None
    for K in range(1, k_max + 1):
        R = realised(n, K)
        counts.append(len(R))
        if prev is not None and len(R) == prev:
            break
        prev = len(R)
    K = len(counts) - 1 if len(counts) > 1 and counts[-1] == counts[-2] else len(counts)
    R = realised(n, K)
    C = candidates(n, threshold_below)
    rest = C[~np.isin(C, R)]
    bad = not_2_asummable(table_bits(rest, n), n)
    lp_rows = table_bits(rest[~bad], n)
    lp_separable = [r for r in lp_rows if separable(n, r)]
    if lp_separable:
        raise AssertionError(f"n={n}: {len(lp_separable)} separable tables need |w| > {K}")
    return {
        "n": n, "K": K, "threshold_functions": len(R), "realised_by_K": dict(enumerate(counts, 1)),
        "candidates": len(C), "refuted_by_2_asummability": int(bad.sum()),
        "refuted_by_lp": len(lp_rows), "seconds": round(time.monotonic() - start, 2),
        "tables": R,
    }


def main(argv=None) -> None:
    from ftprop.io import append_jsonl, atomic_write_text, versions

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-n", type=int, default=5, choices=range(1, 6))
    args = ap.parse_args(argv)
    rows, prev = [], None
    for n in range(1, args.max_n + 1):
        r = weight_bound(n, prev)
        prev = r.pop("tables")
        r["versions"] = versions()
        rows.append(r)
        print(f"n={n}: K={r['K']} ({r['threshold_functions']} threshold functions, "
              f"{r['candidates']} candidates, {r['refuted_by_lp']} LPs, {r['seconds']} s)", flush=True)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "weight_bounds.jsonl"
    if path.exists():
        path.unlink()
    append_jsonl(path, rows)
    lines = ["# K(n): max integer weight needed by threshold functions of n ±1 inputs", "",
             "Form: +1 iff w.h + b >= 0, -1 iff w.h + b <= -1; integer w, |w| <= K; integer bias.", "",
             "| n | K(n) | threshold functions | realised with \\|w\\| <= 1, 2, ... | candidate tables | refuted by 2-asummability | refuted by LP | s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        seq = ", ".join(str(v) for v in r["realised_by_K"].values())
        lines.append(f"| {r['n']} | {r['K']} | {r['threshold_functions']} | {seq} | {r['candidates']} | "
                     f"{r['refuted_by_2_asummability']} | {r['refuted_by_lp']} | {r['seconds']} |")
    atomic_write_text(RESULTS / "weight_bounds.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
