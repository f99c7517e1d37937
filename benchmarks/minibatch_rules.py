"""Table 1's question on data that fits a CPU: which backward rule trains sign networks best?

Runs FTPROP-MB with every target rule (and full-precision ReLU as the ceiling) on MNIST-1D with
a 1-D CNN and an MLP, and on scikit-learn's digits with an MLP, for several seeds, and reports
the mean and standard deviation of the best test accuracy over epochs (the paper's measure). With
``--data-root``, also the paper's 4-layer convnet on MNIST images (sign and qReLU units, SSTE
against FTP-SH; setting ``mnist-convnet4``).

    python benchmarks/minibatch_rules.py            # full run, resumable (skips finished rows)
    python benchmarks/minibatch_rules.py --quick    # smoke run: 1 seed, 2 epochs, own files
    python benchmarks/minibatch_rules.py --report   # regenerate table and plot from the rows
    python benchmarks/minibatch_rules.py --data-root DIR --settings mnist-convnet4 --threads 2
                                                    # the paper's 4-layer convnet on MNIST images

Writes one JSONL row per run to ``benchmarks/results/minibatch_rules.jsonl`` and regenerates
``.md`` (table) and ``.png`` (bar plot) from all rows present.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from ftprop.io import append_jsonl, atomic_write_text, read_jsonl, versions

RESULTS = Path(__file__).resolve().parent / "results"

# Method name -> (activation, rule, weighted). sat-hinge with the weighting is the SSTE update
# exactly (see minibatch.rules); both stay in the table as a check of that identity.
METHODS = {
    "relu": ("relu", "ste", True),
    "ste": ("sign", "ste", True),
    "sste": ("sign", "sste", True),
    "hinge": ("sign", "hinge", True),
    "sat-hinge": ("sign", "sat-hinge", True),
    "soft-hinge": ("sign", "soft-hinge", True),
    "soft-hinge-unweighted": ("sign", "soft-hinge", False),
    "qrelu-sste": ("qrelu", "sste", True),
    "qrelu-soft-hinge": ("qrelu", "soft-hinge", True),
}

# Tuned with short MNIST-1D runs (15-20 epochs, seed 0): batch norm before every sign unit and
# Adam at lr 1e-2 were the big steps (conv1d FTP-SH 38% -> 76%), width 128 the next (-> 83%);
# ReLU shares each network unchanged. Weight decay 1e-4 did not help. See the README section.
_COMMON = dict(optimizer="adam", lr=1e-2, weight_decay=0.0, schedule="cosine", batch_size=128, epochs=20)
SETTINGS = {
    "mnist1d-conv1d": dict(dataset="mnist1d", model="conv1d", model_options={"channels": 128, "batch_norm": True},
                           **_COMMON),
    "mnist1d-mlp": dict(dataset="mnist1d", model="mlp", model_options={"hidden": [256, 256], "batch_norm": True},
                        **_COMMON),
    "digits-mlp": dict(dataset="digits", model="mlp", model_options={"hidden": [128, 128], "batch_norm": True},
                       **_COMMON),
}
# The paper's 4-layer convnet (no batch norm) on MNIST's 28x28 images, with the paper's CIFAR-10
# optimiser (Adam 2.5e-4, weight decay 5e-4, batch 64); a cosine schedule over the few epochs a
# CPU hour allows instead of 300 epochs with steps. Needs --data-root (MNIST in any usual format).
IMAGE_SETTINGS = {
    "mnist-convnet4": dict(dataset="mnist", model="convnet4", model_options={"batch_norm": False}, optimizer="adam",
                           lr=2.5e-4, weight_decay=5e-4, schedule="cosine", batch_size=64, epochs=2, augment=False),
}
SETTINGS.update(IMAGE_SETTINGS)
# The methods a setting runs unless --methods names others: Table 1's rows for the image setting.
DEFAULT_METHODS = {"mnist-convnet4": ("sste", "soft-hinge", "qrelu-sste", "qrelu-soft-hinge")}
QUICK = dict(epochs=1)  # --quick: one epoch on 1000 MNIST-1D examples, one seed


def run_one(setting: str, method: str, seed: int, quick: bool, threads: int = 1, data_root: str | None = None) -> dict:
    import torch

    torch.set_num_threads(threads)

    from ftprop.studies.training import train
    from minibatch.config import TrainConfig

    activation, rule, weighted = METHODS[method]
    params = dict(SETTINGS[setting], **(QUICK if quick else {}))
    if quick and params["dataset"] == "mnist1d":
        params["data_options"] = {"samples": 1000}
    if setting in IMAGE_SETTINGS:
        params["data_options"] = {"data_root": data_root, **({"per_class": 20} if quick else {})}
    config = TrainConfig(activation=activation, rule=rule, weighted=weighted, seed=seed, device="cpu", **params)
    result = train(config, log=None, progress=False)
    return {
        "setting": setting, "method": method, "seed": seed, "quick": quick,
        "dataset": config.dataset, "model": config.model, "activation": activation, "rule": rule,
        "weighted": weighted, "best_test_acc": result["best_test_acc"], "best_epoch": result["best_epoch"],
        "final_test_acc": result["test_acc"], "final_train_acc": result["train_acc"], "epochs": config.epochs,
        "wall_time_s": round(result["wall_time_s"], 3), "threads": torch.get_num_threads(),
        "device": result["device"], "config": config.to_dict(), "versions": versions(),
    }


def summarise(rows: list[dict]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(setting, method) -> (mean, sd, n) of the best test accuracy in percent."""
    groups: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        groups.setdefault((r["setting"], r["method"]), []).append(100 * r["best_test_acc"])
    return {k: (statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)) for k, v in groups.items()}


def markdown(rows: list[dict]) -> str:
    stats = summarise(rows)
    settings = [s for s in SETTINGS if any(k[0] == s for k in stats)]
    methods = [m for m in METHODS if any(k[1] == m for k in stats)]
    lines = ["# Mini-batch target rules: best test accuracy (%), mean ± sd over seeds", ""]
    lines.append("| method | " + " | ".join(settings) + " |")
    lines.append("|---|" + "---|" * len(settings))
    for m in methods:
        cells = []
        for s in settings:
            if (s, m) in stats:
                mean, sd, n = stats[(s, m)]
                cells.append(f"{mean:.1f} ± {sd:.1f} (n={n})")
            else:
                cells.append("–")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", "Settings (shared by every method of a column; sign networks use the rule named in the row):", ""]
    for s in settings:
        p = SETTINGS[s]
        epochs = sorted({r["epochs"] for r in rows if r["setting"] == s})
        lines.append(f"- **{s}**: model {p['model']} {p['model_options'] or ''}, {p['optimizer']} lr {p['lr']}, "
                     f"wd {p['weight_decay']}, {p['schedule']} schedule, batch {p['batch_size']}, "
                     f"epochs {', '.join(map(str, epochs))}")
    total = sum(r["wall_time_s"] for r in rows)
    seeds = sorted({r["seed"] for r in rows})
    v = rows[0]["versions"] if rows else {}
    lines += ["", f"{len(rows)} runs (seeds {', '.join(map(str, seeds))}); {total / 60:.1f} min of training in all "
              f"on {rows[0]['device'] if rows else '?'}; torch {v.get('torch', '?')}, python {v.get('python', '?')}.",
              "Weighted sat-hinge and SSTE are one update (minibatch.rules): equal numbers confirm it."]
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = summarise(rows)
    settings = [s for s in SETTINGS if any(k[0] == s for k in stats)]
    methods = [m for m in METHODS if any(k[1] == m for k in stats)]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(len(methods), 1)
    for i, m in enumerate(methods):
        xs = [j + (i - (len(methods) - 1) / 2) * width for j in range(len(settings))]
        means = [stats.get((s, m), (0, 0, 0))[0] for s in settings]
        sds = [stats.get((s, m), (0, 0, 0))[1] for s in settings]
        ax.bar(xs, means, width, yerr=sds, capsize=2, label=m)
    ax.set_xticks(range(len(settings)), settings)
    ax.set_ylabel("best test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title("FTPROP-MB target rules (sign hidden units) vs ReLU")
    ax.legend(ncol=4, fontsize=8, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def report(stem: Path) -> None:
    path = stem.with_suffix(".jsonl")
    rows = read_jsonl(path) if path.exists() else []
    if not rows:
        print(f"no rows in {path}")
        return
    atomic_write_text(stem.with_suffix(".md"), markdown(rows))
    plot(rows, stem.with_suffix(".png"))
    print(markdown(rows))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 seed, 2 epochs, written to minibatch_rules_quick.*")
    ap.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    ap.add_argument("--settings", help="subset of " + ", ".join(SETTINGS) + " (default: every setting without "
                    "images, and mnist-convnet4 too when --data-root is given)")
    ap.add_argument("--methods", help="subset of " + ", ".join(METHODS) + " (default: every method of "
                    "the first table; mnist-convnet4: " + ", ".join(DEFAULT_METHODS["mnist-convnet4"]) + ")")
    ap.add_argument("--data-root", help="folder (or file) holding MNIST, for mnist-convnet4")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per run (default 1: the cores are shared)")
    ap.add_argument("--jobs", type=int, default=1, help="runs in parallel, one process each (default 1)")
    ap.add_argument("--report", action="store_true", help="only regenerate the table and plot from the rows")
    ap.add_argument("--out", type=Path, help="output stem (default benchmarks/results/minibatch_rules[_quick])")
    args = ap.parse_args(argv)

    stem = args.out or RESULTS / ("minibatch_rules_quick" if args.quick else "minibatch_rules")
    if args.report:
        report(stem)
        return 0
    seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
    settings = (args.settings.split(",") if args.settings
                else [s for s in SETTINGS if s not in IMAGE_SETTINGS or args.data_root is not None])
    methods = args.methods.split(",") if args.methods else None
    for name, pool in (("setting", SETTINGS), ("method", METHODS)):
        for item in (settings if name == "setting" else methods or ()):
            if item not in pool:
                ap.error(f"unknown {name} {item!r}; valid: {', '.join(pool)}")
    if args.data_root is None and any(s in IMAGE_SETTINGS for s in settings):
        ap.error("mnist-convnet4 needs --data-root: the folder holding MNIST (idx files, .npz or .pkl.gz)")

    def methods_of(setting: str) -> list[str]:
        return methods or list(DEFAULT_METHODS.get(setting, [m for m in METHODS if not m.startswith("qrelu")]))

    path = stem.with_suffix(".jsonl")
    done = {(r["setting"], r["method"], r["seed"]) for r in (read_jsonl(path) if path.exists() else [])}
    todo = [(s, m, seed) for s in settings for seed in seeds for m in methods_of(s) if (s, m, seed) not in done]
    print(f"{len(done)} runs already in {path}, {len(todo)} to go", flush=True)
    start = time.perf_counter()

    def record(i: int, row: dict) -> None:
        append_jsonl(path, [row])  # each finished run is kept, so a killed benchmark resumes
        print(f"[{i}/{len(todo)}] {row['setting']:<15} {row['method']:<22} seed {row['seed']}: best test "
              f"{100 * row['best_test_acc']:.1f}% (epoch {row['best_epoch']}) in {row['wall_time_s']:.1f} s",
              flush=True)

    if args.jobs <= 1:
        for i, job in enumerate(todo, 1):
            record(i, run_one(*job, args.quick, args.threads, args.data_root))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(run_one, *job, args.quick, args.threads, args.data_root) for job in todo]
            for i, future in enumerate(as_completed(futures), 1):
                record(i, future.result())
    print(f"{len(todo)} runs in {(time.perf_counter() - start) / 60:.1f} min", flush=True)
    report(stem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
