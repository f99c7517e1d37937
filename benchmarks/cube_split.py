"""One hard refutation split into cubes: speed-up from 1 to N workers, proof checked.

For n-bit parity at width w (default parity-6, width 5: the refutation behind "parity-6 needs 6
units"), solves and writes the proof three ways: unsplit (``combinatorial.solve``), then split
into 2^K cubes (``combinatorial.cubes``) with 1 and with ``--jobs`` workers (unsplit: CP-SAT
threads; split: cubes at once, one thread each; the check shares its lemmas among as many). Every proof is
checked by ``ftprop check``'s checker. Reported per run: wall time to the written proof, the
check's time and verdict, proof size, and for split runs the number of cubes, the sum of the
cube searches and the largest cube (the floor of any parallel run).

    python benchmarks/cube_split.py                     # parity-6 width 5, K = 3, 1 and 2 workers
    python benchmarks/cube_split.py --n 4 --width 3     # seconds: a smoke run

Writes benchmarks/results/cube_split.jsonl (one row per run, seed, versions) and cube_split.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from ftprop.io import append_jsonl, atomic_write_text, read_jsonl, versions  # noqa: E402

NAME = "cube_split"


def run_one(n: int, width: int, depth: int | None, jobs: int, folder: str) -> dict:
    import numpy as np

    from combinatorial import cubes, solve
    from ftprop.checker import check

    X = np.where((np.arange(2**n)[:, None] >> np.arange(n)) & 1, 1.0, -1.0)
    y = (np.sum(X > 0, axis=1) % 2).astype(int)
    path = os.path.join(folder, f"p{n}w{width}k{depth}j{jobs}.proof")
    start = time.monotonic()
    if depth is None:
        sol = solve(X, y, hidden=(width,), backend="lazy", seed=0, workers=jobs, proof=path)
    else:
        sol = cubes.solve(X, y, hidden=(width,), depth=depth, n_jobs=jobs, seed=0, workers=1, proof=path)
    solve_s = time.monotonic() - start
    verdict = check(path, X, y, jobs=jobs) if sol.proof_file is not None and sol.proof_file.file else None
    st = sol.stats
    return {"benchmark": NAME, "question": f"parity-{n}, width {width}", "cubes": st.get("cubes", 1),
            "depth": depth, "jobs": jobs, "status": sol.status.value, "solve_and_proof_s": round(solve_s, 3),
            "check_s": verdict.stats.get("check_s") if verdict else None,
            "verdict": verdict.line() if verdict else "no proof", "proof_bytes": os.path.getsize(path)
            if os.path.exists(path) else 0, "cube_seconds_sum": st.get("cube_seconds_sum"),
            "largest_cube_s": st.get("largest_cube_s"), "per_cube_s": [c["wall_s"] for c in st.get("per_cube", [])],
            "seed": 0, "cores": os.cpu_count(), "versions": versions()}


def report(rows: list[dict]) -> str:
    lines = ["# One refutation split into cubes", "",
             "| question | split | workers | status | solve + proof s | check s | total s | speed-up | proof MiB | "
             "sum of cubes s | largest cube s | verdict |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    ones = {}
    for r in rows:
        total = r["solve_and_proof_s"] + (r["check_s"] or 0.0)
        key = (r["question"], r["depth"])
        if r["jobs"] == 1:
            ones[key] = total
        speed = f"{ones[key] / total:.2f}x" if key in ones and r["jobs"] != 1 else "-"
        split = "unsplit" if r["depth"] is None else f"{r['cubes']} cubes"
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        lines.append(f"| {r['question']} | {split} | {r['jobs']} | {r['status']} | {r['solve_and_proof_s']:.1f} | "
                     f"{fmt(r['check_s'])} | {total:.1f} | {speed} | {r['proof_bytes'] / 2**20:.1f} | "
                     f"{fmt(r['cube_seconds_sum'])} | {fmt(r['largest_cube_s'])} | {r['verdict']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=6, help="parity bits (default 6)")
    ap.add_argument("--width", type=int, default=5, help="hidden width to refute (default 5)")
    ap.add_argument("--depth", type=int, default=3, help="cube variables K: 2^K cubes (default 3)")
    ap.add_argument("--jobs", type=int, default=2, help="workers of the parallel run (default 2)")
    ap.add_argument("--no-unsplit", action="store_true", help="skip the unsplit run")
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    args = ap.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="ftprop-cubes-")
    # unsplit: one CP-SAT thread, then --jobs threads; split: one thread per cube, 1 then --jobs at once
    runs = ([] if args.no_unsplit else [(None, 1), (None, args.jobs)]) + [(args.depth, 1), (args.depth, args.jobs)]
    rows = []
    for depth, jobs in runs:
        rows.append(run_one(args.n, args.width, depth, jobs, folder))
        print(report(rows).splitlines()[-1], flush=True)
    jsonl = args.out / f"{NAME}.jsonl"
    append_jsonl(jsonl, rows)
    atomic_write_text(args.out / f"{NAME}.md", report(read_jsonl(jsonl)))
    print(report(rows), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
