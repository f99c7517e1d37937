"""Forward pass of a hard-threshold network, exact: the checker of every answer.

Signs are decided in exact arithmetic (:func:`combinatorial.exact.signs`), so a tie or a
near-tie at sign(0) = +1 is never settled by float rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exact import signs


@dataclass(frozen=True)
class LayerWeights:
    """One layer's weights: ``W`` (units x inputs) and ``b`` (units), as float arrays; unit j
    computes sign(W[j] . input + b[j])."""

    W: np.ndarray
    b: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "W", np.atleast_2d(np.asarray(self.W, dtype=float)))
        object.__setattr__(self, "b", np.asarray(self.b, dtype=float).reshape(-1))

    @classmethod
    def of(cls, layer) -> "LayerWeights":
        """A LayerWeights as is; a mapping with "W" and "b" (a JSON file's layer) converted."""
        return layer if isinstance(layer, cls) else cls(layer["W"], layer["b"])

    def to_dict(self) -> dict:
        return {"W": self.W.tolist(), "b": self.b.tolist()}


def sign(z: np.ndarray) -> np.ndarray:
    """sign(z) = +1 for z >= 0, -1 otherwise (the engine's tie rule)."""
    return np.where(z >= 0, 1, -1).astype(np.int8)


def _layer_input(layers, l, h, X, shortcut):
    inp = np.concatenate([h, X], axis=1) if shortcut and l == len(layers) - 1 and len(layers) == 2 else h
    L = LayerWeights.of(layers[l])
    if L.W.shape[1] != inp.shape[1]:
        raise ValueError(f"layer {l + 1}: W has {L.W.shape[1]} columns but its input has {inp.shape[1]}")
    return inp, L.W, L.b


def forward(layers: list[LayerWeights], X: np.ndarray, *, shortcut: bool = False) -> list[np.ndarray]:
    """Activations of every layer, [h_1, ..., h_L] (±1 int8 arrays, n x width).

    ``layers[l]`` is a :class:`LayerWeights` (or a mapping with ``W`` and ``b``). With ``shortcut`` the last layer's
    ``W`` has columns [hidden units..., raw inputs...].
    """
    X = np.asarray(X, dtype=float)
    h, acts = X, []
    for l in range(len(layers)):
        h = signs(*_layer_input(layers, l, h, X, shortcut))
        acts.append(h)
    return acts


def output_scores(layers: list[LayerWeights], X: np.ndarray, *, shortcut: bool = False) -> np.ndarray:
    """The output layer's pre-activations W h + b (floats, n x outputs), hidden signs exact."""
    X = np.asarray(X, dtype=float)
    hidden = forward(layers[:-1], X) if len(layers) > 1 else []
    h = hidden[-1].astype(float) if hidden else X
    inp, W, b = _layer_input(layers, len(layers) - 1, h, X, shortcut)
    return inp @ W.T + b

