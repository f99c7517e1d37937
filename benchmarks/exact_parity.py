"""Exact backends on parity: which proves what, and how fast.

parity-n: all 2^n points of {-1, 1}^n, label = product of the inputs. One hidden layer of
width n - 1 (no network exists: a one-hidden-layer sign network needs n units for parity-n)
and width n (one exists). For each n, width and backend (lazy, cpsat, mip), with symmetry
breaking on and/or off, one ``combinatorial.solve`` with a per-run time limit.

    python benchmarks/exact_parity.py                          # n = 2..5, lazy cpsat mip, symmetry on
    python benchmarks/exact_parity.py --symmetry both --with-6
    python benchmarks/exact_parity.py --backends cpsat --n 5 --widths 4
    python benchmarks/exact_parity.py --report-only            # redo the table from the rows
    python benchmarks/exact_parity.py --backends lazy --n 5 6 --widths 4 5 --proof   # with checked proofs

Appends one JSONL row per run (status, proof scope, wall time, key stats, seed, versions,
machine cores) to ``results/exact_parity.jsonl`` and regenerates ``results/exact_parity.md``
from all rows (the latest row per configuration).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from ftprop.io import append_jsonl, atomic_write_text, read_jsonl, versions  # noqa: E402

NAME = "exact_parity"
BACKENDS = ("lazy", "cpsat", "mip")
# Per-backend statistics worth a column (whatever of them the backend reports).
KEY_STATS = {
    "lazy": ("iterations", "cuts", "lp_checks"),
    "cpsat": ("weight_bound", "conflicts", "branches"),
    "mip": ("big_m", "nodes"),
}


@dataclass(frozen=True)
class Config:
    ns: tuple = (2, 3, 4, 5)  # parity sizes (6 with --with-6)
    widths: tuple = ()  # hidden widths; () = n - 1 and n for each n
    backends: tuple = BACKENDS
    symmetry: tuple = (True,)  # symmetry breaking settings to run
    time_limit: float = 60.0  # seconds per run
    workers: int = 0  # solver threads; 0 = every core (mip's SCIP always uses one)
    seed: int = 0
    proof: bool = False  # lazy: write a proof file, check it with ftprop check, record sizes and times


def parity(n: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.array(list(itertools.product([-1, 1], repeat=n)), dtype=float)
    return X, np.prod(X, axis=1).astype(int)


def run_one(n: int, width: int, backend: str, symmetry: bool, cfg: Config) -> dict:
    from combinatorial import SolveOptions, solve

    X, y = parity(n)
    proof = None
    if cfg.proof and backend == "lazy":
        import tempfile

        proof = os.path.join(tempfile.mkdtemp(prefix="ftprop-proof-"), f"parity-{n}-w{width}.proof")
    opts = SolveOptions(backend=backend, time_limit=cfg.time_limit, workers=cfg.workers,
                        seed=cfg.seed, symmetry_breaking=symmetry, proof=proof)
    start = time.monotonic()
    sol = solve(X, y, hidden=(width,), options=opts)
    wall = time.monotonic() - start
    row_proof = _check_proof(sol, X, y) if proof else None
    return {"proof": row_proof, **_row(n, width, backend, symmetry, cfg, sol, wall)}


def _check_proof(sol, X, y) -> dict:
    """Check the proof file (independently of the solver) and keep its sizes and times."""
    from ftprop.checker import check

    cert = sol.proof_file.to_dict() if sol.proof_file is not None else {}
    if not cert.get("file"):
        return {"kind": "none", "note": cert.get("note")}
    verdict = check(cert["file"], X, y)
    keep = ("kind", "bytes", "write_s", "clauses", "nogoods", "drup_lemmas", "lrat_lemmas")
    out = {k: cert[k] for k in keep if k in cert}
    out.update(checked=verdict.line(), check_s=verdict.stats.get("check_s"))
    os.unlink(cert["file"])
    return out


def _row(n, width, backend, symmetry, cfg, sol, wall) -> dict:
    return {
        "benchmark": NAME, "n": n, "width": width, "backend": backend, "symmetry_breaking": symmetry,
        "status": sol.status.value, "proved_for": sol.proved_for, "train_errors": sol.train_errors,
        "wall_time_s": round(wall, 3), "time_limit_s": cfg.time_limit, "seed": cfg.seed,
        "workers": cfg.workers, "cores": os.cpu_count(), "machine": platform.machine(),
        "stats": {k: v for k, v in sol.to_dict()["stats"].items() if not isinstance(v, (list, dict))},
        "message": sol.message, "versions": versions(), "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def warm_up(backends) -> None:
    """Import every backend and its solver once, so that no timed run pays for the imports."""
    from combinatorial import solve

    X, y = parity(2)
    for backend in backends:
        solve(X, y, hidden=(2,), backend=backend, time_limit=10)


def report(rows: list[dict]) -> str:
    latest = {}
    for r in rows:
        latest[(r["n"], r["width"], r["backend"], r["symmetry_breaking"])] = r
    lines = [
        "# Exact backends on parity-n, one hidden layer",
        "",
        "Generated by `benchmarks/exact_parity.py` from `exact_parity.jsonl` (latest row per "
        "configuration). Width n-1 has no network; width n has one.",
        "",
        "| n | width | backend | symmetry | status | proved for | wall s | limit s | key stats | certificate | cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    order = {b: i for i, b in enumerate(BACKENDS)}
    for key in sorted(latest, key=lambda k: (k[0], k[1], order.get(k[2], 9), not k[3])):
        r = latest[key]
        stats = ", ".join(f"{k}={r['stats'][k]}" for k in KEY_STATS.get(r["backend"], ()) if k in r["stats"])
        lines.append(
            f"| {r['n']} | {r['width']} | {r['backend']} | {'on' if r['symmetry_breaking'] else 'off'} | "
            f"{r['status']} | {(r['proved_for'] or '-').replace('|', chr(92) + '|')} | {r['wall_time_s']:.2f} | "
            f"{r['time_limit_s']:g} | {stats} | {_certificate(r.get('proof'))} | {r['cores']} |"
        )
    v = rows[-1]["versions"] if rows else {}
    lines += ["", "Versions (latest row): " + ", ".join(f"{k} {x}" for k, x in v.items())]
    return "\n".join(lines) + "\n"


def _certificate(p) -> str:
    """Proof column: kind, size, write and check times (both included in nothing else)."""
    if not p:
        return "-"
    if p.get("kind") == "none":
        return "none"
    size = f"{p['bytes'] / 1024:.0f} KiB" if p.get("bytes") else ""
    lemmas = f", {p['lrat_lemmas']} lemmas" if p.get("lrat_lemmas") is not None else ""
    return f"{p['kind']} {size}{lemmas}, write {p.get('write_s', 0):.1f} s, check {p.get('check_s') or 0:.1f} s: {p['checked']}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, from lazy,cpsat,mip")
    ap.add_argument("--symmetry", choices=("on", "off", "both"), default="on")
    ap.add_argument("--with-6", action="store_true", help="also run parity-6")
    ap.add_argument("--n", type=int, nargs="*", help="parity sizes (default 2..5)")
    ap.add_argument("--widths", type=int, nargs="*", help="hidden widths (default n-1 and n)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per run (default 60)")
    ap.add_argument("--workers", type=int, default=0, help="solver threads, 0 = every core")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--proof", action="store_true", help="lazy: write and check a proof file per run")
    args = ap.parse_args(argv)

    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    bad = [b for b in backends if b not in BACKENDS]
    if bad:
        ap.error(f"unknown backend(s) {', '.join(bad)}; valid: {', '.join(BACKENDS)}")
    if not args.time_limit > 0:
        ap.error(f"--time-limit must be a positive number of seconds, got {args.time_limit}")
    ns = tuple(args.n) if args.n else (2, 3, 4, 5) + ((6,) if args.with_6 else ())
    sym = {"on": (True,), "off": (False,), "both": (True, False)}[args.symmetry]
    cfg = Config(ns, tuple(args.widths or ()), backends, sym, args.time_limit, args.workers, args.seed, args.proof)
    jsonl, md = args.out / f"{NAME}.jsonl", args.out / f"{NAME}.md"
    if not args.report_only:
        print(f"config: {asdict(cfg)}", flush=True)
        warm_up(cfg.backends)
        for n in cfg.ns:
            for width in cfg.widths or (n - 1, n):
                for backend in cfg.backends:
                    for s in cfg.symmetry:
                        row = run_one(n, width, backend, s, cfg)
                        append_jsonl(jsonl, [row])
                        print(f"parity-{n} width {width} {backend:5s} sym={'on ' if s else 'off'} "
                              f"{row['status']:10s} {row['proved_for'] or '':45s} {row['wall_time_s']:7.2f} s",
                              flush=True)
    rows = read_jsonl(jsonl) if jsonl.exists() else []
    atomic_write_text(md, report(rows))
    print(f"wrote {md}")


if __name__ == "__main__":
    main()
