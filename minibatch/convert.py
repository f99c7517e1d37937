"""Swap the activations of an existing model for hard-threshold ones, in place.

    net = torchvision.models.resnet18()
    convert_activations(net, "sign", rule="soft-hinge")      # every nn.ReLU -> Sign

Only activation *modules* are found; activations called as functions inside ``forward``
(``F.relu(x)``) are invisible to this and stay as they are. Each attribute that holds a match
gets a fresh module; an attribute used twice in ``forward`` (torchvision's ``self.relu``) stays
one module used twice, which is fine because the new modules keep no per-call state.
"""

from __future__ import annotations

import warnings

from torch import nn

from .activations import activation as make_activation

__all__ = ["convert_activations", "DEFAULT_REPLACE"]

#: Float activations replaced by default (nn.ReLU6 is an nn.Hardtanh).
DEFAULT_REPLACE: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.Hardtanh,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Tanh,
)


def convert_activations(
    module: nn.Module,
    activation: str = "sign",
    *,
    rule: str = "soft-hinge",
    weighted: bool = True,
    replace: tuple[type[nn.Module], ...] = DEFAULT_REPLACE,
    return_count: bool = False,
    **kw,
):
    """Replace every submodule of ``module`` that is an instance of ``replace``, in place.

    Each is replaced by ``activation(activation, rule=rule, weighted=weighted, **kw)``.
    Returns ``module`` (or ``(module, count)`` with ``return_count=True``); the number of
    replacements is also stored as ``module.converted_activations_``. Warns when nothing matched.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    replace = tuple(replace)
    if not replace or not all(isinstance(c, type) and issubclass(c, nn.Module) for c in replace):
        raise TypeError(f"replace must be a tuple of nn.Module classes, got {replace!r}")
    make_activation(activation, rule=rule, weighted=weighted, **kw)  # validate before changing

    count = 0
    if isinstance(module, replace):
        raise ValueError("module is itself an activation; build the new one with minibatch.activation")
    for parent in list(module.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, replace):
                setattr(parent, name, make_activation(activation, rule=rule, weighted=weighted, **kw))
                count += 1
    if count == 0:
        names = ", ".join(c.__name__ for c in replace)
        warnings.warn(f"convert_activations: no submodule of type {names} found", stacklevel=2)
    module.converted_activations_ = count
    return (module, count) if return_count else module
