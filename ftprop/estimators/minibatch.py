"""``FTPropClassifier``: the same architecture trained by FTPROP-MB (``minibatch``, torch)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from .base import _ArgmaxClassifier, _hidden, _seed

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
