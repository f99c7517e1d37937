"""Heuristic learners on the exact engine's tiny instances, and the hidden targets they imply.

Two heuristics, both judged as hard-threshold networks of exactly the architecture the exact
engine searches ([d, h1, ..., k] sign units, one output unit for two classes, k one-vs-rest
units otherwise; an example is a training error when any output unit has the wrong sign):

* full-batch FTPROP: the ``ftprop`` backend of :mod:`combinatorial` (see its docstring);
* FTPROP-MB: an MLP ``Linear -> Sign(rule) -> ... -> Linear`` trained with Adam, full batch or
  mini-batch, for each target rule of :mod:`minibatch`.

FTPROP-MB readout (a choice the paper leaves to the task): the last layer is linear during
training with the hinge loss mean(max(0, 1 - y z)) on its pre-activations z (±1 one-vs-rest
targets y), and the network's prediction is sign(z). So the output layer *is* a sign unit whose
layer loss is the hinge, exactly the exact engine's output unit; a cross-entropy readout would
train a different model than the one whose errors we count. Inputs are standardised with the
training statistics (an affine map the first layer absorbs, so the function class is the same).
A run stops at the first epoch whose hard-threshold network makes no training error; otherwise
it reports the epoch with the fewest errors. Its targets are the hidden activations at that
epoch, and its "last t = sign(-g)" is one full-data backward pass of the training loss at that
epoch (t = the activation itself where g = 0: no layer above asks for a change).

Warm starts for the exact backends (:func:`warm_start_targets`) come from either heuristic or
from a JSON file holding ``hidden_targets`` (as ``ftprop solve --save`` writes it).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from combinatorial.problem import Problem, standardised


from ftprop.errors import InputError

WARM_SOURCES = ("fullbatch", "minibatch")
OLD_SOURCES = {"ftprop": "fullbatch"}  # accepted with a note: "ftprop" also meant FTPROP-MB elsewhere


@dataclass(frozen=True)
class MBConfig:
    rule: str = "soft-hinge"  # target rule of the hidden Sign units (FTP-SH, the paper's best)
    weighted: bool = True  # weight each unit's loss by |dL/dh| as in all of the paper's runs
    epochs: int = 300  # passes over the training set (tiny data: many cheap passes)
    batch_size: int | None = None  # None: full batch; else mini-batches of this size
    lr: float = 0.01  # Adam step; larger than the paper's because the nets are tiny
    time_limit: float | None = None  # seconds; the run stops at the end of the epoch that passes it


@dataclass
class MBRun:
    rule: str
    seed: int
    train_errors: int  # of the reported epoch (the first with 0 errors, else the best)
    final_errors: int  # of the last epoch trained
    epochs: int  # epochs trained
    best_epoch: int
    hidden_activations: list[np.ndarray]  # per hidden layer, n x width ±1 (original examples)
    sign_targets: list[np.ndarray]  # per hidden layer, t = sign(-g) at the reported epoch
    wall_time_s: float
    errors_by_epoch: list[int] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.train_errors == 0


def run_minibatch(problem: Problem, *, config: MBConfig = MBConfig(), seed: int = 0) -> MBRun:
    """Train FTPROP-MB on ``problem`` (its original examples and ±1 targets) and report."""
    import torch
    from torch import nn

    from minibatch import Sign

    start = time.monotonic()
    torch.set_num_threads(1)  # tiny nets: threads cost more than they bring on shared cores
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    Xt = torch.tensor(standardised(problem.X), dtype=torch.float32)
    Yt = torch.tensor(problem.Y, dtype=torch.float32)
    n = len(Xt)
    layers, acts, width_in = [], [], Xt.shape[1]
    for width in problem.hidden:
        act = Sign(rule=config.rule, weighted=config.weighted)
        layers += [nn.Linear(width_in, width), act]
        acts.append(act)
        width_in = width
    model = nn.Sequential(*layers, nn.Linear(width_in, problem.n_outputs))
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    batch = n if config.batch_size is None else min(config.batch_size, n)

    def errors() -> int:
        with torch.no_grad():
            z = model(Xt)
        return int(torch.any(torch.where(z >= 0, 1.0, -1.0) != Yt, dim=1).sum())

    history, best = [], None
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(n) if batch < n else np.arange(n)
        for s in range(0, n, batch):
            idx = torch.as_tensor(order[s : s + batch])
            loss = torch.clamp(1 - Yt[idx] * model(Xt[idx]), min=0).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        e = errors()
        history.append(e)
        if best is None or e < best[0]:
            best = (e, epoch, {k: v.clone() for k, v in model.state_dict().items()})
        if e == 0 or (config.time_limit is not None and time.monotonic() - start > config.time_limit):
            break
    final = history[-1]
    model.load_state_dict(best[2])
    H, T = _activations_and_targets(model, Xt, Yt, acts)
    return MBRun(config.rule, seed, best[0], final, len(history), best[1], H, T,
                 time.monotonic() - start, history)


def _activations_and_targets(model, Xt, Yt, acts):
    """Hidden activations and t = sign(-dL/dh) of one full-data pass (t = h where g = 0)."""
    import torch

    outs = []

    def keep(module, inputs, output):  # returns None: the output itself is unchanged
        output.retain_grad()
        outs.append(output)

    handles = [a.register_forward_hook(keep) for a in acts]
    try:
        loss = torch.clamp(1 - Yt * model(Xt), min=0).mean()
        model.zero_grad()
        loss.backward()
    finally:
        for h in handles:
            h.remove()
    H, T = [], []
    for o in outs:
        h = o.detach().numpy()
        g = o.grad.numpy() if o.grad is not None else np.zeros_like(h)
        H.append(np.where(h >= 0, 1, -1).astype(np.int8))
        T.append(np.where(g < 0, 1, np.where(g > 0, -1, np.where(h >= 0, 1, -1))).astype(np.int8))
    return H, T


def run_fullbatch(problem: Problem, *, seed: int = 0, time_limit: float | None = None,
               max_restarts: int | None = None):
    """Full-batch FTPROP (the ``fullbatch`` backend) with the solver's refit-and-verify step.

    ``max_restarts`` (None: until ``time_limit``) makes the run's outcome independent of machine
    load unless the time limit cuts it short. Returns (Solution, trace): the trace adds the last
    sign-rule targets (merged examples).
    """
    from combinatorial import solve
    from combinatorial.backends.fullbatch import FTPropConfig

    solution = solve(problem, backend="fullbatch", seed=seed, time_limit=time_limit,
                     backend_options=FTPropConfig(max_restarts=max_restarts))
    return solution, solution.trace


def warm_start_targets(source: str, problem: Problem, *, seed: int = 0, time_limit: float | None = None,
                       mb_config: MBConfig | None = None, ftprop_restarts: int | None = None) -> tuple[tuple[np.ndarray, ...], dict]:
    """Hidden targets (per layer, n x width ±1 on the original examples) to hint an exact solve.

    ``source`` is ``fullbatch`` (full-batch FTPROP; its best targets even when it fails; the old
    name ``ftprop`` is accepted),
    ``minibatch`` (FTPROP-MB's hidden activations) or a path to a JSON file with
    ``hidden_targets``. Returns (targets, info) where info says what produced them and how long
    it took.
    """
    start = time.monotonic()
    if not problem.hidden:
        raise InputError("a warm start needs at least one hidden layer")
    source = OLD_SOURCES.get(source, source)
    if source == "fullbatch":
        solution, _ = run_fullbatch(problem, seed=seed, time_limit=time_limit if time_limit else 5.0,
                                 max_restarts=ftprop_restarts)
        if solution.hidden_targets is None:
            raise InputError("warm start: full-batch FTPROP produced no targets")
        targets = tuple(np.asarray(T, dtype=np.int8) for T in solution.hidden_targets)
        info = {"source": "fullbatch", "status": solution.status.value, "train_errors": solution.train_errors}
    elif source == "minibatch":
        cfg = mb_config or MBConfig(time_limit=time_limit)
        run = run_minibatch(problem, config=cfg, seed=seed)
        targets = tuple(run.hidden_activations)
        info = {"source": "minibatch", "rule": cfg.rule, "train_errors": run.train_errors}
    else:
        targets = load_targets(source, problem)
        info = {"source": str(source)}
    info["time_s"] = round(time.monotonic() - start, 4)
    return targets, info


def load_targets(path: str | Path, problem: Problem) -> tuple[np.ndarray, ...]:
    """Read ``hidden_targets`` from a JSON file and check them against ``problem``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"warm start {path}: no such file (expected ftprop, minibatch or a JSON file)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"warm start file {path}: not a JSON file ({exc})") from None
    layers = data.get("hidden_targets") if isinstance(data, dict) else None
    if not isinstance(layers, list):
        raise InputError(f"warm start file {path}: no 'hidden_targets' list (a saved solution has one)")
    if len(layers) != len(problem.hidden):
        raise InputError(f"warm start file {path}: {len(layers)} hidden layers of targets, "
                         f"but the network has {len(problem.hidden)}")
    out = []
    for l, (T, width) in enumerate(zip(layers, problem.hidden), start=1):
        try:
            T = np.asarray(T, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"warm start file {path}: layer {l} targets are not a numeric table") from None
        if T.shape != (problem.n_examples, width):
            raise InputError(f"warm start file {path}: layer {l} targets have shape {T.shape}, "
                             f"expected ({problem.n_examples}, {width}) (examples x width)")
        if not np.all(np.abs(T) == 1):
            raise InputError(f"warm start file {path}: layer {l} targets must be -1 or +1")
        out.append(T.astype(np.int8))
    return tuple(out)
