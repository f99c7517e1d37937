"""Few-shot protocols: exact hard-threshold networks against gradient training, on the same splits.

k training images per class, ``--splits`` *disjoint* training sets per k: each class's images are
permuted once with ``--seed`` and split s takes positions s*k .. s*k + k - 1 (so ``--seed`` decides
which training sets are drawn; split s is the same set for every method).

  digits          scikit-learn's 8x8 digits (pixels / 16); test on every image outside the
                  training set (protocol ``rest``); k in 2, 6, 10 by default
  mnist           MNIST from ``--data-root`` (any format ``ftprop.data.mnist`` reads); training sets
  fashion-mnist   from the 60,000 training images; k in 2, 6, 10, 20, 30, 40 by default.
                  Protocol ``bemi``: 800 test images per digit from the test set (drawn once with
                  ``--seed``); protocol ``icarte``: the full test set. One fit is scored on both.
                  Protocol ``bemi-published``: BeMi's released code (INFORMSJoC/2023.0281,
                  ``scripts/discrete_NN.py``) as it runs: training sets by position
                  (``published_splits``, no random draw, ``--seed`` unused), the first 800 test
                  images of every digit, and its vote rule for one-vs-one ensembles (a tie of
                  two classes goes to their pair network, a tie of three or more counts as wrong)

Methods: see ``few_shot_methods.py``. One JSONL row per (method, k, split, protocol): method, k,
split, seed, model_seed, protocol, train_acc, test_acc, all_good (Icarte's "all outputs right",
single networks with one sign output per class), wall_time_s (the fit), status (and members /
proof scope for exact methods), time limit, versions. Rows are appended as they finish under
``benchmarks/results/<stem>.jsonl``; a rerun skips finished rows (``--fresh`` starts over); the
Markdown table and PNG plot are regenerated from all rows.

    python benchmarks/few_shot.py                                    # 8x8 digits
    python benchmarks/few_shot.py --dataset mnist --data-root DIR    # both MNIST protocols
    python benchmarks/few_shot.py --dataset mnist --data-root DIR --method ovo-l2 --per-class 10 --json
    python benchmarks/few_shot.py --quick                            # CI smoke (digits, k = 2)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from few_shot_methods import METHODS, NEEDS_TORCH, SINGLE, fit_and_score  # noqa: E402
from few_shot_report import report  # noqa: E402
from ftprop.io import append_jsonl, read_jsonl, versions  # noqa: E402

DATASETS = ("digits", "mnist", "fashion-mnist")
DEFAULT_METHODS = {"digits": ("exact-real", "exact-ternary", "exact-l2", "ovo-l2", "bemi-ternary", "ftprop-mb",
                              "sste", "logreg", "mlp"),
                   "mnist": ("ovo-l2", "ovo-l2-shift", "exact-l2", "exact-real", "ftprop-mb", "sste", "logreg",
                             "logreg-shift", "mlp")}


@dataclass(frozen=True)
class Config:
    dataset: str = "digits"  # digits, mnist or fashion-mnist
    data_root: str | None = None  # where mnist / fashion-mnist live (never a default path)
    ks: tuple[int, ...] = (2, 6, 10)  # training images per class
    splits: int = 5  # disjoint training sets per k
    seed: int = 0  # which training sets (and which 800-per-digit test images) are drawn
    published_ks: tuple[int, ...] = (2, 6, 10, 20, 30, 40)  # bemi-published: the k list positions are laid out by
    methods: tuple[str, ...] = DEFAULT_METHODS["digits"]
    protocols: tuple[str, ...] = ("rest",)  # rest (digits); bemi and/or icarte (mnist)
    classes: tuple[int, ...] | None = None  # classes to keep (None: all ten)
    time_limit: float | None = None  # per instance, overrides the three below when given
    single_time_limit: float = 60.0  # one exact network's solve (the target: <= 60 s per instance)
    ensemble_time_limit: float = 600.0  # a whole ensemble (the target: <= 10 min per instance)
    member_time_limit: float = 60.0  # each ensemble member's solve
    pair_time_limit: float = 1.0  # each bemi-ternary pair network (45 per instance)
    seeds_members: int = 5  # networks in seeds-l2
    epochs: int = 200  # FTPROP-MB / SSTE epochs and the exact init's (Adam, lr 1e-2 cosine, batch 32)
    n_jobs: int | None = None  # joblib workers for ensemble members
    out: str = "benchmarks/results"
    stem: str = "few_shot"


QUICK = Config(ks=(2,), splits=1, classes=(0, 1, 2, 3), single_time_limit=5.0, ensemble_time_limit=20.0,
               member_time_limit=2.0, pair_time_limit=0.3, seeds_members=2, epochs=30, stem="few_shot_quick")


def disjoint_splits(y: np.ndarray, k: int, n_splits: int, seed: int) -> list[np.ndarray]:
    """Training indices of ``n_splits`` disjoint few-shot sets with k examples of every class."""
    rng = np.random.default_rng(seed)
    perms = {c: rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)}
    short = [c for c, p in perms.items() if len(p) < k * n_splits]
    if short:
        raise ValueError(f"class {short[0]} has too few examples for {n_splits} disjoint sets of {k}")
    return [np.sort(np.concatenate([p[s * k : (s + 1) * k] for p in perms.values()])) for s in range(n_splits)]


def published_splits(y: np.ndarray, ks: tuple[int, ...], k: int, n_splits: int) -> list[np.ndarray]:
    """BeMi's released training sets (``index_function`` of ``scripts/discrete_NN.py``).

    Instance i at k images per class takes positions a .. a + k - 1 of every class in the
    dataset's own order, a = (sum of the k values listed before k in ``ks``) * n_splits + k * i:
    no random draw, and no image is shared between instances or between k values. (The issue's
    shorthand "positions i·k .. (i+1)·k - 1" is the first k of the list; the script offsets
    every later k past the images of the earlier ones.)
    """
    first = sum(ks[: ks.index(k)]) * n_splits
    by_class = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    short = [c for c, idx in by_class.items() if len(idx) < first + k * n_splits]
    if short:
        raise ValueError(f"class {short[0]} has too few examples for BeMi's training sets at k = {k}")
    return [np.sort(np.concatenate([idx[first + i * k : first + (i + 1) * k] for idx in by_class.values()]))
            for i in range(n_splits)]


def first_per_class(y: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` indices of every class in the dataset's order (BeMi's test set at n = 800)."""
    return np.sort(np.concatenate([np.flatnonzero(y == c)[:n] for c in np.unique(y)]))


def per_class_sample(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` indices of every class (fewer where a class has fewer), drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(y == c))[:n] for c in np.unique(y)]))


def _load(cfg: Config):
    from ftprop.data import DataOptions, load_dataset

    ds = load_dataset(cfg.dataset, DataOptions(data_root=cfg.data_root))
    X, y, Xt, yt = ds.X.astype(np.float64), ds.y, ds.X_test, ds.y_test
    if cfg.classes is not None:
        keep = np.isin(y, cfg.classes)
        X, y = X[keep], y[keep]
        if Xt is not None:
            keep = np.isin(yt, cfg.classes)
            Xt, yt = Xt[keep], yt[keep]
    if Xt is None:
        return X, y, None
    Xt = Xt.astype(np.float64)
    tests = {}
    if "bemi" in cfg.protocols:
        idx = per_class_sample(yt, 800, cfg.seed)
        tests["bemi"] = (Xt[idx], yt[idx])
    if "icarte" in cfg.protocols:
        tests["icarte"] = (Xt, yt)
    if "bemi-published" in cfg.protocols:
        idx = first_per_class(yt, 800)
        tests["bemi-published"] = (Xt[idx], yt[idx])
    return X, y, tests


def run(cfg: Config, *, fresh: bool = False, as_json: bool = False, log=print) -> Path:
    rows_path = Path(cfg.out) / f"{cfg.stem}.jsonl"
    if fresh and rows_path.exists():
        rows_path.unlink()
    done = {(r["method"], r["k"], r["split"], r.get("protocol", "rest"), r.get("seed", 0))
            for r in (read_jsonl(rows_path) if rows_path.exists() else [])}
    X, y, fixed_tests = _load(cfg)
    if set(NEEDS_TORCH) & set(cfg.methods):
        import torch  # noqa: F401  (once here, so that no row's wall time pays for the import)
    vers = versions()
    if not as_json:
        log(f"config: {json.dumps(asdict(cfg))}")
    for k in cfg.ks:
        published = cfg.protocols == ("bemi-published",)
        if published and k not in cfg.published_ks:
            raise ValueError(f"bemi-published: k = {k} is not one of BeMi's {list(cfg.published_ks)}")
        splits = (published_splits(y, cfg.published_ks, k, cfg.splits) if published
                  else disjoint_splits(y, k, cfg.splits, cfg.seed))
        for s, train in enumerate(splits):
            if fixed_tests is None:
                test = np.setdiff1d(np.arange(len(y)), train)
                tests = {"rest": (X[test], y[test])}
            else:
                tests = fixed_tests
            for method in cfg.methods:
                todo = [p for p in tests if (method, k, s, p, cfg.seed) not in done]
                if not todo:
                    continue
                model_seed = 1000 * k + s
                common, per_test = fit_and_score(method, cfg, model_seed, cfg.time_limit, X[train], y[train],
                                                 {p: tests[p] for p in todo})
                for protocol in todo:
                    row = {"method": method, "k": k, "split": s, "seed": cfg.seed, "model_seed": model_seed,
                           "protocol": protocol, "dataset": cfg.dataset, "n_train": int(len(train)),
                           **({"positions": _positions(cfg, k, s)} if published else {}),
                           **per_test[protocol], **common, "time_limit": _limit(method, cfg), "versions": vers}
                    append_jsonl(rows_path, [row])
                    if as_json:
                        print(json.dumps(row), flush=True)
                    else:
                        good = f" all-good {row['all_good']:.3f}" if row["all_good"] is not None else ""
                        log(f"k={k} split={s} {protocol:6s} {method:13s} test {row['test_acc']:.3f}{good} "
                            f"train {row['train_acc']:.3f} {row['wall_time_s']:7.2f} s  {row['status']}")
    report(rows_path, METHODS)
    return rows_path


def _positions(cfg: Config, k: int, i: int) -> list[int]:
    """[first, last] position within every class of BeMi's instance i at k (``published_splits``)."""
    first = sum(cfg.published_ks[: cfg.published_ks.index(k)]) * cfg.splits + k * i
    return [first, first + k - 1]


def _limit(method: str, cfg: Config):
    if cfg.time_limit is not None:
        return cfg.time_limit
    if method in SINGLE:
        return cfg.single_time_limit
    if method.startswith("ovo-") or method == "seeds-l2":
        return {"total": cfg.ensemble_time_limit, "member": cfg.member_time_limit}
    return {"pair": cfg.pair_time_limit} if method == "bemi-ternary" else None


def _list(kind, lowest=1):
    def parse(text):
        try:
            values = tuple(kind(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of numbers, got {text!r}") from None
        if any(v < lowest for v in values):
            raise argparse.ArgumentTypeError(f"every value must be >= {lowest}, got {text!r}")
        return values
    return parse


def main(argv=None) -> int:
    from ftprop.cli import _Parser
    from ftprop.cli.argtypes import positive_int, seconds
    from ftprop.errors import InputError

    p = _Parser(prog="few_shot.py", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=DATASETS, default="digits")
    p.add_argument("--data-root", help="folder (or file) holding MNIST / Fashion-MNIST in any usual format")
    p.add_argument("--protocol", choices=("bemi", "icarte", "both", "bemi-published"), default="both",
                   help="MNIST test sets: bemi (800 per digit drawn with --seed), icarte (full test set), both "
                   "(default; one fit scored on each), or bemi-published: BeMi's released code exactly "
                   "(training sets by position, the first 800 test images per digit, its vote rule)")
    p.add_argument("--per-class", type=_list(int), help="k values, e.g. 2,6,10")
    p.add_argument("--splits", type=positive_int, help="disjoint training sets per k (default 5)")
    p.add_argument("--seed", type=_list(int, 0), help="which training sets are drawn (default 0)")
    p.add_argument("--method", help=f"comma-separated subset of {','.join(METHODS)}")
    p.add_argument("--time-limit", type=seconds, help="seconds per instance (a whole ensemble; default: "
                   "60 for a single network, 600 for an ensemble)")
    p.add_argument("--n-jobs", type=int, help="joblib workers for ensemble members (-1: every core)")
    p.add_argument("--classes", type=_list(int, 0), help="classes to keep, e.g. 0,1,2,3 (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON row per instance instead of a line")
    p.add_argument("--quick", action="store_true", help="CI smoke: digits, k = 2, one split, small limits")
    p.add_argument("--out", help="output directory (default benchmarks/results)")
    p.add_argument("--stem", help="output file stem (default few_shot, few_shot_<dataset>)")
    p.add_argument("--fresh", action="store_true", help="discard earlier rows instead of resuming")
    p.add_argument("--report-only", action="store_true", help="regenerate table and plot from the rows")
    a = p.parse_args(argv)
    cfg = QUICK if a.quick else Config()
    if a.dataset != "digits":
        protocols = ("bemi", "icarte") if a.protocol == "both" else (a.protocol,)
        cfg = replace(cfg, dataset=a.dataset, data_root=a.data_root, ks=(2, 6, 10, 20, 30, 40), protocols=protocols,
                      methods=DEFAULT_METHODS["mnist"], stem=f"few_shot_{a.dataset.replace('-', '_')}")
    seeds = a.seed or (0,)
    updates = {"out": a.out, "stem": a.stem, "ks": a.per_class, "splits": a.splits, "time_limit": a.time_limit,
               "n_jobs": a.n_jobs, "classes": a.classes}
    cfg = replace(cfg, **{key: v for key, v in updates.items() if v is not None})
    if a.method:
        bad = [m for m in a.method.split(",") if m not in METHODS]
        if bad:
            p.error(f"--method: unknown method {bad[0]!r}; valid: {', '.join(METHODS)}")
        cfg = replace(cfg, methods=tuple(a.method.split(",")))
    rows_path = Path(cfg.out) / f"{cfg.stem}.jsonl"
    try:
        if a.report_only:
            if not rows_path.exists():
                raise InputError(f"--report-only: no rows at {rows_path}")
            print(report(rows_path, METHODS))
            return 0
        for seed in seeds:
            run(replace(cfg, seed=seed), fresh=a.fresh and seed == seeds[0], as_json=a.json)
    except (InputError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except ModuleNotFoundError as exc:
        if exc.name != "torch":
            raise
        sys.stderr.write(f"error: methods {', '.join(m for m in cfg.methods if m in NEEDS_TORCH)} need PyTorch: "
                         "pip install 'ftprop[torch]' (or leave them out with --method)\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
