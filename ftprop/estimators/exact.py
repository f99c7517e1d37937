"""``ThresholdNetworkClassifier``: a sign network fitted exactly by :func:`combinatorial.solve`."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from combinatorial.network import LayerWeights
from combinatorial.options import check_seconds
from combinatorial.solution import Status

from .base import _ArgmaxClassifier, _hidden, _init, _seed

class ThresholdNetworkClassifier(_ArgmaxClassifier):
    """A sign network fitted exactly: every training label reproduced, or the closest fallback.

    Parameters (all stored as given; ``fit`` validates them):

    hidden       hidden widths, e.g. ``(16,)``; ``()`` is a single layer of perceptrons
    backend      ``auto`` (as in :func:`combinatorial.solve`: the targets of ``init`` and the linear
                 code, then ``lazy``/``cpsat`` search) or any backend of :func:`combinatorial.solve`
    init         where stage 1's hidden targets come from: ``linear-code`` (every hidden unit copies
                 a one-vs-rest output column) or ``minibatch`` (the hidden sign activations, on the
                 training set, of a network of the same shape trained by FTPROP-MB, soft hinge,
                 batch norm; ``init_epochs`` epochs). Either way the exact engine refits every unit
                 and verifies the result; the targets only choose *which* exact network is found.
                 (The old name ``ftprop`` for ``minibatch`` still works, with a DeprecationWarning.)
    objective    feasibility, min-errors, max-margin, min-weight or lexicographic
    weights      real, ternary or integer:P (the bias stays real; see combinatorial.domains)
    time_limit   seconds for the exact solve (None: no limit; a ``minibatch`` init trains before it)
    random_state seed of the solvers

    k > 2 classes get k one-vs-rest output units. Learned state: ``coefs_`` (per layer, inputs x
    units), ``intercepts_``, ``classes_``, ``n_features_in_``, ``status_`` and ``proved_for_`` (of
    the requested fit), ``fallback_``, ``dead_inputs_``, ``init_targets_`` (the ``ftprop`` codes, or
    None) and the whole ``solution_``.

    An INFEASIBLE feasibility fit falls back to min-errors (with its own ``time_limit``) when that
    is proved optimal; an UNKNOWN fit, or a fallback that does not finish, to best-effort weights (the linear code with
    least-slack LP weights, deterministic). Either way a ConvergenceWarning says so, and
    ``fallback_`` names it (None when the requested fit succeeded).
    """

    def __init__(self, hidden=(16,), *, backend="auto", objective="feasibility", weights="real",
                 time_limit=None, random_state=None, shortcut=False, init="linear-code", init_epochs=200):
        self.hidden = hidden
        self.backend = backend
        self.objective = objective
        self.weights = weights
        self.time_limit = time_limit
        self.random_state = random_state
        self.shortcut = shortcut
        self.init = init
        self.init_epochs = init_epochs

    def fit(self, X, y):
        from combinatorial.domains import parse_weights

        X, y_idx = self._labels(X, y)
        hidden = _hidden(self.hidden)
        domain = parse_weights(self.weights)
        check_seconds("time_limit", self.time_limit, ValueError)
        init = _init(self.init)
        self.init_targets_ = _minibatch_targets(X, y_idx, hidden, self) if init == "minibatch" else None
        sol, problem = _solve(X, y_idx, hidden, self, domain, self.objective, self.init_targets_)
        layers, note, self.fallback_ = sol.layers, None, None
        self.status_ = sol.status.value
        self.proved_for_ = sol.proved_for
        first = f"{sol.status.value} ({sol.proved_for})" if sol.proved_for else sol.status.value
        if sol.status is Status.INFEASIBLE and self.objective == "feasibility":
            fallback, _ = _solve(X, y_idx, hidden, self, domain, "min-errors", self.init_targets_)  # own time_limit
            if fallback.layers is not None and fallback.status is Status.OPTIMAL:  # proved: else best effort
                sol, layers, self.fallback_ = fallback, fallback.layers, "min-errors"
                note = f"using the min-errors fit ({fallback.train_errors} training errors, {fallback.status.value})"
        if note is None and (layers is None or sol.status in (Status.UNKNOWN, Status.INFEASIBLE)):
            # Deterministic on purpose: a time-limited search's partial answer depends on the
            # machine's speed (it stays in ``solution_``); the fallback must not.
            layers, self.fallback_ = _best_effort(problem, domain), "best-effort"
            note = "using best-effort weights (the linear code with least-slack LP weights)"
        if note is not None:
            warnings.warn(f"no exact {self.objective} fit: the solve ended as {first}; {note}",
                          ConvergenceWarning, stacklevel=2)
        self.coefs_ = [L.W.T.copy() for L in layers]  # (in, out), like MLPClassifier
        self.intercepts_ = [L.b.copy() for L in layers]
        self.solution_ = sol
        self.dead_inputs_ = np.asarray(sol.stats.get("dead_inputs", []), dtype=int)
        return self

    def decision_function(self, X):
        check_is_fitted(self, "coefs_")
        from combinatorial.network import output_scores

        X = validate_data(self, X, reset=False, dtype=np.float64)
        layers = [LayerWeights(W.T, b) for W, b in zip(self.coefs_, self.intercepts_)]
        z = output_scores(layers, X, shortcut=bool(self.shortcut))
        return z[:, 0] if z.shape[1] == 1 else z


def _minibatch_targets(X, y_idx, hidden, est) -> list[np.ndarray] | None:
    """Hidden sign codes of an FTPROP-MB network of the same shape, on the training set."""
    if not hidden:
        return None
    from .minibatch import FTPropClassifier

    batch = 32 if len(X) % 32 != 1 else 33  # batch norm cannot train on a last batch of one
    net = FTPropClassifier(hidden, batch_norm=True, epochs=est.init_epochs, batch_size=batch,
                           random_state=est.random_state).fit(X, y_idx)
    return [np.where(h >= 0, 1, -1).astype(np.int8) for h in net.hidden_activations(X)]


def _solve(X, y_idx, hidden, est, domain, objective, warm_start=None):
    """One exact solve through :func:`combinatorial.solve` (``auto`` as there: the ``init`` targets
    and the linear code first, then the search)."""
    from combinatorial import Problem, solve

    problem = Problem.from_data(X, y_idx, hidden, shortcut=bool(est.shortcut))
    sol = solve(problem, backend=est.backend, objective=objective, time_limit=est.time_limit,
                seed=_seed(est.random_state), weights=domain, workers=1, warm_start=warm_start)
    return sol, problem


def _best_effort(problem, domain) -> list[dict]:
    """The linear code (cycled into every hidden layer) with least-slack LP weights per unit."""
    from combinatorial.fitting import fit_network
    from combinatorial.symmetry import linear_code

    layers, _, _ = fit_network(problem, linear_code(problem, narrow=True), strict=False)
    if domain.is_integer:  # scale each unit to the bound, round, re-centre nothing: best effort only
        P = domain.bound
        tops = [np.maximum(np.abs(L.W).max(axis=1, keepdims=True), 1e-300) for L in layers]
        layers = [LayerWeights(np.clip(np.round(L.W / top * P), -P, P), L.b / top[:, 0] * P)
                  for L, top in zip(layers, tops)]
    return layers


