"""Target rules of FTPROP-MB: the one registry, with each rule's backward pass in closed form.

A hard-threshold unit has zero derivative almost everywhere. FTPROP-MB replaces it, per unit
and per example, by the gradient of a *layer loss*. With g = dL/dh the gradient arriving at the
unit's output and c its centred pre-activation (c = z for sign and step, c = 2x - 1 for the
staircase, see :mod:`minibatch.functional`):

    target      t = sign(-g)                 (t = 0 where g = 0: the unit is left alone)
    layer loss  |g| * L(c, t),  u = t * c
    grad_in     |g| * dL(c, t)/dc

========== ========================== ===================== ==================================
name       L(c, t)                    grad_in, weighted     grad_in, weighted=False
========== ========================== ===================== ==================================
ste        -t * c (linear)            g                     sign(g) / B
sste       min(2, max(0, 1 - u))      g * [|c| <= 1]        sign(g) * [|c| <= 1] / B
hinge      max(0, 1 - u)              g * [u <= 1]          sign(g) * [u <= 1] / B
sat-hinge  min(2, max(0, 1 - u))      g * [|c| <= 1]        sign(g) * [|c| <= 1] / B
soft-hinge tanh(-u) + 1   (FTP-SH)    g * (1 - tanh(c)^2)   sign(g) * (1 - tanh(c)^2) / B
========== ========================== ===================== ==================================

Since |g| * (-t) = g, every weighted rule is g times a window; without the weighting only
sign(g) reaches the layer, which is a genuinely different update (all units move equally hard).

Unweighted rules average over the mini-batch (B = the size of g's first dimension, the batch):
the layer loss is a mean over the batch, as the weighted rules' g already is (a mean loss puts
1/B into g). This follows the paper's released code (``grad_input * (1.0 / grad_output.size(0))``
in its ``targetprop.py`` and ``activations.py``); without it the unweighted ablation is B times
too strong under SGD or weight decay (Adam is nearly scale-free, so it barely notices).

Kinks. The saturated hinge is not differentiable at u = +-1; we take the *closed* window
-1 <= u <= 1 there (the notes write -1 < u <= 1). With t != 0, |u| = |c|, so the closed window
is [|c| <= 1] and sat-hinge (weighted) equals the saturated straight-through estimator exactly,
including at c = +-1; ``sste`` and ``sat-hinge`` are the paper's two names for one update and
both stay in the registry. The hinge keeps its kink at u = 1 inside the window (u <= 1).

Performance: the closed forms are written directly (the soft hinge is a fused
``tanh_backward`` on CUDA and a sigmoid form on CPU), and a rule declares what its backward
needs so that the forward saves as little as possible: nothing (ste) or the input (every other
rule). Saving the input instead of a boolean window costs memory (4 bytes a unit instead of 1)
but spares the forward pass two kernels and lets each window rule run as one fused
``hardtanh_backward``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import torch
from torch import Tensor

__all__ = ["RULES", "Rule", "get_rule"]

Needs = Literal["nothing", "input"]


@dataclass(frozen=True)
class Rule:
    """One target rule: its name, whether its backward needs the input, and the backward.

    ``grad(g, x, weighted, lo, hi)`` receives the incoming gradient g and the activation's input
    x (None when ``needs == "nothing"``), both fp32 or fp64, and the activation's window
    [lo, hi] (-1, 1 for sign and step; 0, 1 for the staircase). The centred pre-activation is
    c = (2x - lo - hi) / (hi - lo), so the window is |c| <= 1.
    """

    name: str
    needs: Needs
    grad: Callable[[Tensor, Tensor | None, bool, float, float], Tensor]
    summary: str


def _nextafter(bound: float, direction: float, dtype: torch.dtype) -> float:
    b = torch.tensor(bound, dtype=dtype)
    return torch.nextafter(b, torch.tensor(direction, dtype=dtype)).item()


# hardtanh_backward(g, x, a, b) keeps g where a < x < b (open); moving a and b one float outwards
# makes it the closed window lo <= x <= hi, exactly, for the dtypes a backward computes in (half
# and bfloat16 are upcast to fp32 first). One fused kernel, where a comparison, a boolean mask
# and a product take three (and run several times slower on CPU).
_CLOSED = {
    (dtype, lo, hi): (_nextafter(lo, -2.0, dtype), _nextafter(hi, 2.0, dtype))
    for dtype in (torch.float32, torch.float64)
    for lo, hi in ((-1.0, 1.0), (0.0, 1.0))
}


def _scale(g: Tensor, weighted: bool) -> Tensor:
    # weighted: |g| * (-t) = g;  unweighted: (-t) / B = sign(g) / B, the batch mean of the layer
    # loss (sign(0) = 0, so t = 0 there).
    if weighted:
        return g
    batch = g.shape[0] if g.dim() > 0 else 1
    return torch.sign(g).mul_(1.0 / batch)


def _ste_grad(g: Tensor, x: Tensor | None, weighted: bool, lo: float, hi: float) -> Tensor:
    return _scale(g, weighted)


def _is_compiling() -> bool:
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "is_compiling"):  # torch >= 2.3
        return compiler.is_compiling()
    return torch._dynamo.is_compiling()  # torch 2.2


def _indicator(x: Tensor, lo: float, hi: float) -> Tensor:
    """[lo <= x <= hi] as 0/1 floats without boolean tensors (for torch.compile, see below)."""
    below, above = _CLOSED[(x.dtype, lo, hi)]
    return torch.relu(x - below).sign_() * torch.relu(above - x).sign_()


# Under torch.compile the boolean forms below get partitioned into a boolean mask computed in
# the forward pass, and Inductor's CPU code stores boolean vectors slowly (a training step of
# the MLP benchmark took 1.7x ReLU); the 0/1 float forms fuse into the neighbouring kernels.


def _window_grad(g: Tensor, x: Tensor, weighted: bool, lo: float, hi: float) -> Tensor:
    if _is_compiling():
        return _scale(g, weighted) * _indicator(x, lo, hi)
    below, above = _CLOSED[(x.dtype, lo, hi)]
    return torch.ops.aten.hardtanh_backward(_scale(g, weighted), x, below, above)


def _hinge_grad(g: Tensor, x: Tensor, weighted: bool, lo: float, hi: float) -> Tensor:
    # u = t c <= 1 with t = -sign(g): x >= lo where g > 0, x <= hi where g < 0 (any x if g = 0,
    # where the scale is 0 anyway).
    if lo == -hi:  # c = x / hi: sign(g) * x >= lo, exact (sign(g) is -1, 0 or 1)
        below, _ = _CLOSED[(x.dtype, lo, hi)]
        sx = torch.sign(g) * x
        if _is_compiling():
            return _scale(g, weighted) * torch.relu(sx - below).sign_()
        return torch.ops.aten.hardtanh_backward(_scale(g, weighted), sx, below, float("inf"))
    return _scale(g, weighted) * torch.where(g > 0, x >= lo, x <= hi)


def _soft_hinge_grad(g: Tensor, x: Tensor, weighted: bool, lo: float, hi: float) -> Tensor:
    c = x if (lo, hi) == (-1.0, 1.0) else x.mul(2.0 / (hi - lo)).sub_((hi + lo) / (hi - lo))
    if c.device.type == "cpu":
        # 1 - tanh(c)^2 = 4 s (1 - s) with s = sigmoid(-2|c|): ATen's CPU sigmoid is about three
        # times faster than its tanh, and s <= 1/2 keeps 1 - s free of cancellation (the form is
        # accurate even where 1 - tanh^2 underflows). sigmoid_backward(a, s) = a s (1 - s).
        s = c.abs().mul_(-2.0).sigmoid_()
        return torch.ops.aten.sigmoid_backward(_scale(g, weighted).mul(4.0), s)
    # Elsewhere (CUDA) two fused kernels: tanh_backward(a, y) = a (1 - y^2).
    return torch.ops.aten.tanh_backward(_scale(g, weighted), torch.tanh(c))


_REGISTRY: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("ste", "nothing", _ste_grad, "straight-through estimator: grad_in = g"),
        Rule("sste", "input", _window_grad, "saturated STE: grad_in = g * [|c| <= 1]"),
        Rule("hinge", "input", _hinge_grad, "hinge targets: grad_in = g * [t*c <= 1]"),
        Rule("sat-hinge", "input", _window_grad, "saturated hinge: grad_in = g * [|c| <= 1]"),
        Rule("soft-hinge", "input", _soft_hinge_grad, "FTP-SH: grad_in = g * (1 - tanh(c)^2)"),
    )
}

#: The valid rule names, in the order of the paper's discussion.
RULES: tuple[str, ...] = tuple(_REGISTRY)


def get_rule(rule: "str | Rule") -> Rule:
    """The :class:`Rule` called ``rule`` (a Rule passes through); ValueError listing the names.

    This is the one place where a rule name becomes a Rule: modules and functions call it once,
    when they are built or called, and hand the Rule object to the autograd Functions.
    """
    if isinstance(rule, Rule):
        return rule
    found = _REGISTRY.get(rule) if isinstance(rule, str) else None
    if found is None:
        raise ValueError(f"unknown target rule {rule!r}; valid rules: {', '.join(RULES)}")
    return found
