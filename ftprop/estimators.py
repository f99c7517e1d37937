"""scikit-learn estimators: exact hard-threshold networks and FTPROP-MB, behind one interface.

* :class:`ThresholdNetworkClassifier` fits a sign network exactly (``combinatorial``): hidden
  targets by search, weights by LP/MILP, verified by a forward pass.
* :class:`FTPropClassifier` trains the same architecture by mini-batch FTPROP (``minibatch``):
  sign hidden units with a target rule (soft hinge = FTP-SH, ``sste``, ...), a linear output layer
  and cross-entropy, as in the paper.

Both predict with the argmax of the output pre-activations (binary: the sign of the one output),
so ``predict`` agrees with the training labels wherever an exact fit is exact. Both plug into
``cross_val_score`` and ``GridSearchCV``: ``__init__`` stores its arguments untouched, ``fit``
validates them and works, learned state ends in ``_``.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

# Checks of sklearn.utils.estimator_checks (scikit-learn 1.9) that these classifiers do not meet,
# with the reason, for ``check_estimator(..., expected_failed_checks=...)``. None at present:
# every check passes. ``fit`` takes no sample_weight (an exact fit reproduces every label or
# proves it cannot; there is nothing to weight), so the sample-weight checks do not apply.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


def _seed(random_state) -> int:
    """An int seed from None (0), an int, or a RandomState (one draw)."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(2**31 - 1))


def _hidden(hidden) -> tuple[int, ...]:
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool):
        hidden = (hidden,)
    try:
        out = tuple(int(h) for h in hidden)
    except TypeError:
        raise ValueError(f"hidden must be a tuple of positive layer widths, got {hidden!r}") from None
    if any(h <= 0 for h in out) or any(isinstance(h, bool) for h in hidden):
        raise ValueError(f"hidden must be a tuple of positive layer widths, got {hidden!r}")
    return out


class _ArgmaxClassifier(ClassifierMixin, BaseEstimator):
    """Shared predict / score over ``decision_function`` (binary: one column, threshold 0)."""

    def predict(self, X):
        z = self.decision_function(X)
        if z.ndim == 1:
            return self.classes_[(z >= 0).astype(int)]
        return self.classes_[np.argmax(z, axis=1)]

    def _labels(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"need samples of at least 2 classes in the data, got 1 class: {self.classes_[0]!r}")
        return X, y_idx


class ThresholdNetworkClassifier(_ArgmaxClassifier):
    """A sign network fitted exactly: every training label reproduced, or the closest fallback.

    Parameters (all stored as given; ``fit`` validates them):

    hidden       hidden widths, e.g. ``(16,)``; ``()`` is a single layer of perceptrons
    backend      ``auto`` (staged: the linear code, then ``lazy``/``cpsat`` search) or any backend
                 of :func:`combinatorial.solve`
    objective    feasibility, min-errors, max-margin, min-weight or lexicographic
    weights      real, ternary or integer:P (the bias stays real; see combinatorial.domains)
    time_limit   seconds for the whole fit (None: no limit)
    random_state seed of the solvers

    k > 2 classes get k one-vs-rest output units. Learned state: ``coefs_`` (per layer, inputs x
    units), ``intercepts_``, ``classes_``, ``n_features_in_``, ``status_`` and ``proved_for_`` (of
    the requested fit), ``fallback_``, ``dead_inputs_`` and the whole ``solution_``.

    An INFEASIBLE feasibility fit falls back to min-errors (with its own ``time_limit``) when that
    is proved optimal; an UNKNOWN fit, or a fallback that does not finish, to best-effort weights (the linear code with
    least-slack LP weights, deterministic). Either way a ConvergenceWarning says so, and
    ``fallback_`` names it (None when the requested fit succeeded).
    """

    def __init__(self, hidden=(16,), *, backend="auto", objective="feasibility", weights="real",
                 time_limit=None, random_state=None, shortcut=False):
        self.hidden = hidden
        self.backend = backend
        self.objective = objective
        self.weights = weights
        self.time_limit = time_limit
        self.random_state = random_state
        self.shortcut = shortcut

    def fit(self, X, y):
        from combinatorial.domains import parse_weights

        X, y_idx = self._labels(X, y)
        hidden = _hidden(self.hidden)
        domain = parse_weights(self.weights)
        if self.time_limit is not None and not (isinstance(self.time_limit, (int, float)) and self.time_limit > 0):
            raise ValueError(f"time_limit must be a positive number of seconds or None, got {self.time_limit!r}")
        sol, problem = _solve(X, y_idx, hidden, self, domain, self.objective)
        layers, note, self.fallback_ = sol.layers, None, None
        self.status_ = sol.status.value
        self.proved_for_ = sol.proved_for
        first = f"{sol.status.value} ({sol.proved_for})" if sol.proved_for else sol.status.value
        if sol.status.value == "infeasible" and self.objective == "feasibility":
            fallback, _ = _solve(X, y_idx, hidden, self, domain, "min-errors")  # its own time_limit
            if fallback.layers is not None and fallback.status.value == "optimal":  # proved: else best effort
                sol, layers, self.fallback_ = fallback, fallback.layers, "min-errors"
                note = f"using the min-errors fit ({fallback.train_errors} training errors, {fallback.status.value})"
        if note is None and (layers is None or sol.status.value in ("unknown", "infeasible")):
            # Deterministic on purpose: a time-limited search's partial answer depends on the
            # machine's speed (it stays in ``solution_``); the fallback must not.
            layers, self.fallback_ = _best_effort(problem, domain), "best-effort"
            note = "using best-effort weights (the linear code with least-slack LP weights)"
        if note is not None:
            warnings.warn(f"no exact {self.objective} fit: the solve ended as {first}; {note}",
                          ConvergenceWarning, stacklevel=2)
        self.coefs_ = [np.asarray(L["W"], dtype=float).T.copy() for L in layers]  # (in, out), like MLPClassifier
        self.intercepts_ = [np.asarray(L["b"], dtype=float).copy() for L in layers]
        self.solution_ = sol
        self.dead_inputs_ = np.asarray(sol.stats.get("dead_inputs", []), dtype=int)
        return self

    def decision_function(self, X):
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        h = X
        for l, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            inp = np.concatenate([h, X], axis=1) if self.shortcut and l == len(self.coefs_) - 1 and l == 1 else h
            z = inp @ W + b
            h = np.where(z >= 0, 1.0, -1.0)
        return z[:, 0] if z.shape[1] == 1 else z


def _solve(X, y_idx, hidden, est, domain, objective):
    import time
    from dataclasses import replace

    from combinatorial.problem import Problem
    from combinatorial.solution import ALL_REAL_WEIGHTS, BackendResult, Status
    from combinatorial.solve import SolveOptions, finish, solve

    start = time.monotonic()
    problem = Problem.from_data(X, y_idx, hidden, shortcut=bool(est.shortcut))
    staged_path = est.backend in ("auto", "staged")
    options = SolveOptions(backend="auto" if staged_path else est.backend, objective=objective,
                           time_limit=est.time_limit, seed=_seed(est.random_state), weights=str(domain), workers=1)
    if problem.conflict is not None and objective not in ("min-errors", "lexicographic"):
        i, j = problem.conflict  # same input, two labels: nothing to search
        result = BackendResult(Status.INFEASIBLE, proved_for=ALL_REAL_WEIGHTS,
                               certificate={"kind": "conflict", "examples": [i, j]})
        return finish(problem, result, "staged", options, start), problem
    if staged_path or objective not in ("feasibility", "min-errors") or domain.is_integer:
        from combinatorial.backends import staged

        deadline = None if est.time_limit is None else start + float(est.time_limit)
        return finish(problem, staged.run(problem, options, deadline), "staged", options, start), problem
    return solve(problem, options=replace(options, backend=est.backend)), problem


def _best_effort(problem, domain) -> list[dict]:
    """The linear code (cycled into every hidden layer) with least-slack LP weights per unit."""
    from combinatorial.solve import fit_network

    code = np.asarray(problem.Yu)
    targets = [code[:, np.arange(w) % code.shape[1]] for w in problem.hidden]
    layers, _ = fit_network(problem, targets, strict=False)
    if domain.is_integer:  # scale each unit to the bound, round, re-centre nothing: best effort only
        P = domain.bound
        for L in layers:
            top = np.maximum(np.abs(L["W"]).max(axis=1, keepdims=True), 1e-300)
            L["b"] = L["b"] / top[:, 0] * P
            L["W"] = np.clip(np.round(L["W"] / top * P), -P, P)
    return layers


class FTPropClassifier(_ArgmaxClassifier):
    """The same architecture trained by FTPROP-MB: sign hidden units, linear output, cross-entropy.

    rule          target rule of the sign units: soft-hinge (FTP-SH), sste, sat-hinge, hinge, ste
    weighted      weight each unit's loss by |dL/dh| (the paper's setting)
    epochs, batch_size, lr, weight_decay   Adam, constant learning rate, shuffled mini-batches
    random_state  seed of the initialisation and the shuffles (torch runs on CPU, 1 thread)
    """

    def __init__(self, hidden=(16,), *, rule="soft-hinge", weighted=True, epochs=200, batch_size=32,
                 lr=1e-2, weight_decay=0.0, random_state=None):
        self.hidden = hidden
        self.rule = rule
        self.weighted = weighted
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _model(self, d, k):
        import torch
        from minibatch.activations import activation

        layers, width = [], d
        for h in _hidden(self.hidden):
            layers += [torch.nn.Linear(width, h), activation("sign", rule=self.rule, weighted=self.weighted)]
            width = h
        layers.append(torch.nn.Linear(width, k))
        return torch.nn.Sequential(*layers)

    def fit(self, X, y):
        import torch

        X, y_idx = self._labels(X, y)
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            gen = torch.Generator().manual_seed(_seed(self.random_state))
            torch.manual_seed(_seed(self.random_state))
            k = len(self.classes_)
            model = self._model(X.shape[1], 1 if k == 2 else k)
            opt = torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            Xt = torch.as_tensor(X, dtype=torch.float32)
            yt = torch.as_tensor(y_idx)
            n = len(Xt)
            for _ in range(int(self.epochs)):
                order = torch.randperm(n, generator=gen)
                for s in range(0, n, int(self.batch_size)):
                    idx = order[s : s + int(self.batch_size)]
                    out = model(Xt[idx])
                    if k == 2:
                        loss = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 0], yt[idx].float())
                    else:
                        loss = torch.nn.functional.cross_entropy(out, yt[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
            linears = [m for m in model if isinstance(m, torch.nn.Linear)]
            self.coefs_ = [m.weight.detach().double().numpy().T.copy() for m in linears]
            self.intercepts_ = [m.bias.detach().double().numpy().copy() for m in linears]
            self.loss_ = float(loss.detach())
        finally:
            torch.set_num_threads(threads)
        return self

    def decision_function(self, X):
        check_is_fitted(self, "coefs_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        h = X
        for l, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            z = h @ W + b
            h = np.where(z >= 0, 1.0, -1.0) if l < len(self.coefs_) - 1 else z
        return z[:, 0] if z.shape[1] == 1 else z
