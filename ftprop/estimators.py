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

from combinatorial.network import LayerWeights
from combinatorial.options import check_seconds
from combinatorial.solution import Status

# Checks of sklearn.utils.estimator_checks (scikit-learn 1.9) that these classifiers do not meet,
# with the reason, for ``check_estimator(..., expected_failed_checks=...)``. None at present:
# every check passes. ``fit`` takes no sample_weight (an exact fit reproduces every label or
# proves it cannot; there is nothing to weight), so the sample-weight checks do not apply.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}
INITS = ("linear-code", "minibatch")
OLD_INITS = {"ftprop": "minibatch"}  # the old name of the FTPROP-MB init, accepted with a DeprecationWarning


def _init(init: str) -> str:
    if init in OLD_INITS:
        import warnings

        warnings.warn(f"init={init!r} is now init={OLD_INITS[init]!r}", DeprecationWarning, stacklevel=3)
        return OLD_INITS[init]
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {init!r}")
    return init


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
        return validate_labels(self, X, y)


def validate_labels(est, X, y):
    """Validate (X, y) for a classifier, set ``est.classes_``; returns (X, y as indices into it)."""
    X, y = validate_data(est, X, y, dtype=np.float64)
    check_classification_targets(y)
    est.classes_, y_idx = np.unique(y, return_inverse=True)
    if len(est.classes_) < 2:
        raise ValueError(f"need samples of at least 2 classes in the data, got 1 class: {est.classes_[0]!r}")
    return X, y_idx


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


class FTPropClassifier(_ArgmaxClassifier):
    """The same architecture trained by FTPROP-MB: ``minibatch.trainer.fit`` on an ``mlp``.

    The options mirror ``ftprop train`` (and :class:`minibatch.config.TrainConfig`):

    hidden        hidden widths of the hard-threshold layers, e.g. ``(16,)``
    activation    sign, step, qrelu (hard thresholds) or relu, sat-relu (float baselines)
    rule          target rule of the hard-threshold units: soft-hinge (FTP-SH), sste, sat-hinge, hinge, ste
    weighted      weight each unit's loss by |dL/dh| (the paper's setting)
    batch_norm    BatchNorm1d before each activation (folded into ``coefs_`` after training)
    epochs, batch_size, optimizer (adam / sgd), lr, weight_decay, schedule (cosine / step / none)
    random_state  seed of the initialisation and every epoch's shuffle
    device        auto, cpu, cuda, ... (fitted weights come back to the CPU)
    out_dir       None (default): no files; a directory: the trainer's config, metrics, checkpoint
    verbose       print the trainer's epoch lines

    Cross-entropy on the linear output layer (two logits for two classes), no progress bar, torch
    on one CPU thread while fitting. Learned state: ``model_`` (the trained torch module, float64,
    eval mode; ``decision_function`` runs it), ``coefs_`` / ``intercepts_`` (per layer, inputs x
    units, batch norm folded in: it is an affine map before the activation in eval mode),
    ``result_`` (the trainer's summary), ``classes_``, ``n_features_in_``.
    """

    def __init__(self, hidden=(16,), *, activation="sign", rule="soft-hinge", weighted=True, batch_norm=False,
                 epochs=200, batch_size=32, optimizer="adam", lr=1e-2, weight_decay=0.0, schedule="cosine",
                 random_state=None, device="cpu", out_dir=None, verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.rule = rule
        self.weighted = weighted
        self.batch_norm = batch_norm
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.random_state = random_state
        self.device = device
        self.out_dir = out_dir
        self.verbose = verbose

    def _config(self):
        from minibatch.config import TrainConfig

        ints = {n: int(v) if isinstance(v, np.integer) else v for n, v in (("epochs", self.epochs),
                                                                         ("batch_size", self.batch_size))}
        return TrainConfig(dataset="sklearn", model="mlp", activation=self.activation, rule=self.rule,
                           weighted=bool(self.weighted), model_options={"hidden": list(_hidden(self.hidden)),
                                                                        "batch_norm": bool(self.batch_norm)},
                           optimizer=self.optimizer, lr=self.lr, weight_decay=self.weight_decay,
                           schedule=self.schedule, seed=_seed(self.random_state), device=self.device, **ints)

    def fit(self, X, y):
        import torch
        from minibatch.data import TensorData
        from minibatch.models import build_model
        from minibatch.trainer import fit

        X, y_idx = self._labels(X, y)
        config = self._config()  # validates every optimisation option
        if self.batch_norm and len(X) % config.batch_size == 1:  # BatchNorm1d cannot train on one example
            raise ValueError(f"batch_norm with {len(X)} examples and batch_size {config.batch_size} leaves a "
                             "last mini-batch of one example; choose another batch_size")
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.random.fork_rng(devices=[]):  # the caller's global torch RNG is left as it was
                torch.manual_seed(config.seed)
                model = build_model("mlp", input_shape=(X.shape[1],), num_classes=len(self.classes_),
                                    activation=self.activation, rule=self.rule, weighted=bool(self.weighted),
                                    **config.model_options)
                data = TensorData(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y_idx))
                self.result_ = fit(model, data, None, config, out_dir=self.out_dir,
                                   log=print if self.verbose else None, progress=False)
        finally:
            torch.set_num_threads(threads)
        self.model_ = model.cpu().double().eval()
        self.coefs_, self.intercepts_ = _affine_layers(self.model_)
        return self

    def _forward(self, X) -> list:
        """Outputs of every hidden activation, then the output layer's logits (float64 tensors)."""
        import torch

        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        outs, h = [], torch.from_numpy(np.ascontiguousarray(X))
        with torch.no_grad():
            for m in self.model_:
                h = m(h)
                if not isinstance(m, (torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.Flatten)):
                    outs.append(h)
        return [o.numpy() for o in outs] + [h.numpy()]

    def hidden_activations(self, X) -> list[np.ndarray]:
        """Every hidden layer's activations on X (sign: the ±1 codes), one array per layer."""
        return self._forward(X)[:-1]

    def decision_function(self, X):
        z = self._forward(X)[-1]
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict_proba(self, X):
        z = self._forward(X)[-1]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


def _affine_layers(model) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(coefs, intercepts) of every linear map, each followed batch norm (eval mode) folded in."""
    import torch

    coefs, intercepts = [], []
    for m in model:
        if isinstance(m, torch.nn.Linear):
            W = m.weight.detach().double().numpy()
            b = m.bias.detach().double().numpy() if m.bias is not None else np.zeros(W.shape[0])
            coefs.append(W.T.copy())
            intercepts.append(b.copy())
        elif isinstance(m, torch.nn.BatchNorm1d):  # y = gamma (z - mu) / sqrt(var + eps) + beta
            scale = (m.weight / torch.sqrt(m.running_var + m.eps)).detach().double().numpy()
            shift = m.bias.detach().double().numpy() - m.running_mean.detach().double().numpy() * scale
            coefs[-1] = coefs[-1] * scale
            intercepts[-1] = intercepts[-1] * scale + shift
    return coefs, intercepts
