"""Activation modules: hard thresholds (Sign, Step, Staircase) and float baselines.

Each hard-threshold module is a thin wrapper around its Function in
:mod:`minibatch.functional` (the maths lives there) plus an optional diagnostics hook:

    act = Sign(rule="soft-hinge", weighted=True)
    act.track_stats = True          # off by default; costs nothing while off
    ... forward, backward ...
    act.pop_stats()                 # {"disagree": .., "zero_target": .., "saturated": .., "total": ..}

While ``track_stats`` is True each forward registers a hook on its output that receives
g = dL/dh in the backward pass and counts, over units x examples:

    disagree     sign-activation != target t = sign(-g), among entries with t != 0
    zero_target  g == 0 (t = 0: the unit gets no gradient)
    saturated    |c| > 1, outside the window (c: the centred pre-activation, z or 2x - 1)
    total        all entries

``pop_stats`` returns ``disagree`` as a fraction of the entries with t != 0, ``zero_target`` and
``saturated`` as fractions of ``total``, and ``total`` itself as a count; then it resets. With
no backward pass since the last pop the fractions are NaN and ``total`` is 0. Counts stay on the
tensors' device until popped (no host synchronisation per step). Tracking works in eager mode;
under torch.compile leave it off.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from . import functional as F
from .rules import Rule

__all__ = ["Sign", "Step", "Staircase", "ReLU", "SatReLU", "ACTIVATIONS", "activation"]

_STAT_NAMES = ("disagree", "zero_target", "saturated", "total")


class _HardThreshold(nn.Module):
    """Shared part of the hard-threshold modules: rule validation and the statistics hook."""

    #: the activation's window [lo, hi] on its input; the centred pre-activation is
    #: c = (2x - lo - hi) / (hi - lo).
    window = (-1.0, 1.0)

    def __init__(self, rule: str | Rule = "soft-hinge", weighted: bool = True):
        super().__init__()
        self.rule: Rule = F.check_rule_options(rule, weighted)  # a Rule from here on
        self.weighted = weighted
        self.track_stats = False
        self._stat_counts: Tensor | None = None

    def _apply_fn(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        out = self._apply_fn(x)
        if self.track_stats and out.requires_grad:
            saved = x.detach()
            out.register_hook(lambda g: self._count(saved, g))
        return out

    @torch.no_grad()
    def _count(self, x: Tensor, g: Tensor) -> None:
        lo, hi = self.window
        # sign-activation and target in {-1, +1} / {-1, 0, +1}; ties at c = 0 go to +1.
        positive = x >= (lo + hi) / 2
        nonzero = g != 0
        disagree = nonzero & (positive != (g < 0))
        saturated = (x < lo) | (x > hi)
        counts = torch.stack(
            [
                disagree.sum(),
                g.numel() - nonzero.sum(),
                saturated.sum(),
                torch.tensor(g.numel(), device=g.device),
            ]
        ).to(torch.float64)
        self._stat_counts = counts if self._stat_counts is None else self._stat_counts + counts
        return None

    def pop_stats(self) -> dict[str, float]:
        """Fractions since the last pop (see the module docstring), then reset."""
        counts = self._stat_counts
        self._stat_counts = None
        if counts is None:
            return {"disagree": math.nan, "zero_target": math.nan, "saturated": math.nan, "total": 0.0}
        disagree, zero, saturated, total = counts.tolist()
        targeted = total - zero
        return {
            "disagree": disagree / targeted if targeted else math.nan,
            "zero_target": zero / total,
            "saturated": saturated / total,
            "total": total,
        }

    def extra_repr(self) -> str:
        return f"rule={self.rule.name!r}, weighted={self.weighted}"


class Sign(_HardThreshold):
    """sign(z) in {-1, +1}, sign(0) = +1; backward by target rule ``rule`` on c = z.

    Forward: h = +1 if z >= 0 else -1. Backward (weighted; ``weighted=False`` puts sign(g) for g):
    ste g, sste / sat-hinge g [|z| <= 1], hinge g [t z <= 1], soft-hinge g (1 - tanh(z)^2),
    with t = sign(-g) and zero gradient where g = 0.
    """

    def _apply_fn(self, x: Tensor) -> Tensor:
        return F.SignFunction.apply(x, self.rule, self.weighted)


class Step(_HardThreshold):
    """step(z) in {0, 1}, step(0) = 1; backward exactly as :class:`Sign` (targets (t + 1)/2)."""

    def _apply_fn(self, x: Tensor) -> Tensor:
        return F.StepFunction.apply(x, self.rule, self.weighted)


class Staircase(_HardThreshold):
    """Quantized ReLU with values 0, 1/n, ..., 1 (n = ``levels``), thresholds by ``quantizer``.

    quantizer "round" (DoReFa): floor(clip(n x + 1/2, 0, n)) / n; "ceil" (the paper's code):
    clip(ceil((n - 1) x), 0, n) / n (see :mod:`minibatch.functional`).
    Backward: the rule on c = 2x - 1, window 0 <= x <= 1: sste / sat-hinge g [0 <= x <= 1],
    soft-hinge g (1 - tanh(2x - 1)^2), ste g, hinge g [t (2x - 1) <= 1].
    """

    window = (0.0, 1.0)

    def __init__(self, levels: int = 3, rule: str | Rule = "soft-hinge", weighted: bool = True,
                 quantizer: str = "round"):
        super().__init__(rule=rule, weighted=weighted)
        self.levels, self.quantizer = F.check_staircase(levels, quantizer)

    def _apply_fn(self, x: Tensor) -> Tensor:
        return F.StaircaseFunction.apply(x, self.levels, self.rule, self.weighted, self.quantizer)

    def extra_repr(self) -> str:
        quantizer = "" if self.quantizer == "round" else f"quantizer={self.quantizer!r}, "
        return f"levels={self.levels}, {quantizer}" + super().extra_repr()


class ReLU(nn.ReLU):
    """Float baseline max(0, x) (plain ``nn.ReLU``; exists so that the registry names a class)."""


class SatReLU(nn.Hardtanh):
    """Float baseline clip(x, 0, 1): the staircase before quantization."""

    def __init__(self):
        super().__init__(min_val=0.0, max_val=1.0)


# name -> module class; the hard-threshold ones take rule and weighted.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "sign": Sign,
    "step": Step,
    "qrelu": Staircase,
    "relu": ReLU,
    "sat-relu": SatReLU,
}


def activation(name: str, *, rule: str | Rule = "soft-hinge", weighted: bool = True, **kw) -> nn.Module:
    """A fresh activation module by name: sign, step, qrelu (Staircase, levels=3), relu, sat-relu.

    ``rule`` and ``weighted`` are validated always and used by the hard-threshold ones; the float
    baselines ignore them, so a model builder can pass them unconditionally. ``kw`` goes to the
    constructor (``levels`` and ``quantizer`` for qrelu).
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid activations: {', '.join(ACTIVATIONS)}")
    rule = F.check_rule_options(rule, weighted)
    cls = ACTIVATIONS[name]
    if issubclass(cls, _HardThreshold):
        return cls(rule=rule, weighted=weighted, **kw)
    if kw:
        raise TypeError(f"activation {name!r} takes no options, got {sorted(kw)}")
    return cls()
