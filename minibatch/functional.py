"""Hard-threshold activations as autograd Functions, and their functional forms.

Forward passes (ties go up, as in the exact engine):

    sign(z)      = +1 if z >= 0 else -1                       sign(0) = +1
    step(z)      =  1 if z >= 0 else  0                       step(0) =  1
    staircase(x) = floor(clip(n * x + 1/2, 0, n)) / n         levels 0, 1/n, ..., 1

The staircase (quantized ReLU, n = ``levels`` steps, n = 2^bits - 1; n = 3 is the paper's 2-bit
case with values 0, 1/3, 2/3, 1) rounds clip(x, 0, 1) to the nearest level, ties upwards: its
thresholds sit at (k - 1/2)/n, k = 1..n, symmetric about x = 1/2. This is DoReFa's quantizer.
(The formula in the notes, ceil(x (n-1)) / n clipped, only reaches the top level for x > 1.)
NaN inputs give +1 / 1 / 0: the forward passes never return NaN.

Backward passes: every activation maps its input to a *centred* pre-activation c and a closed
window W where the unit is undecided, then applies a rule from :mod:`minibatch.rules`:

    sign, step   c = z,        W = [-1 <= z <= 1]
    staircase    c = 2x - 1,   W = [ 0 <= x <= 1]   (the same window: |c| <= 1)

Step is sign shifted to {0, 1}: step = (sign + 1) / 2. Its target in {0, 1} is (t + 1) / 2 with
t = sign(-g) as for sign, so the per-unit loss, centred at z = 0, is the same function of (z, t)
and the same rule applies unchanged. (The chain rule through (sign + 1) / 2 would add a constant
factor 1/2, which a learning rate absorbs; we keep the rules identical instead.)

For the staircase the soft hinge is one tanh bump over the whole staircase,
g (1 - tanh(2x - 1)^2), the form the paper's authors used; a sum of one soft hinge per step is
the other reading, but it needs a per-step scale (the steps are 1/n apart, so unit-width bumps
overlap into a single bump anyway) and its window would no longer match the SSTE's [0, 1].

All backward passes run in fp32 (fp64 stays fp64) and cast back, so they are safe under CUDA
autocast; the Functions use the modern API (static forward, setup_context, backward) and carry
no state, so torch.compile(fullgraph=True), torch.func.grad and vmap work.
"""

from __future__ import annotations

import functools
import inspect

import torch
from torch import Tensor

from .rules import check_rule, get_rule

__all__ = ["SignFunction", "StepFunction", "StaircaseFunction", "sign", "step", "staircase"]


def _amp_decorators():
    """custom_fwd / custom_bwd for CUDA autocast: torch.amp (>= 2.4) or torch.cuda.amp (2.2-2.3)."""
    amp = getattr(torch, "amp", None)
    if amp is not None and hasattr(amp, "custom_fwd"):
        return (
            functools.partial(amp.custom_fwd, device_type="cuda"),
            functools.partial(amp.custom_bwd, device_type="cuda"),
        )
    return torch.cuda.amp.custom_fwd, torch.cuda.amp.custom_bwd


# Both decorators read and write attributes on their first argument, which must be the ctx:
# so custom_fwd wraps setup_context (run right after forward, under the same autocast state),
# not forward (whose first argument is the input tensor in the setup_context API).
_amp_fwd, _amp_bwd = _amp_decorators()


def _upcast(t: Tensor) -> Tensor:
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def _rule_backward(g: Tensor, x: Tensor | None, rule: str, weighted: bool, lo: float, hi: float):
    """grad_in of an activation with window [lo, hi], computed in fp32 (fp64) and cast back."""
    g32 = _upcast(g)
    x32 = None if x is None else _upcast(x)
    return get_rule(rule).grad(g32, x32, weighted, lo, hi).to(g.dtype)


def _save_input(ctx, x: Tensor, rule: str, weighted: bool) -> None:
    ctx.rule, ctx.weighted = rule, weighted
    if get_rule(rule).needs != "nothing":
        ctx.save_for_backward(x)


def _saved_input(ctx) -> Tensor | None:
    return ctx.saved_tensors[0] if ctx.saved_tensors else None


class _ThresholdFunction(torch.autograd.Function):
    """Shared context and backward of sign and step: the target rule on c = z, window |z| <= 1."""

    @staticmethod
    @_amp_fwd
    def setup_context(ctx, inputs, output) -> None:
        x, rule, weighted = inputs
        _save_input(ctx, x, rule, weighted)

    @staticmethod
    @_amp_bwd
    def backward(ctx, g: Tensor):
        return _rule_backward(g, _saved_input(ctx), ctx.rule, ctx.weighted, -1.0, 1.0), None, None


class SignFunction(_ThresholdFunction):
    """h = sign(z) in {-1, +1} with sign(0) = +1; backward: the target rule on c = z.

    ``SignFunction.apply(z, rule, weighted)``; see :mod:`minibatch.rules` for the rules.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, rule: str, weighted: bool) -> Tensor:
        # sign(x) + 1/2 is in {-1/2, 1/2, 3/2}: its sign sends 0 (and -0.0) to +1. Three cheap
        # float kernels; a comparison plus torch.where is several times slower on CPU.
        return torch.sign(x).add_(0.5).sign_()


class StepFunction(_ThresholdFunction):
    """h = step(z) in {0, 1} with step(0) = 1; backward: the target rule on c = z.

    ``StepFunction.apply(z, rule, weighted)``. Targets in {0, 1} are (t + 1)/2, t = sign(-g).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, rule: str, weighted: bool) -> Tensor:
        # sign(x) + 1 is in {0, 1, 2}; clamping at 1 sends 0 (and -0.0) to 1.
        return torch.sign(x).add_(1.0).clamp_(max=1.0)


class StaircaseFunction(torch.autograd.Function):
    """h = floor(clip(n x + 1/2, 0, n)) / n; backward: the target rule on c = 2x - 1.

    ``StaircaseFunction.apply(x, levels, rule, weighted)`` with ``levels`` = n >= 1 steps.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, levels: int, rule: str, weighted: bool) -> Tensor:
        return x.mul(float(levels)).add_(0.5).clamp_(0.0, float(levels)).floor_().div_(levels)

    @staticmethod
    @_amp_fwd
    def setup_context(ctx, inputs, output) -> None:
        x, _, rule, weighted = inputs
        _save_input(ctx, x, rule, weighted)

    @staticmethod
    @_amp_bwd
    def backward(ctx, g: Tensor):
        grad = _rule_backward(g, _saved_input(ctx), ctx.rule, ctx.weighted, 0.0, 1.0)
        return grad, None, None, None


# Function.apply binds its arguments with inspect.signature(forward) on every call when
# setup_context is defined; a precomputed __signature__ makes that lookup a dictionary read
# (about a third of the per-call Python overhead).
for _fn in (SignFunction, StepFunction, StaircaseFunction):
    _fn.forward.__signature__ = inspect.signature(_fn.forward)
del _fn


def _check(rule: str, weighted: bool) -> None:
    check_rule(rule)
    if not isinstance(weighted, bool):
        raise TypeError(f"weighted must be True or False, got {weighted!r}")


def _check_levels(levels: int) -> int:
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise ValueError(f"levels must be a positive integer number of steps, got {levels!r}")
    return levels


def sign(x: Tensor, *, rule: str = "soft-hinge", weighted: bool = True) -> Tensor:
    """sign(x) in {-1, +1}, sign(0) = +1, trained with target rule ``rule`` (see rules)."""
    _check(rule, weighted)
    return SignFunction.apply(x, rule, weighted)


def step(x: Tensor, *, rule: str = "soft-hinge", weighted: bool = True) -> Tensor:
    """step(x) in {0, 1}, step(0) = 1, trained with target rule ``rule`` (see rules)."""
    _check(rule, weighted)
    return StepFunction.apply(x, rule, weighted)


def staircase(
    x: Tensor, *, levels: int = 3, rule: str = "soft-hinge", weighted: bool = True
) -> Tensor:
    """Quantized ReLU with ``levels`` steps: values 0, 1/levels, ..., 1 (module docstring)."""
    _check(rule, weighted)
    return StaircaseFunction.apply(x, _check_levels(levels), rule, weighted)
