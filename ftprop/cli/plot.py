"""``--plot FILE.png`` of ``ftprop solve``, ``minwidth`` and ``compare``: a 2-D problem in one picture.

The picture shows the examples coloured by label, every first-layer unit's line w . x + b = 0
with an arrow on its +1 side, the network's decision regions shaded (the network evaluated on a
grid in numpy floats, sign(0) = +1), the training examples the network gets wrong circled in red
(decided by the exact forward pass, :func:`combinatorial.network.forward`), and a title with the
status, what it covers (``proved_for``) and the training errors. An answer without a network
(infeasible) shows the examples only. matplotlib is imported inside :func:`plot_solution` (its
object API with the Agg canvas, never pyplot's global state), and the PNG is written atomically.
"""

from __future__ import annotations

import numpy as np

from ftprop.errors import InputError

GRID = 300  # grid points per axis for the decision regions
FIGSIZE = (6.4, 5.2)
DPI = 100
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")


def check_plottable(X, flag: str = "--plot") -> None:
    """Refuse data that are not 2-D before any work: one line, exit status 2."""
    d = np.asarray(X).shape[1] if np.asarray(X).ndim == 2 else 1
    if d != 2:
        raise InputError(f"{flag} needs 2-D inputs, the data have {d}-D inputs")


def plot_solution(path, sol, X, y, *, heading: str = "", flag: str = "--plot") -> None:
    """Draw ``sol`` (a :class:`combinatorial.Solution`) on its 2-D data (X, y) into the PNG ``path``."""
    import io

    from matplotlib.figure import Figure

    from combinatorial.files import write_bytes

    check_plottable(X, flag)
    X = np.asarray(X, dtype=float)
    classes, y_idx = np.unique(np.asarray(y), return_inverse=True)
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    ax = fig.add_subplot(1, 1, 1)
    box = _box(X)
    wrong = None
    if sol.layers is not None:
        _regions(ax, sol, box, len(classes))
        wrong = _predicted(sol.layers, X, sol.shortcut, len(classes)) != y_idx
        _unit_lines(ax, sol.layers[0], box)
    for c, label in enumerate(classes):
        pts = X[y_idx == c]
        ax.scatter(pts[:, 0], pts[:, 1], s=22, color=COLOURS[c % len(COLOURS)], marker=MARKERS[c % len(MARKERS)],
                   edgecolors="black", linewidths=0.4, label=f"label {_label(label)}", zorder=3)
    if wrong is not None and wrong.any():
        ax.scatter(X[wrong, 0], X[wrong, 1], s=110, facecolors="none", edgecolors="red", linewidths=1.6,
                   label=f"misclassified ({int(wrong.sum())})", zorder=4)
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(title(sol, heading), fontsize=9)
    ax.legend(loc="best", fontsize=7, framealpha=0.85)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    try:
        write_bytes(path, buf.getvalue())
    except OSError as exc:
        raise InputError(f"{flag} {path}: {exc.strerror or exc}") from None


def title(sol, heading: str = "") -> str:
    """``heading`` (data, network) over the status with its scope and the training errors."""
    arch = "-".join(map(str, sol.architecture)) + (" with shortcut" if sol.shortcut else "")
    if sol.proved_for:
        scope = sol.proved_for
    elif sol.layers is not None and sol.status.value == "feasible" and sol.train_errors == 0:
        scope = "network checked by an exact forward pass"
    else:
        scope = "nothing proved"
    errors = "" if sol.train_errors is None else f", {sol.train_errors}/{sol.n_examples} training errors"
    top = f"{heading}; network {arch}" if heading else f"network {arch}"
    lines = "lines: first-layer units, arrows on their +1 side" if sol.layers is not None else "no network"
    return f"{top}\n{sol.status.value} ({scope}){errors}\n{lines}"


def _label(v) -> str:
    return str(v.item() if isinstance(v, np.generic) else v)


def _box(X) -> tuple[tuple[float, float], tuple[float, float]]:
    """The data's range in each coordinate, 8% wider on each side (a constant coordinate: +-1)."""
    out = []
    for k in range(2):
        lo, hi = float(X[:, k].min()), float(X[:, k].max())
        pad = 0.08 * (hi - lo) if hi > lo else 1.0
        out.append((lo - pad, hi + pad))
    return tuple(out)


def _classes_of(out: np.ndarray, n_classes: int) -> np.ndarray:
    """Class index of ±1 output rows: unit 0 fires -> class 1 for binary labels, else argmax."""
    if out.shape[1] == 1 and n_classes <= 2:
        return (out[:, 0] > 0).astype(int)
    return np.argmax(out, axis=1)


def _predicted(layers, X, shortcut: bool, n_classes: int) -> np.ndarray:
    from combinatorial.network import forward

    return _classes_of(forward(layers, X, shortcut=shortcut)[-1], n_classes)


def grid_outputs(layers, G: np.ndarray, shortcut: bool) -> np.ndarray:
    """The network's ±1 outputs on the rows of ``G``, in numpy floats with sign(0) = +1."""
    h = G
    for l, L in enumerate(layers):
        u = np.concatenate([h, G], axis=1) if shortcut and len(layers) == 2 and l == 1 else h
        with np.errstate(all="ignore"):
            h = np.where(u @ L.W.T + L.b >= 0, 1.0, -1.0)
    return h


def _regions(ax, sol, box, n_classes: int) -> None:
    from matplotlib.colors import ListedColormap

    xs = np.linspace(*box[0], GRID)
    ys = np.linspace(*box[1], GRID)
    gx, gy = np.meshgrid(xs, ys)
    G = np.column_stack([gx.ravel(), gy.ravel()])
    region = _classes_of(grid_outputs(sol.layers, G, sol.shortcut), n_classes).reshape(gx.shape)
    cmap = ListedColormap([COLOURS[c % len(COLOURS)] for c in range(n_classes)])
    ax.imshow(region, origin="lower", extent=(*box[0], *box[1]), cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5,
              alpha=0.22, interpolation="nearest", aspect="auto", zorder=0)


def segment(w, b: float, box):
    """The part of the line w0 x + w1 y + b = 0 inside ``box``: two points, or None."""
    (x0, x1), (y0, y1) = box
    pts = []
    if w[1] != 0:
        pts += [(x, -(b + w[0] * x) / w[1]) for x in (x0, x1)]
    if w[0] != 0:
        pts += [(-(b + w[1] * y) / w[0], y) for y in (y0, y1)]
    tol = 1e-9 * max(x1 - x0, y1 - y0)
    pts = [p for p in pts if x0 - tol <= p[0] <= x1 + tol and y0 - tol <= p[1] <= y1 + tol]
    if len(pts) < 2:
        return None
    P = np.array(pts)
    d = np.linalg.norm(P[:, None] - P[None, :], axis=2)
    i, j = np.unravel_index(np.argmax(d), d.shape)
    return (P[i], P[j]) if d[i, j] > tol else None


def plus_side(w, box):
    """The arrow from a point of the line w . x + b = 0 into its +1 side (w . step > 0): the
    normal as it looks on the axes (each axis scaled to its range), 7% of the axes long."""
    rx, ry = box[0][1] - box[0][0], box[1][1] - box[1][0]
    with np.errstate(all="ignore"):
        step = np.array([w[0] * rx * rx, w[1] * ry * ry]) * 0.07 / np.linalg.norm([w[0] * rx, w[1] * ry])
    return step if np.isfinite(step).all() and step.any() else None


def _unit_lines(ax, layer, box) -> None:
    """Each unit's line, with an arrow toward the +1 side and the unit's number (unit j of n at
    (j + 1) / (n + 1) along its line, so that lines crossing in the middle keep their labels apart)."""
    drawn = False
    for j, (w, b) in enumerate(zip(layer.W[:, :2], layer.b)):
        seg = segment(w, float(b), box)
        if seg is None:
            continue
        (p, q) = seg
        ax.plot([p[0], q[0]], [p[1], q[1]], color="black", linewidth=1.2, zorder=2,
                label=None if drawn else "unit line (arrow: +1 side)")
        drawn = True
        mid = p + (j + 1) / (len(layer.b) + 1) * (q - p)
        step = plus_side(w, box)
        if step is None:
            continue
        ax.annotate("", xy=tuple(mid + step), xytext=tuple(mid), zorder=2,
                    arrowprops=dict(arrowstyle="-|>", color="black", linewidth=1.2, mutation_scale=10))
        ax.text(*(mid + 1.35 * step), str(j + 1), fontsize=8, ha="center", va="center", zorder=5,
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.8))
