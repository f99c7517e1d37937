"""Hard-threshold activations as autograd Functions, and their functional forms.

Forward passes (ties go up, as in the exact engine, except in the "ceil" staircase):

    sign(z)      = +1 if z >= 0 else -1                       sign(0) = +1
    step(z)      =  1 if z >= 0 else  0                       step(0) =  1
    staircase(x) = floor(clip(n * x + 1/2, 0, n)) / n         quantizer "round" (DoReFa)
    staircase(x) = clip(ceil((n - 1) * x), 0, n) / n          quantizer "ceil" (the paper's code)

The staircase (quantized ReLU) has n = ``levels`` steps and values 0, 1/n, ..., 1 (n = 3 is the
paper's 2-bit case: 0, 1/3, 2/3, 1). Two quantizers place its n thresholds differently:

    round   rounds clip(x, 0, 1) to the nearest level, ties upwards: thresholds at (k - 1/2)/n,
            k = 1..n, symmetric about x = 1/2. This is DoReFa's quantizer.
    ceil    the authors' released code (``StaircaseF``): thresholds at k/(n-1), k = 0..n-1, ties
            downwards (x = 0 gives 0, x just above 0 gives 1/n); the top level needs x > 1.
            Needs n >= 2. The presets of Table 1 use it.

Sign and step send NaN to +1 / 1; the staircase passes NaN through.

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

from .rules import Rule, get_rule

__all__ = ["SignFunction", "StepFunction", "StaircaseFunction", "QUANTIZERS", "sign", "step", "staircase"]

#: Staircase quantizers (module docstring): DoReFa rounding, and the paper's code's thresholds.
QUANTIZERS = ("round", "ceil")


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


def _rule_backward(g: Tensor, x: Tensor | None, rule: Rule, weighted: bool, lo: float, hi: float):
    """grad_in of an activation with window [lo, hi], computed in fp32 (fp64) and cast back."""
    g32 = _upcast(g)
    x32 = None if x is None else _upcast(x)
    return rule.grad(g32, x32, weighted, lo, hi).to(g.dtype)


def _save_input(ctx, x: Tensor, rule: Rule, weighted: bool) -> None:
    ctx.rule, ctx.weighted = rule, weighted
    if rule.needs != "nothing":
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

    ``SignFunction.apply(z, rule, weighted)`` with ``rule`` a :class:`~minibatch.rules.Rule`.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, rule: Rule, weighted: bool) -> Tensor:
        # sign(x) + 1/2 is in {-1/2, 1/2, 3/2}: its sign sends 0 (and -0.0) to +1. Three cheap
        # float kernels; a comparison plus torch.where is several times slower on CPU.
        return torch.sign(x).add_(0.5).sign_()


class StepFunction(_ThresholdFunction):
    """h = step(z) in {0, 1} with step(0) = 1; backward: the target rule on c = z.

    ``StepFunction.apply(z, rule, weighted)``. Targets in {0, 1} are (t + 1)/2, t = sign(-g).
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, rule: Rule, weighted: bool) -> Tensor:
        # sign(x) + 1 is in {0, 1, 2}; clamping at 1 sends 0 (and -0.0) to 1.
        return torch.sign(x).add_(1.0).clamp_(max=1.0)


class StaircaseFunction(torch.autograd.Function):
    """h = staircase(x) with n = ``levels`` steps; backward: the target rule on c = 2x - 1.

    ``StaircaseFunction.apply(x, levels, rule, weighted, quantizer)``: quantizer "round"
    (floor(clip(n x + 1/2, 0, n)) / n) or "ceil" (clip(ceil((n - 1) x), 0, n) / n). The
    backward is the same for both: the window 0 <= x <= 1 covers every threshold of either.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor, levels: int, rule: Rule, weighted: bool, quantizer: str = "round") -> Tensor:
        n = float(levels)
        if quantizer == "ceil":
            return x.mul(n - 1.0).ceil_().clamp_(0.0, n).div_(n)
        return x.mul(n).add_(0.5).clamp_(0.0, n).floor_().div_(n)

    @staticmethod
    @_amp_fwd
    def setup_context(ctx, inputs, output) -> None:
        x, _, rule, weighted = inputs[:4]
        _save_input(ctx, x, rule, weighted)

    @staticmethod
    @_amp_bwd
    def backward(ctx, g: Tensor):
        grad = _rule_backward(g, _saved_input(ctx), ctx.rule, ctx.weighted, 0.0, 1.0)
        return grad, None, None, None, None


# Function.apply binds its arguments with inspect.signature(forward) on every call when
# setup_context is defined; a precomputed __signature__ makes that lookup a dictionary read
# (about a third of the per-call Python overhead).
for _fn in (SignFunction, StepFunction, StaircaseFunction):
    _fn.forward.__signature__ = inspect.signature(_fn.forward)
del _fn


def check_rule_options(rule: str | Rule, weighted: bool) -> Rule:
    """The Rule that ``rule`` names, after checking ``weighted`` (the validation at the boundary)."""
    if not isinstance(weighted, bool):
        raise TypeError(f"weighted must be True or False, got {weighted!r}")
    return get_rule(rule)


def check_staircase(levels: int, quantizer: str) -> tuple[int, str]:
    """``(levels, quantizer)`` if valid; ValueError saying what was expected otherwise."""
    if quantizer not in QUANTIZERS:
        raise ValueError(f"unknown staircase quantizer {quantizer!r}; valid quantizers: {', '.join(QUANTIZERS)}")
    least = 2 if quantizer == "ceil" else 1
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < least:
        raise ValueError(f"levels must be an integer number of steps >= {least} for the {quantizer!r} "
                         f"quantizer, got {levels!r}")
    return levels, quantizer


def sign(x: Tensor, *, rule: str | Rule = "soft-hinge", weighted: bool = True) -> Tensor:
    """sign(x) in {-1, +1}, sign(0) = +1, trained with target rule ``rule`` (see rules)."""
    return SignFunction.apply(x, check_rule_options(rule, weighted), weighted)


def step(x: Tensor, *, rule: str | Rule = "soft-hinge", weighted: bool = True) -> Tensor:
    """step(x) in {0, 1}, step(0) = 1, trained with target rule ``rule`` (see rules)."""
    return StepFunction.apply(x, check_rule_options(rule, weighted), weighted)


def staircase(
    x: Tensor, *, levels: int = 3, rule: str | Rule = "soft-hinge", weighted: bool = True,
    quantizer: str = "round",
) -> Tensor:
    """Quantized ReLU with ``levels`` steps: values 0, 1/levels, ..., 1 (module docstring)."""
    levels, quantizer = check_staircase(levels, quantizer)
    return StaircaseFunction.apply(x, levels, check_rule_options(rule, weighted), weighted, quantizer)
