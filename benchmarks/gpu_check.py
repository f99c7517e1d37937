"""GPU check of the mini-batch engine: closed forms on the device, then images/s ReLU vs FTP-SH.

1. Closed forms: every rule's backward on the device (fp32 and under autocast) against the
   formulas, computed on CPU in fp64. Catches device-specific paths (the soft hinge uses
   tanh_backward on CUDA and a sigmoid form on CPU) and the fp32 backward under AMP.
2. Throughput: convnet4 on synthetic CIFAR-10 tensors (3x32x32) and resnet18 on synthetic
   ImageNet tensors (3x224x224), ReLU vs sign + soft-hinge (FTP-SH), AMP on, images/s over a
   few training steps (forward + backward + SGD step) after a warm-up.

    python benchmarks/gpu_check.py                      # CUDA, about a minute on one H100
    python benchmarks/gpu_check.py --device cpu --tiny  # smoke test of the script itself

Prints a table and writes one JSON document (environment, checks, rows) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run from a checkout without installing

from minibatch import RULES, Sign, build_model  # noqa: E402
from minibatch import functional as MF  # noqa: E402


@dataclass(frozen=True)
class Config:
    device: str = "cuda"
    tiny: bool = False  # small batches and images, few steps: a CPU smoke test
    amp_dtype: str = "bfloat16"  # autocast dtype: bfloat16 or float16 (with a GradScaler)
    amp: bool = True  # autocast in the throughput part (CPU: off; bf16 convs are emulated there)
    compile: bool = False  # also time torch.compile'd models (adds compile time)
    warmup: int = 5  # untimed steps per model (cuDNN autotuning, allocator)
    steps: int = 20  # timed steps per model
    seed: int = 0
    out: str = str(ROOT / "results" / "gpu_check.json")


def settings(cfg: Config):
    """(model, input shape, batch) for the throughput part."""
    if cfg.tiny:
        return [("convnet4", (3, 32, 32), 8), ("resnet18", (3, 64, 64), 4)]
    return [("convnet4", (3, 32, 32), 512), ("resnet18", (3, 224, 224), 128)]


def reference(rule: str, c, g, weighted: bool):
    """The closed forms of minibatch.rules, written out once more (fp64, on CPU)."""
    scale = g if weighted else torch.sign(g) / g.shape[0]  # unweighted: a mean over the batch
    if rule == "ste":
        return scale
    if rule in ("sste", "sat-hinge"):
        return scale * (c.abs() <= 1)
    if rule == "hinge":
        return scale * (torch.sign(-g) * c <= 1)
    return scale * (1 - torch.tanh(c) ** 2)


def check_closed_forms(cfg: Config) -> dict:
    gen = torch.Generator().manual_seed(cfg.seed)
    c = torch.cat([torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0]), 3 * torch.randn(995, generator=gen)])
    g = torch.randn(1000, generator=gen)
    g[::7] = 0
    out = {}
    for rule in RULES:
        for weighted in (True, False):
            for dtype in (torch.float32, torch.float16, torch.bfloat16):
                if cfg.device == "cpu" and dtype == torch.float16:
                    continue
                x = c.to(cfg.device, dtype).clone().requires_grad_(True)
                MF.sign(x, rule=rule, weighted=weighted).backward(g.to(cfg.device, dtype))
                # compare against the formula at the rounded inputs the device actually saw
                want_d = reference(rule, x.detach().double().cpu(), g.to(dtype).double(), weighted)
                err = (x.grad.double().cpu() - want_d).abs().max().item()
                tol = {torch.float32: 1e-6, torch.float16: 2e-3, torch.bfloat16: 2e-2}[dtype]
                out[f"{rule}/{'w' if weighted else 'u'}/{str(dtype)[6:]}"] = {
                    "max_abs_err": err, "ok": err <= tol * max(1.0, want_d.abs().max().item())}
    # the whole path under autocast: linear in low precision -> sign -> linear
    torch.manual_seed(cfg.seed)
    net = nn.Sequential(nn.Linear(64, 64), Sign(rule="soft-hinge"), nn.Linear(64, 10)).to(cfg.device)
    xb = torch.randn(32, 64, device=cfg.device)
    with torch.autocast(cfg.device.split(":")[0], dtype=getattr(torch, cfg.amp_dtype)):
        loss = net(xb).float().logsumexp(1).mean()
    loss.backward()
    grad = net[0].weight.grad
    out["autocast/linear-sign-linear"] = {
        "grad_dtype": str(grad.dtype), "ok": bool(torch.isfinite(grad).all()) and grad.abs().sum().item() > 0}
    return out


def throughput(cfg: Config, name: str, shape, batch: int, activation: str, compiled: bool) -> dict:
    torch.manual_seed(cfg.seed)
    model = build_model(name, input_shape=shape, num_classes=1000 if name == "resnet18" else 10,
                        activation=activation, rule="soft-hinge").to(cfg.device)
    if cfg.device.startswith("cuda"):
        model = model.to(memory_format=torch.channels_last)
    run = torch.compile(model) if compiled else model
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    dtype = getattr(torch, cfg.amp_dtype)
    device_type = cfg.device.split(":")[0]
    use_scaler = cfg.amp and dtype == torch.float16 and device_type == "cuda"
    scaler = _grad_scaler(use_scaler)
    x = torch.randn(batch, *shape, device=cfg.device)
    y = torch.randint(0, 10, (batch,), device=cfg.device)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type, dtype=dtype, enabled=cfg.amp):
            loss = nn.functional.cross_entropy(run(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()

    t0 = time.perf_counter()
    for _ in range(cfg.warmup):
        step()
    _sync(cfg.device)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(cfg.steps):
        step()
    _sync(cfg.device)
    elapsed = time.perf_counter() - t0
    mem = torch.cuda.max_memory_allocated() / 2**20 if device_type == "cuda" else None
    if device_type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    return {"model": name, "input": list(shape), "batch": batch, "activation": activation,
            "rule": "soft-hinge" if activation == "sign" else None, "compiled": compiled,
            "amp_dtype": cfg.amp_dtype if cfg.amp else None, "steps": cfg.steps, "images_per_s": batch * cfg.steps / elapsed,
            "ms_per_step": 1e3 * elapsed / cfg.steps, "warmup_s": warm, "peak_mem_mib": mem}


def _grad_scaler(enabled: bool):
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "GradScaler"):
        return amp.GradScaler("cuda", enabled=enabled)
    return torch.cuda.amp.GradScaler(enabled=enabled)


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def parse_args(argv=None) -> Config:
    d = Config()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default=d.device)
    p.add_argument("--tiny", action="store_true")
    p.add_argument("--amp-dtype", default=d.amp_dtype, choices=["bfloat16", "float16"])
    p.add_argument("--no-amp", action="store_true", help="no autocast in the throughput part")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--out", default=d.out)
    a = p.parse_args(argv)
    warmup = a.warmup if a.warmup is not None else (1 if a.tiny else d.warmup)
    steps = a.steps if a.steps is not None else (2 if a.tiny else d.steps)
    amp = not a.no_amp and not a.device.startswith("cpu")
    return Config(a.device, a.tiny, a.amp_dtype, amp, a.compile, warmup, steps, a.seed, a.out)


def main(argv=None) -> int:
    cfg = parse_args(argv)
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_check: CUDA is not available; use --device cpu --tiny for a smoke test")
        return 2
    if cfg.device == "cpu":
        torch.set_num_threads(min(2, torch.get_num_threads()))
    else:
        torch.backends.cudnn.benchmark = True
    print("config:", json.dumps(asdict(cfg)))
    t_start = time.perf_counter()
    env = {"torch": torch.__version__, "python": platform.python_version(), "device": cfg.device,
           "device_name": torch.cuda.get_device_name(cfg.device) if cfg.device.startswith("cuda")
           else platform.processor() or platform.machine(),
           "cuda": torch.version.cuda, "threads": torch.get_num_threads(), "seed": cfg.seed}
    checks = check_closed_forms(cfg)
    failed = [k for k, v in checks.items() if not v["ok"]]
    print(f"closed forms: {len(checks) - len(failed)}/{len(checks)} ok" + (f"; FAILED {failed}" if failed else ""))
    rows = []
    for name, shape, batch in settings(cfg):
        for compiled in (False, True) if cfg.compile else (False,):
            for activation in ("relu", "sign"):
                rows.append(throughput(cfg, name, shape, batch, activation, compiled))
    print(f"\n| model | input | batch | mode | activation | images/s | ms/step | vs ReLU |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        base = next(b for b in rows if b["model"] == r["model"] and b["compiled"] == r["compiled"]
                    and b["activation"] == "relu")
        r["ratio_time_to_relu"] = base["images_per_s"] / r["images_per_s"]
        label = "relu" if r["activation"] == "relu" else "sign/soft-hinge"
        mode = "compiled" if r["compiled"] else "eager"
        print(f"| {r['model']} | {'x'.join(map(str, r['input']))} | {r['batch']} | {mode} | {label} | "
              f"{r['images_per_s']:.0f} | {r['ms_per_step']:.2f} | x{r['ratio_time_to_relu']:.3f} |")
    doc = {"env": env, "config": asdict(cfg), "checks": checks, "rows": rows,
           "wall_s": round(time.perf_counter() - t_start, 2), "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    Path(cfg.out).parent.mkdir(parents=True, exist_ok=True)
    Path(cfg.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nwrote {cfg.out} in {doc['wall_s']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
