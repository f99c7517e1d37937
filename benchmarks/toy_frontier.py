"""The default solver on real-valued toy data: minimum width, time to first fit and to proof,
min-errors incumbents and bounds, against full-batch FTPROP (``--backend fullbatch``).

Instances: moons, circles, blobs (3 classes), spirals (Lang and Witbrock's two spirals, 194
points; more along the same curves), iris, wine, breast cancer and digits 4-vs-9, at 50 / 100 /
200 / 500 / 1000 points where the data set has them (fixed seeds; real data sets are subsampled
by a seeded stratified draw). Per instance and backend (``auto`` = lazy with its portfolio and
its example-subset search, and ``fullbatch``):

  minwidth    widths 1, 2, ... with ``--per-width`` seconds each until the first fit: the minimum
              width, whether the width below is proved infeasible, time to first fit (the fitting
              width's solve), time to proof (the width below's solve), the working set the
              refutation was proved on, and the refutation's proof file: bytes and ``ftprop
              check`` time and verdict
  min-errors  at widths 1..4, stopped at each of ``--budgets`` seconds: incumbent errors and the
              proved lower bound (never above the incumbent; ftprop has none)

    python benchmarks/toy_frontier.py                       # the full study (hours on 2 cores)
    python benchmarks/toy_frontier.py --sizes 50 100 200 --per-width 20 --budgets 10
    python benchmarks/toy_frontier.py --quick --out /tmp/tf  # smoke test (seconds)
    python benchmarks/toy_frontier.py --n-jobs 2             # instances in parallel (joblib)

Instances run through joblib (``--n-jobs``; inside ``joblib.parallel_backend("dask")`` they run
on a Dask cluster); each solve then uses one CP-SAT worker.
    python benchmarks/toy_frontier.py --report-only

Appends one JSONL row per (instance, backend, task) to ``results/toy_frontier.jsonl`` and
regenerates ``results/toy_frontier.md`` and ``results/toy_frontier.png`` (time to first fit vs
points, per data set) from all rows; re-running skips rows already there.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from combinatorial.files import write_bytes  # noqa: E402
from ftprop.io import append_jsonl, atomic_write_text, read_jsonl, versions  # noqa: E402

NAME = "toy_frontier"
DATASETS = ("moons", "circles", "blobs", "spirals", "iris", "wine", "breast-cancer", "digits-4v9")
SIZES = (50, 100, 200, 500, 1000)
BACKENDS = ("auto", "fullbatch")


@dataclass(frozen=True)
class Config:
    datasets: tuple = DATASETS
    sizes: tuple = SIZES  # points per instance, where the data set has them
    backends: tuple = BACKENDS
    per_width: float = 60.0  # seconds per width in minwidth
    max_width: int = 8  # minwidth gives up above this width
    budgets: tuple = (10.0, 60.0)  # min-errors time limits
    min_errors_widths: tuple = (1, 2, 3, 4)
    minwidth: bool = True  # run minwidth per instance (min-errors only without it)
    seed: int = 0  # data draws and solver seeds
    workers: int = 0  # CP-SAT threads; 0 = every core (1 when instances run in parallel)
    n_jobs: int = 1  # instances solved at once (joblib)


def instance(name: str, n: int, seed: int):
    """(X, y) with n points, or None when the data set has fewer."""
    from ftprop.data import DataOptions, load_dataset

    if name in ("moons", "circles", "blobs", "spirals"):
        d = load_dataset(name, DataOptions(samples=n - n % 2 if name == "spirals" else n, seed=seed))
        return d.X, d.y
    d = load_dataset("digits", DataOptions(classes=(4, 9))) if name == "digits-4v9" else load_dataset(name)
    if len(d.y) < n:
        return None
    from sklearn.model_selection import train_test_split

    if len(d.y) == n:
        return d.X, d.y
    X, _, y, _ = train_test_split(d.X, d.y, train_size=n, stratify=d.y, random_state=seed)
    return X, y


def minwidth(X, y, backend: str, cfg: Config) -> dict:
    import tempfile

    from combinatorial import SolveOptions, min_width

    with tempfile.TemporaryDirectory(prefix="ftprop-frontier-") as folder:  # the proof files go with it
        search = min_width(X, y, max_width=cfg.max_width, per_width=cfg.per_width, keep_going=True,
                           options=SolveOptions(backend=backend, seed=cfg.seed, workers=cfg.workers),
                           proof=None if backend == "fullbatch" else (lambda w: os.path.join(folder, f"w{w}.proof")))
        widths = [{"width": s.architecture[1], "status": s.status.value, "time_s": round(s.wall_time_s, 3)}
                  for s in search.attempts]
        found, below = search.found, search.below
        return {"min_width": None if found is None else found.architecture[1], "below_proved": below is not None,
                "time_to_fit_s": None if found is None else round(found.wall_time_s, 3),
                "time_to_proof_s": None if below is None else round(below.wall_time_s, 3), "widths": widths,
                "working_set_at_proof": None if below is None else below.stats.get("working_set"),
                **_checked(below, X, y)}


def _checked(sol, X, y) -> dict:
    """The refutation's proof file: size, ``ftprop check`` time and verdict (then deleted)."""
    from ftprop.checker import check

    pf = None if sol is None else sol.proof_file
    if pf is None or not pf.file:
        return {"proof_bytes": None, "check_s": None, "check": None if pf is None else pf.note}
    verdict = check(pf.file, X, y)
    os.unlink(pf.file)
    return {"proof_bytes": pf.sizes.get("bytes"), "check_s": verdict.stats.get("check_s"), "check": verdict.line()}


def min_errors(X, y, backend: str, width: int, budget: float, cfg: Config) -> dict:
    import tempfile

    from combinatorial import solve

    objective = "feasibility" if backend == "fullbatch" else "min-errors"  # fullbatch: its best network
    with tempfile.TemporaryDirectory(prefix="ftprop-frontier-") as folder:
        proof = None if backend == "fullbatch" else os.path.join(folder, "me.proof")
        sol = solve(X, y, hidden=(width,), backend=backend, objective=objective, time_limit=budget,
                    seed=cfg.seed, workers=cfg.workers, proof=proof)
        optimum = sol if sol.status.value == "optimal" else None  # the optimum's certificate, if it has one
        return {"width": width, "budget_s": budget, "status": sol.status.value, "errors": sol.train_errors,
                "lower_bound": sol.lower_bound, "time_s": round(sol.wall_time_s, 3), **_checked(optimum, X, y)}


def rows_for(name: str, n: int, backend: str, cfg: Config, done: set) -> list[dict]:
    data = instance(name, n, cfg.seed)
    if data is None:
        return []
    X, y = data
    base = {"benchmark": NAME, "dataset": name, "n": n, "backend": backend, "seed": cfg.seed,
            "cores": os.cpu_count(), "machine": platform.machine(), "versions": versions()}
    out = []
    if cfg.minwidth and (name, n, backend, "minwidth") not in done:
        out.append({**base, "task": "minwidth", **minwidth(X, y, backend, cfg)})
    for width in cfg.min_errors_widths:
        for budget in cfg.budgets:
            if (name, n, backend, f"min-errors/{width}/{budget:g}") not in done:
                out.append({**base, "task": f"min-errors/{width}/{budget:g}", **min_errors(X, y, backend, width, budget, cfg)})
    return out


def report(rows: list[dict]) -> str:
    latest = {(r["dataset"], r["n"], r["backend"], r["task"]): r for r in rows}
    inst = sorted({(k[0], k[1]) for k in latest}, key=lambda k: (DATASETS.index(k[0]) if k[0] in DATASETS else 99, k[1]))
    lines = [f"# Toy frontier ({len(rows)} rows from `{NAME}.jsonl`)", "",
             "Minimum single-hidden-layer width: `auto` (lazy with its FTPROP portfolio) against full-batch "
             "FTPROP alone (`fullbatch`, which proves nothing). `below proved`: the width below is proved "
             "infeasible (all real weights); its working set, proof-file size and `ftprop check` time follow.", "",
             "| data set | n | backend | min width | below proved | time to fit s | time to proof s "
             "| working set | proof KiB | check s | check |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for ds, n in inst:
        for b in BACKENDS:
            r = latest.get((ds, n, b, "minwidth"))
            if r:
                kib = None if r.get("proof_bytes") is None else r["proof_bytes"] / 1024
                lines.append(f"| {ds} | {n} | {b} | {r['min_width'] or '-'} | {'yes' if r['below_proved'] else 'no'} | "
                             f"{_f(r['time_to_fit_s'])} | {_f(r['time_to_proof_s'])} | {r.get('working_set_at_proof') or '-'} "
                             f"| {_f(kib)} | {_f(r.get('check_s'))} | {(r.get('check') or '-').split(':')[0]} |")
    budgets = sorted({r["budget_s"] for r in rows if r["task"].startswith("min-errors")})
    lines += ["", "Min-errors: incumbent errors / proved lower bound, per width and budget "
              "(`fullbatch`: its best network's errors, no bound).", "",
              "| data set | n | backend | " + " | ".join(f"w{w} @{b:g}s" for w in (1, 2, 3, 4) for b in budgets) + " |",
              "|---|---|---|" + "---|" * (4 * len(budgets))]
    bad = 0
    for ds, n in inst:
        for b in BACKENDS:
            cells = []
            for w in (1, 2, 3, 4):
                for budget in budgets:
                    r = latest.get((ds, n, b, f"min-errors/{w}/{budget:g}"))
                    if r is None:
                        cells.append("")
                        continue
                    lb = r.get("lower_bound")
                    bad += lb is not None and r["errors"] is not None and lb > r["errors"]
                    cells.append(f"{r['errors']}" + ("" if lb is None else f" / {lb:g}"))
            if any(cells):
                lines.append(f"| {ds} | {n} | {b} | " + " | ".join(cells) + " |")
    lines += ["", f"Bounds above incumbents: {bad}."]
    me = [r for r in latest.values() if r["task"].startswith("min-errors") and r["backend"] == "auto"]
    opt = [r for r in me if r["status"] == "optimal"]
    valid = [r for r in opt if (r.get("check") or "").startswith("VALID")]
    if me:
        errorless = sum(1 for r in valid if r["errors"] == 0)
        lines.append(f"Min-errors cells proved optimal: {len(opt)} of {len(me)}; optima with a proof file "
                     f"VALID under `ftprop check`: {len(valid)} ({errorless} errorless fits, whose network is "
                     f"the proof; {len(valid) - errorless} with errors); without one: {len(opt) - len(valid)} "
                     "(the check field of toy_frontier.jsonl says why).")
    ratios = []
    for ds, n in inst:
        a, f = latest.get((ds, n, "auto", "minwidth")), latest.get((ds, n, "fullbatch", "minwidth"))
        if a and f and a["time_to_fit_s"] and f["time_to_fit_s"] and a["min_width"] == f["min_width"]:
            ratios.append(a["time_to_fit_s"] / f["time_to_fit_s"])
    if ratios:
        lines.append(f"Time to first fit, auto / ftprop at the same width: median {np.median(ratios):.2f}, "
                     f"max {max(ratios):.2f} over {len(ratios)} instances.")
    v = rows[-1]["versions"] if rows else {}
    lines += ["", "Versions (latest row): " + ", ".join(f"{k} {x}" for k, x in v.items())]
    return "\n".join(lines) + "\n"


def _f(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for ds in DATASETS:
        for b, style in zip(BACKENDS, ("-o", "--x")):
            pts = sorted((r["n"], r["time_to_fit_s"]) for r in rows
                         if r["task"] == "minwidth" and r["dataset"] == ds and r["backend"] == b and r["time_to_fit_s"])
            if pts:
                ax.plot(*zip(*pts), style, label=f"{ds} ({b})")
    ax.set(xscale="log", yscale="log", xlabel="points", ylabel="time to first fit at the minimum width (s)")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    write_bytes(path, buf.getvalue())


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="*", choices=DATASETS)
    ap.add_argument("--sizes", type=int, nargs="*")
    ap.add_argument("--backends", nargs="*", choices=BACKENDS)
    ap.add_argument("--per-width", type=float, help="seconds per width in minwidth (default 60)")
    ap.add_argument("--budgets", type=float, nargs="*", help="min-errors time limits (default 10 60)")
    ap.add_argument("--widths", type=int, nargs="*", help="min-errors widths (default 1 2 3 4)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=1, help="instances solved at once through joblib (default 1)")
    ap.add_argument("--no-minwidth", action="store_true", help="min-errors cells only")
    ap.add_argument("--quick", action="store_true", help="smoke test: moons at 50 points, short limits")
    ap.add_argument("--out", type=Path, default=ROOT / "results")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args(argv)
    cfg = Config(seed=args.seed, n_jobs=args.n_jobs, minwidth=not args.no_minwidth)
    if args.quick:
        cfg = replace(cfg, datasets=("moons",), sizes=(50,), per_width=3.0, max_width=3, budgets=(1.0,),
                      min_errors_widths=(1,))
    for field, value in (("datasets", args.datasets), ("sizes", args.sizes), ("backends", args.backends),
                         ("budgets", args.budgets), ("min_errors_widths", args.widths)):
        if value:
            cfg = replace(cfg, **{field: tuple(value)})
    if args.per_width:
        cfg = replace(cfg, per_width=args.per_width)
    jsonl, md, png = args.out / f"{NAME}.jsonl", args.out / f"{NAME}.md", args.out / f"{NAME}.png"
    if not args.report_only:
        print(f"config: {asdict(cfg)}", flush=True)
        run_all(cfg, jsonl)
    rows = _rows(jsonl)
    atomic_write_text(md, report(rows))
    if rows:
        plot(rows, png)
    print(f"wrote {md}")


def run_all(cfg: Config, jsonl: Path) -> None:
    """Every (instance, backend) not yet in ``jsonl``, through joblib; rows appended as they come."""
    from joblib import Parallel, delayed

    rows = _rows(jsonl)
    done = {(r["dataset"], r["n"], r["backend"], r["task"]) for r in rows if r.get("seed") == cfg.seed}
    tasks = [(name, n, backend) for name in cfg.datasets for n in cfg.sizes for backend in cfg.backends]
    if cfg.n_jobs != 1:
        cfg = replace(cfg, workers=1)  # the instances share the cores
    runs = Parallel(n_jobs=cfg.n_jobs, return_as="generator")(delayed(_timed)(t, cfg, done) for t in tasks)
    for (name, n, backend), (new, seconds) in zip(tasks, runs):
        append_jsonl(jsonl, new)
        if new:
            mw = next((r for r in new if r["task"] == "minwidth"), None)
            print(f"{name:14s} n={n:5d} {backend:9s} "
                  + (f"min width {mw['min_width']} (below proved: {mw['below_proved']}) " if mw else "")
                  + f"[{seconds:.1f} s]", flush=True)


def _timed(task, cfg: Config, done: set):
    start = time.monotonic()
    return rows_for(*task, cfg, done), time.monotonic() - start


def _rows(jsonl: Path) -> list[dict]:
    """The rows so far; rows written before full-batch FTPROP was renamed say "ftprop"."""
    rows = read_jsonl(jsonl) if jsonl.exists() else []
    return [{**r, "backend": "fullbatch"} if r.get("backend") == "ftprop" else r for r in rows]


if __name__ == "__main__":
    main()
