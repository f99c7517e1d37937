"""The problem an exact solve answers: data, architecture, and the targets every unit must meet.

Network semantics (fixed): h_0 = x, h_l = sign(W_l h_{l-1} + b_l) with sign(z) = +1 for z >= 0
and -1 otherwise. Binary labels (any two values; the larger maps to +1) use one output unit; k > 2
classes use k output units with one-vs-rest ±1 targets. With ``shortcut`` (one hidden layer only)
the output units also see the raw input: h_out = sign(W h_1 + V x + b).

Preprocessing merges duplicate (input, label) pairs into one example with a count; an input that
appears with two different labels is a *conflict*, which no network can fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class ProblemError(ValueError):
    """Bad data or architecture handed to the exact engine (the CLI maps it to exit status 2)."""


@dataclass(frozen=True)
class Architecture:
    hidden: tuple[int, ...] = ()  # hidden widths, input side first; () is a single perceptron layer
    shortcut: bool = False  # direct input -> output connections (one hidden layer only)

    def __post_init__(self):
        for w in self.hidden:
            if isinstance(w, bool) or not isinstance(w, (int, np.integer)):
                raise ProblemError(f"hidden widths must be integers, got {w!r}")
            if w <= 0:
                raise ProblemError(f"hidden widths must be positive integers, got {w}")
        if self.shortcut and len(self.hidden) != 1:
            raise ProblemError(
                f"shortcut connections need exactly one hidden layer, got {len(self.hidden)}"
            )


def standardised(X: np.ndarray) -> np.ndarray:
    """Columns at mean 0 and standard deviation 1 (constant columns at 0), for the heuristics'
    float work. Each column is divided by its largest magnitude first, so inputs near the
    float range (1e308) neither overflow nor warn."""
    X = np.asarray(X, dtype=float)
    peak = np.max(np.abs(X), axis=0) if len(X) else np.ones(X.shape[1])
    Z = X / np.where(peak > 0, peak, 1.0)
    sd = Z.std(axis=0)
    return (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


# The most hidden targets (merged examples x hidden units) a model is built for: a search over
# more binary variables than this is far beyond what any backend settles, and building its model
# alone would take gigabytes.
MAX_HIDDEN_TARGETS = 10_000_000


def _check_size(arch: Architecture, m: int) -> None:
    total = m * sum(int(w) for w in arch.hidden)
    if total > MAX_HIDDEN_TARGETS:
        raise ProblemError(
            f"hidden widths {','.join(map(str, arch.hidden))} on {m} distinct examples need {total:,} hidden "
            f"targets; the engine builds models of at most {MAX_HIDDEN_TARGETS:,} (with one hidden layer, "
            f"{max(1, m - 1)} units always suffice for {m} distinct inputs)"
        )


@dataclass
class Problem:
    """Validated data plus architecture. Arrays ending in ``u`` are over the merged examples."""

    X: np.ndarray  # (n, d) original inputs, float
    y: np.ndarray  # (n,) original labels
    architecture: Architecture
    classes: np.ndarray  # sorted distinct labels
    Y: np.ndarray  # (n, k) ±1 output targets of the original examples
    Xu: np.ndarray  # (m, d) merged inputs
    Yu: np.ndarray  # (m, k) merged ±1 output targets
    counts: np.ndarray  # (m,) how many original examples each merged one stands for
    index: np.ndarray  # (n,) merged example of each original example
    conflict: tuple[int, int] | None = None  # original indices of same input, different labels
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_data(cls, X, y, hidden=(), *, shortcut: bool = False) -> "Problem":
        arch = hidden if isinstance(hidden, Architecture) else Architecture(tuple(hidden), shortcut)
        X = np.asarray(X)
        y = np.asarray(y)
        if X.ndim == 1:
            X = X[:, None]
        if X.ndim != 2:
            raise ProblemError(f"X must be 2-D (examples x features), got shape {X.shape}")
        if y.ndim != 1:
            raise ProblemError(f"y must be 1-D, got shape {y.shape}")
        if len(X) == 0:
            raise ProblemError("empty data: no examples")
        if X.shape[1] == 0:
            raise ProblemError("empty data: no features")
        if len(X) != len(y):
            raise ProblemError(f"X has {len(X)} rows but y has {len(y)} labels")
        if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
            raise ProblemError(f"X must be real numbers, got dtype {X.dtype}")
        X = X.astype(float) + 0.0  # -0.0 becomes 0.0: one value, one byte pattern (fingerprints)
        bad = ~np.isfinite(X)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise ProblemError(f"X row {r} column {c} is {X[r, c]} (NaN and inf are not allowed)")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ProblemError(f"label of row {int(np.flatnonzero(~np.isfinite(y))[0])} is not finite")
        classes = np.unique(y)
        if len(classes) < 2:
            only = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
            raise ProblemError(f"need at least two classes, all {len(y)} labels are {only!r}")
        if len(classes) == 2:
            Y = np.where(y == classes[1], 1, -1)[:, None]
        else:
            Y = np.where(y[:, None] == classes[None, :], 1, -1)
        Y = Y.astype(np.int8)
        # Merge identical (input, label) pairs; keep first-occurrence order for readable targets.
        keys = np.concatenate([X, Y.astype(float)], axis=1)
        _, first, index, counts = np.unique(
            keys, axis=0, return_index=True, return_inverse=True, return_counts=True
        )
        order = np.argsort(first)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        index = rank[index.reshape(-1)]
        Xu, Yu, counts = X[first[order]], Y[first[order]], counts[order]
        conflict = None
        _, row_of, row_inv = np.unique(Xu, axis=0, return_index=True, return_inverse=True)
        row_inv = row_inv.reshape(-1)
        if len(row_of) < len(Xu):
            m = np.flatnonzero(row_of[row_inv] != np.arange(len(Xu)))[0]  # a row seen before
            m0 = row_of[row_inv[m]]
            conflict = (int(np.flatnonzero(index == m0)[0]), int(np.flatnonzero(index == m)[0]))
        _check_size(arch, len(Xu))
        return cls(X, y, arch, classes, Y, Xu, Yu, counts.astype(int), index, conflict)

    def restricted(self, rows) -> "Problem":
        """The problem on the merged examples ``rows`` only (each one example, in that order):
        same architecture, classes and output coding; any network that fits this problem's data
        restricted to ``rows`` is a fit of the result, so its INFEASIBLE holds here too."""
        rows = np.asarray(rows, dtype=int)
        Xu, Yu = self.Xu[rows], self.Yu[rows]
        y = self.labels_from_outputs(Yu)
        return Problem(Xu, y, self.architecture, self.classes, Yu, Xu, Yu, self.counts[rows],
                       np.arange(len(rows)), None, {"rows": rows})

    # --- shape helpers -------------------------------------------------------------------
    @property
    def n_examples(self) -> int:
        return len(self.X)

    @property
    def n_merged(self) -> int:
        return len(self.Xu)

    @property
    def n_inputs(self) -> int:
        return self.X.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.Y.shape[1]

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.architecture.hidden

    @property
    def shortcut(self) -> bool:
        return self.architecture.shortcut

    @property
    def sizes(self) -> list[int]:
        """[n_inputs, h1, ..., n_outputs] as reported in results."""
        return [self.n_inputs, *self.hidden, self.n_outputs]

    def fan_in(self, layer: int) -> int:
        """Number of inputs of a unit in ``layer`` (1-based; the output layer is len(hidden)+1)."""
        n = self.sizes[layer - 1]
        if self.shortcut and layer == len(self.hidden) + 1:
            n += self.n_inputs
        return n

    def merged_targets(self, per_example) -> list[np.ndarray]:
        """Hidden targets given per original example (one n x width array per hidden layer, as in
        ``SolveOptions.warm_start`` or ``Solution.hidden_targets``) mapped to the merged examples
        (each takes its first original example's row), as ±1 int8 arrays."""
        layers = list(per_example)
        if len(layers) != len(self.hidden):
            raise ProblemError(f"warm_start has {len(layers)} layers but the network has {len(self.hidden)} hidden layers")
        first = np.full(self.n_merged, -1)
        first[self.index[::-1]] = np.arange(self.n_examples)[::-1]
        out = []
        for l, (T, width) in enumerate(zip(layers, self.hidden)):
            T = np.asarray(T)
            if T.shape != (self.n_examples, width):
                raise ProblemError(f"warm_start layer {l + 1} has shape {T.shape}, expected {(self.n_examples, width)}")
            out.append(np.where(T[first] >= 0, 1, -1).astype(np.int8))
        return out

    def unit_inputs(self, hidden_targets, layer: int) -> np.ndarray:
        """Input matrix (merged examples) of the units of ``layer`` (1-based) given hidden targets;
        the output layer of a shortcut network also sees the raw inputs."""
        U = self.Xu if layer == 1 else np.asarray(hidden_targets[layer - 2], dtype=float)
        if self.shortcut and layer == len(self.hidden) + 1:
            U = np.concatenate([U, self.Xu], axis=1)
        return np.ascontiguousarray(U)

    def unit_targets(self, hidden_targets, layer: int) -> np.ndarray:
        """Target matrix (merged examples x units) of ``layer``: hidden targets or the labels."""
        return self.Yu if layer == len(self.hidden) + 1 else np.asarray(hidden_targets[layer - 1])

    def labels_from_outputs(self, out: np.ndarray) -> np.ndarray:
        """Map ±1 output rows to labels: the class whose unit fires (argmax for k > 2)."""
        if out.shape[1] == 1:
            return np.where(out[:, 0] > 0, self.classes[1], self.classes[0])
        return self.classes[np.argmax(out, axis=1)]
