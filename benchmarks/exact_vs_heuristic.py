"""Exact vs heuristic: where do full-batch FTPROP and FTPROP-MB find a fit that the exact engine
says exists, how far are their hidden targets from an exact solution, and how much does a
heuristic warm start save the exact engine?

Families (one hidden layer, sign units):
  parity-n    n = 3..5, width n (a fit exists) and n-1
  teacher     labels of a random teacher network; d = 2..8 inputs, width 2..4, 20-60 examples
  random      Gaussian inputs, random labels (a fit may or may not exist)
  digits      scikit-learn digits 4 vs 9, k examples per class (64 pixels)

For each instance: the exact engine once (``combinatorial.solve``, backend auto), full-batch
FTPROP and FTPROP-MB (rules soft-hinge, sste, ste, hinge; full batch) once per seed, through
:func:`ftprop.studies.compare.compare`; then, where a fit exists, the time to first FEASIBLE of the exact
engine cold vs warm-started from full-batch FTPROP's and from FTPROP-MB (soft-hinge)'s targets.

    python benchmarks/exact_vs_heuristic.py                 # default study (<= 15 min, 2 cores)
    python benchmarks/exact_vs_heuristic.py --quick --out /tmp/evh   # smoke test (<= 30 s)
    python benchmarks/exact_vs_heuristic.py --report-only   # redo table and plots from the rows

Writes ``exact_vs_heuristic.jsonl`` (one row per run: exact, heuristic or warm), then
regenerates ``exact_vs_heuristic.md`` and the plots ``exact_vs_heuristic.png`` (success rate vs
instance size per method) and ``exact_vs_heuristic_warm.png`` from the rows.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from ftprop.io import append_jsonl, atomic_write_text, read_jsonl, versions  # noqa: E402

NAME = "exact_vs_heuristic"
RULES = ("soft-hinge", "sste", "ste", "hinge")


@dataclass(frozen=True)
class Config:
    seeds: int = 3  # heuristic runs per method and instance
    epochs: int = 300  # FTPROP-MB full-batch epochs (a run stops at zero errors)
    exact_time_limit: float = 20.0  # seconds for each exact solve (cold and warm)
    ftprop_restarts: int = 4  # restart budget of each full-batch FTPROP run (load-independent)
    heuristic_time_limit: float = 20.0  # safety cap in seconds on each heuristic run
    workers: int = 1  # CP-SAT threads (the study machine has 2 shared cores)
    rules: tuple = RULES  # FTPROP-MB target rules
    warm_sources: tuple = ("fullbatch", "minibatch")  # warm starts measured where a fit exists
    quick: bool = False  # CI smoke test: 5 tiny instances, 1 seed, one rule


def instances(quick: bool) -> list[dict]:
    """(family, name, data options, hidden) of every instance, smallest first per family."""
    if quick:
        return [
            dict(family="parity", dataset="parity-3", hidden=(3,), size=3),
            dict(family="teacher", dataset="teacher", inputs=2, width=2, samples=20, seed=0, hidden=(2,), size=20),
            dict(family="digits", dataset="digits", per_class=3, hidden=(2,), size=6),
        ]
    out = [dict(family="parity", dataset=f"parity-{n}", hidden=(w,), size=n) for n in (3, 4, 5) for w in (n, n - 1)]
    for d, w, n in [(2, 2, 20), (2, 3, 40), (4, 2, 40), (4, 3, 20), (4, 3, 40), (4, 4, 60), (8, 2, 40),
                    (8, 3, 40), (8, 4, 60)]:
        out.append(dict(family="teacher", dataset="teacher", inputs=d, width=w, samples=n, seed=1, hidden=(w,), size=n))
    for n in (12, 20, 30):
        for w in (2, 3):
            out.append(dict(family="random", inputs=3, samples=n, seed=2, hidden=(w,), size=n))
    for k in (3, 5, 10):
        out.append(dict(family="digits", dataset="digits", per_class=k, hidden=(2,), size=2 * k))
    return out


def load(inst: dict):
    from ftprop.data import DataOptions, load_dataset

    if inst["family"] == "random":
        rng = np.random.default_rng(inst["seed"])
        X = rng.standard_normal((inst["samples"], inst["inputs"]))
        y = rng.integers(0, 2, size=inst["samples"])
        y[:2] = (0, 1)  # two classes always
        return X, y
    if inst["family"] == "teacher":
        o = DataOptions(inputs=inst["inputs"], teacher_hidden=(inst["width"],), samples=inst["samples"], seed=inst["seed"])
    elif inst["family"] == "digits":
        o = DataOptions(classes=(4, 9), per_class=inst["per_class"])
    else:
        o = DataOptions()
    ds = load_dataset(inst["dataset"], o)
    return ds.X, ds.y


def label(inst: dict) -> str:
    f = inst["family"]
    w = ",".join(map(str, inst["hidden"]))
    if f == "parity":
        return f"{inst['dataset']} w{w}"
    if f == "teacher":
        return f"teacher d{inst['inputs']} n{inst['samples']} w{w}"
    if f == "random":
        return f"random d{inst['inputs']} n{inst['samples']} w{w}"
    return f"digits 4v9 k{inst['per_class']} w{w}"


def run_study(cfg: Config, out: Path) -> Path:
    from combinatorial import solve
    from combinatorial.problem import Problem
    from ftprop.studies.compare import CompareConfig, compare
    from ftprop.studies.heuristics import warm_start_targets


    path = out / f"{NAME}.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    path.write_text("")  # a study is one run; earlier rows are replaced
    common = {"bench": NAME, "config": asdict(cfg), "versions": versions()}
    solve([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0], hidden=(2,), workers=cfg.workers)  # load OR-Tools once
    start = time.monotonic()
    for inst in instances(cfg.quick):
        X, y = load(inst)
        problem = Problem.from_data(X, y, inst["hidden"])
        base = {**common, "instance": label(inst), "family": inst["family"], "size": inst["size"],
                "n_examples": problem.n_examples, "n_inputs": problem.n_inputs, "hidden": list(inst["hidden"])}
        ccfg = CompareConfig(hidden=tuple(inst["hidden"]), rules=tuple(cfg.rules), seeds=cfg.seeds, epochs=cfg.epochs,
                             time_limit=cfg.heuristic_time_limit, workers=cfg.workers,
                             ftprop_restarts=cfg.ftprop_restarts)
        t0 = time.monotonic()
        sol = solve(problem, backend="auto", time_limit=cfg.exact_time_limit, workers=cfg.workers)
        report = compare(X, y, ccfg, exact_solution=sol)
        exact = report["exact"]
        append_jsonl(path, [{**base, "kind": "exact", "seed": 0, **exact}])
        fit = exact["fit_exists"] or any(r["success"] for r in report["runs"])
        append_jsonl(path, [{**base, "kind": "heuristic", "fit_exists": fit, **r} for r in report["runs"]])
        ok = sum(r["success"] for r in report["runs"])
        print(f"{label(inst):28s} exact {exact['status']:10s} {exact['time_s']:6.2f} s   heuristics "
              f"{ok}/{len(report['runs'])} fits   [{time.monotonic() - t0:.1f} s]", flush=True)
        if not fit:
            continue
        for source in cfg.warm_sources:  # time to first FEASIBLE, warm-started
            targets, info = warm_start_targets(source, problem, seed=0, time_limit=cfg.heuristic_time_limit,
                                               ftprop_restarts=cfg.ftprop_restarts)
            s = solve(problem, backend="auto", time_limit=cfg.exact_time_limit, workers=cfg.workers,
                      warm_start=targets)
            cold = exact["time_s"] if exact["status"] == "feasible" else None
            row = {**base, "kind": "warm", "seed": 0, "source": source, "heuristic_time_s": info["time_s"],
                   "heuristic_errors": info.get("train_errors"), "cold_status": exact["status"],
                   "cold_time_s": exact["time_s"], "warm_status": s.status.value,
                   "warm_solve_time_s": round(s.wall_time_s, 4),
                   "warm_total_time_s": round(s.wall_time_s + info["time_s"], 4)}
            row["saving_s"] = None if cold is None else round(cold - row["warm_total_time_s"], 4)
            append_jsonl(path, [row])
            print(f"{'':28s} warm from {source:9s}: {s.status.value} in {s.wall_time_s:.2f} s "
                  f"(+{info['time_s']:.2f} s heuristic) vs cold {exact['status']} {exact['time_s']:.2f} s", flush=True)
    print(f"study: {time.monotonic() - start:.0f} s", flush=True)
    return path


# --- report ------------------------------------------------------------------------------------
def report(path: Path) -> str:
    rows = read_jsonl(path)
    md = [f"# Exact vs heuristic ({len(rows)} rows from `{path.name}`)", ""]
    md += _headline(rows) + [""] + _per_instance(rows) + [""] + _warm(rows)
    text = "\n".join(md) + "\n"
    atomic_write_text(path.with_suffix(".md"), text)
    _plots(rows, path.parent)
    return text


def _method(r: dict) -> str:
    return r["method"] if r["rule"] is None else f"mb {r['rule']}"


def _headline(rows) -> list[str]:
    exact = [r for r in rows if r["kind"] == "exact"]
    heur = [r for r in rows if r["kind"] == "heuristic" and r["fit_exists"]]
    fams = list(dict.fromkeys(r["family"] for r in exact))
    methods = list(dict.fromkeys(_method(r) for r in heur))
    out = ["## Headline: success rate where a fit exists (runs reaching 0 training errors)", "",
           "| family | instances (fit exists) | exact decided | exact mean time | " + " | ".join(methods) + " |",
           "|---" * (4 + len(methods)) + "|"]
    for f in fams:
        ex = [r for r in exact if r["family"] == f]
        fit_inst = {r["instance"] for r in heur if r["family"] == f}
        cells = []
        for m in methods:
            rs = [r for r in heur if r["family"] == f and _method(r) == m]
            cells.append(f"{sum(r['success'] for r in rs)}/{len(rs)}" if rs else "-")
        decided = sum(r["status"] in ("feasible", "infeasible", "optimal") for r in ex)
        out.append(f"| {f} | {len(ex)} ({len(fit_inst)}) | {decided}/{len(ex)} | "
                   f"{np.mean([r['time_s'] for r in ex]):.2f} s | " + " | ".join(cells) + " |")
    out += ["", "Means over the same runs: separable-unit shares and target distance", "",
            "| method | sep(act) | sep(t = sign(-g)) | out-sep | distance to exact | mean time/run |",
            "|---|---|---|---|---|---|"]
    for m in methods:
        rs = [r for r in heur if _method(r) == m]
        out.append(f"| {m} | {_mean(rs, 'activations_separable_share', pct=True)} | "
                   f"{_mean(rs, 'sign_targets_separable_share', pct=True)} | {_mean(rs, 'output_separable', pct=True)} | "
                   f"{_mean(rs, 'target_distance')} | {_mean(rs, 'time_s')} s |")
    return out


def _mean(rs, field, pct=False) -> str:
    vals = [float(r[field]) for r in rs if r.get(field) is not None]
    if not vals:
        return "-"
    return f"{100 * np.mean(vals):.0f}%" if pct else f"{np.mean(vals):.3f}"


def _per_instance(rows) -> list[str]:
    exact = {r["instance"]: r for r in rows if r["kind"] == "exact"}
    heur = [r for r in rows if r["kind"] == "heuristic"]
    methods = list(dict.fromkeys(_method(r) for r in heur))
    out = ["## Per instance: exact answer, heuristic successes / seeds", "",
           "| instance | n | exact | time | " + " | ".join(methods) + " |", "|---" * (4 + len(methods)) + "|"]
    for name, e in exact.items():
        cells = []
        for m in methods:
            rs = [r for r in heur if r["instance"] == name and _method(r) == m]
            cells.append(f"{sum(r['success'] for r in rs)}/{len(rs)}" if rs else "-")
        out.append(f"| {name} | {e['n_examples']} | {e['status']} | {e['time_s']:.2f} s | " + " | ".join(cells) + " |")
    return out


def _warm(rows) -> list[str]:
    warm = [r for r in rows if r["kind"] == "warm"]
    out = ["## Warm starts: time to first FEASIBLE, cold vs warm (heuristic time + warm solve)", "",
           "`heuristic alone`: when the heuristic itself reached 0 errors its targets are already a verified fit.", "",
           "| instance | cold | from | heuristic errors | heuristic alone | warm solve | warm total | saving |",
           "|---|---|---|---|---|---|---|---|"]
    for r in warm:
        cold = f"{r['cold_status']} {r['cold_time_s']:.2f} s"
        saving = "-" if r["saving_s"] is None else f"{r['saving_s']:+.2f} s"
        if r["saving_s"] is None and r["warm_status"] == "feasible":
            saving = f"> {r['cold_time_s'] - r['warm_total_time_s']:+.2f} s (cold hit the limit)"
        alone = f"{r['heuristic_time_s']:.2f} s" if r["heuristic_errors"] == 0 else "-"
        out.append(f"| {r['instance']} | {cold} | {r['source']} | {r['heuristic_errors']} | {alone} | "
                   f"{r['warm_status']} {r['warm_solve_time_s']:.2f} s | {r['warm_total_time_s']:.2f} s | {saving} |")
    both = [r for r in warm if r["saving_s"] is not None]
    for src in dict.fromkeys(r["source"] for r in both):
        rs = [r for r in both if r["source"] == src]
        out.append("")
        out.append(f"From {src}: median warm solve {np.median([r['warm_solve_time_s'] for r in rs]):.2f} s vs median "
                   f"cold {np.median([r['cold_time_s'] for r in rs]):.2f} s over {len(rs)} instances solved cold; "
                   f"median saving incl. heuristic time {np.median([r['saving_s'] for r in rs]):+.2f} s.")
    return out


def _plots(rows, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    heur = [r for r in rows if r["kind"] == "heuristic" and r["fit_exists"]]
    fams = list(dict.fromkeys(r["family"] for r in heur))
    methods = list(dict.fromkeys(_method(r) for r in heur))
    xlabel = {"parity": "bits n", "teacher": "examples", "random": "examples", "digits": "examples (2k)"}
    fig, axes = plt.subplots(1, max(1, len(fams)), figsize=(4 * max(1, len(fams)), 3.4), squeeze=False)
    for ax, f in zip(axes[0], fams):
        for m in methods:
            by = defaultdict(list)
            for r in heur:
                if r["family"] == f and _method(r) == m:
                    by[r["size"]].append(r["success"])
            xs = sorted(by)
            ax.plot(xs, [np.mean(by[x]) for x in xs], marker="o", label=m)
        ax.set_title(f"{f} (where a fit exists)")
        ax.set_xlabel(xlabel.get(f, "size"))
        ax.set_ylim(-0.05, 1.05)
    axes[0][0].set_ylabel("success rate")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / f"{NAME}.png", dpi=110)
    plt.close(fig)

    warm = [r for r in rows if r["kind"] == "warm"]
    if warm:
        names = list(dict.fromkeys(r["instance"] for r in warm))
        srcs = list(dict.fromkeys(r["source"] for r in warm))
        fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(names) + 2), 3.6))
        x = np.arange(len(names))
        cold = [next(r["cold_time_s"] for r in warm if r["instance"] == n) for n in names]
        ax.bar(x - 0.3, cold, 0.25, label="cold")
        for k, s in enumerate(srcs):
            v = [next((r["warm_total_time_s"] for r in warm if r["instance"] == n and r["source"] == s), 0) for n in names]
            ax.bar(x - 0.05 + 0.25 * k, v, 0.25, label=f"warm from {s} (incl. heuristic)")
        ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("time to first FEASIBLE (s)")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out / f"{NAME}_warm.png", dpi=110)
        plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI smoke test (<= 30 s)")
    ap.add_argument("--out", type=Path, default=ROOT / "results", help="output directory (default benchmarks/results)")
    ap.add_argument("--seeds", type=int, help="heuristic runs per method and instance (default 3)")
    ap.add_argument("--report-only", action="store_true", help="regenerate table and plots from the JSONL rows")
    args = ap.parse_args(argv)
    cfg = Config()
    if args.quick:
        cfg = replace(cfg, seeds=1, epochs=50, exact_time_limit=5.0, heuristic_time_limit=2.0, ftprop_restarts=2,
                      rules=("soft-hinge",), warm_sources=("fullbatch",), quick=True)
    if args.seeds:
        cfg = replace(cfg, seeds=args.seeds)
    path = args.out / f"{NAME}.jsonl"
    if not args.report_only:
        print(f"config: {asdict(cfg)}", flush=True)
        run_study(cfg, args.out)
    print(report(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
