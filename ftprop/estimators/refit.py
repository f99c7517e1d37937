r"""Refit every unit of an exact sign network for its L2 (Euclidean) margin, keeping its targets.

The exact engine fits each unit for the largest margin under ``||w||_inf <= 1`` (an LP). On
images that choice spreads weight over every pixel; the L2-geometric margin, the hard-margin
linear SVM

    minimise ||w||_2^2   subject to   t_i (w . u_i + b) >= 1 for every training example i,

generalises better on few-shot MNIST (see the README). With every target fixed by an exact fit
(the training codes of the fitted network itself), each unit is a separate convex problem, so
this keeps exactness: the targets are the network's own, they are linearly separable (the engine
fitted them), and every refitted unit is checked to reproduce its targets on every training
example (tie rule sign(0) = +1). A unit whose SVM does not reproduce them keeps the engine's
weights and is counted in ``kept``; the forward pass is re-verified against the original network's
codes at the end, so the refitted network fits every training example the original fitted.

The QP is solved by libsvm (scikit-learn's ``SVC(kernel="linear")``) with a large C, which on
separable targets is the hard-margin solution up to libsvm's tolerance; the claim is "the L2
max-margin unit for these targets, to solver tolerance", never more.
"""

from __future__ import annotations

import numpy as np

HARD_C = 1e6  # C of the soft-margin SVM standing in for the hard margin (targets are separable)


def sign(z: np.ndarray) -> np.ndarray:
    return np.where(z >= 0, 1.0, -1.0)


def hard_margin_unit(U: np.ndarray, t: np.ndarray, *, C: float = HARD_C) -> tuple[np.ndarray, float] | None:
    """(w, b) of the hard-margin linear SVM on inputs U and targets t in {-1, +1}, or None when the
    fitted unit does not reproduce every target. Constant targets: w = 0, b = the target."""
    from sklearn.svm import SVC

    t = np.asarray(t, dtype=float)
    if np.all(t > 0) or np.all(t < 0):
        return np.zeros(U.shape[1]), float(t[0])
    svm = SVC(kernel="linear", C=C, tol=1e-4).fit(U, (t > 0).astype(int))
    w, b = svm.coef_[0].astype(float), float(svm.intercept_[0])
    if not np.array_equal(sign(U @ w + b), t):
        return None
    return w, b


def layer_inputs(coefs, intercepts, X) -> list[np.ndarray]:
    """The input of every layer on X (X itself, then each hidden layer's ±1 codes)."""
    inputs, h = [], np.asarray(X, dtype=float)
    for W, b in zip(coefs, intercepts):
        inputs.append(h)
        h = sign(h @ W + b)
    return inputs


def refit_l2(coefs, intercepts, X) -> tuple[list, list, dict]:
    """Refit every unit of the network ``(coefs, intercepts)`` (per layer: inputs x units) for its
    L2 max-margin on the network's own training codes on X. Returns the new coefs, intercepts and
    a report ``{"units", "refitted", "kept", "min_margin"}`` (``min_margin``: the smallest L2
    geometric margin t (w.u + b) / ||w|| over refitted units with non-constant targets)."""
    inputs = layer_inputs(coefs, intercepts, X)
    new_coefs, new_intercepts = [], []
    kept, refitted, margins = 0, 0, []
    for U, W, b in zip(inputs, coefs, intercepts):
        T = sign(U @ W + b)  # the original network's codes: the targets to keep
        W2, b2 = np.array(W, dtype=float), np.array(b, dtype=float)
        for j in range(W2.shape[1]):
            fit = hard_margin_unit(U, T[:, j])
            if fit is None:
                kept += 1
                continue
            W2[:, j], b2[j] = fit
            refitted += 1
            norm = np.linalg.norm(fit[0])
            if norm > 0:
                margins.append(float(np.min(T[:, j] * (U @ fit[0] + fit[1])) / norm))
        new_coefs.append(W2)
        new_intercepts.append(b2)
    # Independent check: the refitted network reproduces the original's codes on every layer.
    for U_old, U_new in zip(inputs, layer_inputs(new_coefs, new_intercepts, X)):
        if not np.array_equal(U_old, U_new):
            raise RuntimeError("L2 refit changed a training code: a bug, not a property of the data")
    final_old = sign(inputs[-1] @ coefs[-1] + intercepts[-1])
    final_new = sign(layer_inputs(new_coefs, new_intercepts, X)[-1] @ new_coefs[-1] + new_intercepts[-1])
    if not np.array_equal(final_old, final_new):
        raise RuntimeError("L2 refit changed an output on the training set: a bug")
    report = {"units": kept + refitted, "refitted": refitted, "kept": kept,
              "min_margin": min(margins) if margins else None}
    return new_coefs, new_intercepts, report
