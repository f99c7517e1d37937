"""Forward pass of a hard-threshold network, exact: the checker of every answer.

Signs are decided in exact arithmetic (:func:`combinatorial.exact.signs`), so a tie or a
near-tie at sign(0) = +1 is never settled by float rounding.
"""

from __future__ import annotations

import numpy as np

from .exact import signs


def sign(z: np.ndarray) -> np.ndarray:
    """sign(z) = +1 for z >= 0, -1 otherwise (the engine's tie rule)."""
    return np.where(z >= 0, 1, -1).astype(np.int8)


def forward(layers: list[dict], X: np.ndarray, *, shortcut: bool = False) -> list[np.ndarray]:
    """Activations of every layer, [h_1, ..., h_L] (±1 int8 arrays, n x width).

    ``layers[l]`` holds ``W`` (out x in) and ``b`` (out). With ``shortcut`` the last layer's
    ``W`` has columns [hidden units..., raw inputs...].
    """
    X = np.asarray(X, dtype=float)
    h = X
    acts = []
    for l, layer in enumerate(layers):
        W = np.asarray(layer["W"], dtype=float)
        b = np.asarray(layer["b"], dtype=float)
        inp = h
        if shortcut and l == len(layers) - 1 and len(layers) == 2:
            inp = np.concatenate([h, X], axis=1)
        if W.shape[1] != inp.shape[1]:
            raise ValueError(f"layer {l + 1}: W has {W.shape[1]} columns but its input has {inp.shape[1]}")
        h = signs(inp, W, b)
        acts.append(h)
    return acts

