"""Cost of a hard-threshold training step relative to ReLU, eager and torch.compile'd.

One training step = forward + cross-entropy + backward + Adam step, on fixed synthetic inputs of
the model's shape (time does not depend on the values). For each model the same network is
built with ReLU and with sign + each target rule; the variants are timed *interleaved* (round r
times every variant once) so that load drift on a shared machine hits all of them alike. The
reported ratio is the median over rounds of the paired ratio t_variant(r) / t_relu(r); the
ratio of the fastest samples (min / min) is recorded too, and the median time per step.

    python benchmarks/minibatch_overhead.py [--model conv1d mlp] [--modes eager compiled]

appends one JSONL row per (model, mode, variant) to benchmarks/results/minibatch_overhead.jsonl
and rewrites benchmarks/results/minibatch_overhead.md from all rows (latest run per setting).
Targets: FTP-SH (sign, soft-hinge) <= 1.15x ReLU eager and <= 1.05x compiled.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from minibatch import RULES, build_model  # noqa: E402

RESULTS = ROOT / "results"

# model -> (input shape, default batch size, build_model options): MNIST-1D rows, and CIFAR
# images for convnet4. conv1d keeps the 32 channels without batch norm that the recorded rows
# were timed with (its default became 128 channels with batch norm later).
SETTINGS = {
    "conv1d": ((1, 40), 512, {"channels": 32, "batch_norm": False}),
    "mlp": ((40,), 512, {}),
    "convnet4": ((3, 32, 32), 64, {}),
}


@dataclass(frozen=True)
class Config:
    models: tuple[str, ...] = ("conv1d", "mlp")  # which networks to time
    modes: tuple[str, ...] = ("eager", "compiled")  # eager and/or torch.compile(model)
    rules: tuple[str, ...] = RULES  # sign + each of these, against ReLU
    batch: int = 0  # 0: the model's default from SETTINGS
    steps: int = 5  # training steps per timed sample
    rounds: int = 40  # timed samples per variant (interleaved); medians are reported
    warmup: int = 5  # untimed samples per variant first (compilation happens here)
    threads: int = 1  # torch intra-op threads
    device: str = "cpu"
    seed: int = 0
    results: str = str(RESULTS)  # folder for the JSONL rows and the Markdown table


def variants(rules):
    yield "relu", "relu", "soft-hinge"
    for rule in rules:
        yield f"sign/{rule}", "sign", rule


def make_step(model: nn.Module, opt: torch.optim.Optimizer, x, y):
    def step():
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_model(cfg: Config, name: str, mode: str):
    shape, default_batch, options = SETTINGS[name]
    batch = cfg.batch or default_batch
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.randn(batch, *shape, generator=gen).to(cfg.device)
    y = torch.randint(0, 10, (batch,), generator=gen).to(cfg.device)
    steps = {}
    for label, act, rule in variants(cfg.rules):
        torch.manual_seed(cfg.seed)
        model = build_model(name, input_shape=shape, num_classes=10, activation=act, rule=rule, **options)
        model = model.to(cfg.device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        run = model if mode == "eager" else torch.compile(model)
        steps[label] = make_step(run, opt, x, y)
    clock = clock_for(cfg)
    samples = {label: [] for label in steps}
    for r in range(cfg.warmup + cfg.rounds):
        for label, step in steps.items():
            sync(cfg.device)
            t0 = clock()
            for _ in range(cfg.steps):
                step()
            sync(cfg.device)
            if r >= cfg.warmup:
                samples[label].append((clock() - t0) / cfg.steps)
    return batch, samples


def clock_for(cfg: Config):
    """CPU with one thread: the process's CPU time, which waiting for a shared core does not
    inflate (wall time on a busy 2-core machine varies by 2x from round to round). CUDA, or
    several threads: wall time."""
    if cfg.device == "cpu" and cfg.threads == 1:
        return time.process_time
    return time.perf_counter


def environment(cfg: Config) -> dict:
    device = cfg.device
    if device.startswith("cuda"):
        device_name = torch.cuda.get_device_name(device)
    else:
        device_name = platform.processor() or platform.machine()
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device,
        "device_name": device_name,
        "threads": torch.get_num_threads(),
        "clock": "process_time" if clock_for(cfg) is time.process_time else "perf_counter",
    }


def write_table(path: Path, rows: list[dict]) -> None:
    latest = {}
    for row in rows:  # later rows win: the latest run per setting
        latest[(row["device"], row["model"], row["batch"], row["mode"], row["variant"])] = row
    lines = [
        "# Mini-batch engine overhead: time per training step relative to ReLU",
        "",
        "Generated by `benchmarks/minibatch_overhead.py` from `minibatch_overhead.jsonl` (latest",
        "run per setting). Step = forward + backward + Adam. Ratio: median over interleaved rounds",
        "of the paired ratio to ReLU; min/min: ratio of the fastest samples; ms/step: median.",
        "CPU with one thread is timed in process CPU time (robust to a shared machine), CUDA in",
        "wall time.",
        "Targets: sign/soft-hinge (FTP-SH) <= 1.15x eager, <= 1.05x compiled.",
        "",
        "| device | model | batch | mode | variant | ms/step | ratio to ReLU (IQR) | min/min | threads | torch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(latest, key=lambda k: (k[0], k[1], k[2], k[3])):
        r = latest[key]
        lines.append(
            f"| {r['device_name']} ({r['device']}) | {r['model']} | {r['batch']} | {r['mode']} | "
            f"{r['variant']} | {r['median_ms']:.3f} | {r['ratio_to_relu']:.3f} ({r['ratio_iqr']:.3f}) | "
            f"{r['ratio_of_min']:.3f} | {r['threads']} | "
            f"{r['torch']} |"
        )
    path.write_text("\n".join(lines) + "\n")


def parse_args(argv=None) -> Config:
    d = Config()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", nargs="+", default=list(d.models), choices=list(SETTINGS))
    p.add_argument("--modes", nargs="+", default=list(d.modes), choices=["eager", "compiled"])
    p.add_argument("--rules", nargs="+", default=list(d.rules), choices=list(RULES))
    p.add_argument("--batch", type=int, default=d.batch)
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--rounds", type=int, default=d.rounds)
    p.add_argument("--warmup", type=int, default=d.warmup)
    p.add_argument("--threads", type=int, default=d.threads)
    p.add_argument("--device", default=d.device)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--results", default=d.results)
    a = p.parse_args(argv)
    return Config(tuple(a.model), tuple(a.modes), tuple(a.rules), a.batch, a.steps, a.rounds,
                  a.warmup, a.threads, a.device, a.seed, a.results)


def main(argv=None) -> int:
    cfg = parse_args(argv)
    torch.set_num_threads(cfg.threads)
    print("config:", json.dumps(asdict(cfg)))
    env = environment(cfg)
    run_id = uuid.uuid4().hex[:12]
    out = Path(cfg.results)
    out.mkdir(parents=True, exist_ok=True)
    jsonl, table = out / "minibatch_overhead.jsonl", out / "minibatch_overhead.md"
    for name in cfg.models:
        for mode in cfg.modes:
            t0 = time.perf_counter()
            batch, samples = time_model(cfg, name, mode)
            wall = time.perf_counter() - t0
            relu = samples["relu"]
            with jsonl.open("a") as f:
                for label, s in samples.items():
                    med = statistics.median(s)
                    q = statistics.quantiles(s, n=4)
                    paired = [t / b for t, b in zip(s, relu)]
                    ratio = statistics.median(paired)
                    row = {
                        "run_id": run_id, "seed": cfg.seed, "model": name, "batch": batch,
                        "mode": mode, "variant": label, "median_ms": 1e3 * med,
                        "iqr_ms": 1e3 * (q[2] - q[0]), "ratio_to_relu": ratio,
                        "ratio_iqr": statistics.quantiles(paired, n=4)[2] - statistics.quantiles(paired, n=4)[0],
                        "ratio_of_min": min(s) / min(relu),
                        "rounds": cfg.rounds, "steps_per_round": cfg.steps,
                        "wall_s": round(wall, 2), "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        **env,
                    }
                    f.write(json.dumps(row) + "\n")
                    print(f"{name:9s} {mode:8s} {label:16s} {1e3 * med:8.3f} ms/step  "
                          f"x{ratio:.3f} (IQR {row['ratio_iqr']:.3f}; min/min x{row['ratio_of_min']:.3f})")
    write_table(table, [json.loads(line) for line in jsonl.read_text().splitlines() if line])
    print(f"wrote {jsonl} and {table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
