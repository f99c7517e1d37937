"""Networks that travel: an exact engine's answer as a PyTorch module or an ONNX graph.

Both compute what :func:`combinatorial.network.forward` computes, layer by layer
h_l = sign(W_l h_{l-1} + b_l) with sign(z) = +1 for z >= 0 (a shortcut network's output layer
sees [h_1, x]), in float64, and return the output units' ±1 values (n x outputs): for binary
labels +1 is the larger label, for k classes the first unit that fires (argmax) is the class.

* :func:`to_torch`: a ``torch.nn.Module`` of float64 ``Linear`` layers, each followed by
  ``torch.where(z >= 0, 1, -1)``; :func:`torch_bytes` is it as a ``torch.export`` program
  (``torch.export.load(FILE).module()(x)`` runs it, without ftprop).
* :func:`to_onnx`: an ONNX graph (opset 17) of ``Gemm`` (x W^T + b) then ``GreaterOrEqual`` and
  ``Where`` per layer, so that z = 0 maps to +1 (the ONNX ``Sign`` op would give 0). It needs the
  ``onnx`` package (``pip install 'ftprop[export]'``, which also brings ``onnxruntime`` to run it).

The exact forward pass decides every sign in rational arithmetic; these graphs decide it in
float64, which agrees except where float rounding carries z across 0 (a near-tie that the exact
pass settles one way and float arithmetic the other). A z that is 0 in floats too (a point on a
unit's line, integer weights on integer inputs) gives +1 in all three. torch and onnx are
imported inside the functions only: importing this module is light.
"""

from __future__ import annotations

import functools

import numpy as np

from ftprop.errors import InputError

FORMATS = ("onnx", "torch")
OPSET = 17
ONNX_IR_VERSION = 8  # the IR of opset 17: files that older runtimes read too
INSTALL_EXTRA = "pip install 'ftprop[export]'"


def network_layers(solution):
    """``solution.layers``, or an :class:`InputError` saying why there is no network to export."""
    if solution.layers is None:
        scope = f", proved for {solution.proved_for}" if solution.proved_for else ""
        raise InputError(f"the solution has no network to export: its status is {solution.status.value}{scope}")
    return solution.layers


@functools.lru_cache(maxsize=1)
def _sign_network_class():
    import torch

    class SignNetwork(torch.nn.Module):
        """Hard-threshold network in float64: Linear layers, each followed by sign with sign(0) = +1."""

        def __init__(self, layers, shortcut: bool = False):
            super().__init__()
            self.shortcut = bool(shortcut) and len(layers) == 2
            self.linears = torch.nn.ModuleList()
            for L in layers:
                W = np.ascontiguousarray(L.W, dtype=np.float64)
                lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
                with torch.no_grad():
                    lin.weight.copy_(torch.from_numpy(W))
                    lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(L.b, dtype=np.float64)))
                lin.requires_grad_(False)
                self.linears.append(lin)

        def forward(self, x):
            x = x.to(torch.float64)
            h = x
            last = len(self.linears) - 1
            for i, lin in enumerate(self.linears):
                u = torch.cat([h, x], dim=1) if self.shortcut and i == last else h
                z = lin(u)
                h = torch.where(z >= 0, torch.ones_like(z), -torch.ones_like(z))
            return h

    SignNetwork.__module__ = __name__
    return SignNetwork


def to_torch(solution):
    """The solution's network as a ``torch.nn.Module`` (float64, in eval mode; see the module docstring)."""
    return _sign_network_class()(network_layers(solution), shortcut=solution.shortcut).eval()


def torch_bytes(solution) -> bytes:
    """:func:`to_torch` as a ``torch.export`` program with a free batch size, serialised."""
    import io

    import torch

    module = to_torch(solution)
    example = torch.zeros(2, solution.architecture[0], dtype=torch.float64)
    program = torch.export.export(module, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    buf = io.BytesIO()
    torch.export.save(program, buf)
    return buf.getvalue()


def to_onnx(solution):
    """The solution's network as an ``onnx.ModelProto``: input ``x`` (n x inputs, double), output
    ``y`` (n x outputs, ±1 doubles); checked by ``onnx.checker``."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    layers = network_layers(solution)
    shortcut = bool(solution.shortcut) and len(layers) == 2
    inits = [numpy_helper.from_array(np.array(v, dtype=np.float64), name)
             for name, v in (("zero", 0.0), ("plus_one", 1.0), ("minus_one", -1.0))]
    nodes, h = [], "x"
    for l, L in enumerate(layers, start=1):
        u = h
        if shortcut and l == len(layers):
            u = f"u{l}"
            nodes.append(helper.make_node("Concat", [h, "x"], [u], axis=1, name=f"shortcut{l}"))
        inits += [numpy_helper.from_array(np.ascontiguousarray(L.W, dtype=np.float64), f"W{l}"),
                  numpy_helper.from_array(np.ascontiguousarray(L.b, dtype=np.float64), f"b{l}")]
        out = "y" if l == len(layers) else f"h{l}"
        nodes += [
            helper.make_node("Gemm", [u, f"W{l}", f"b{l}"], [f"z{l}"], transB=1, name=f"linear{l}"),
            helper.make_node("GreaterOrEqual", [f"z{l}", "zero"], [f"fires{l}"], name=f"ge{l}"),
            helper.make_node("Where", [f"fires{l}", "plus_one", "minus_one"], [out], name=f"sign{l}"),
        ]
        h = out
    n_in, n_out = solution.architecture[0], solution.architecture[-1]
    graph = helper.make_graph(
        nodes, "ftprop_sign_network",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["n", n_in])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["n", n_out])], initializer=inits,
        doc_string="hard-threshold network: h_l = sign(W_l h_{l-1} + b_l), sign(0) = +1",
    )
    model = helper.make_model(graph, producer_name="ftprop", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = ONNX_IR_VERSION
    helper.set_model_props(model, _metadata(solution))
    onnx.checker.check_model(model)
    return model


def _metadata(solution) -> dict[str, str]:
    arch = "-".join(map(str, solution.architecture)) + (" with shortcut" if solution.shortcut else "")
    return {"ftprop.status": solution.status.value, "ftprop.proved_for": solution.proved_for or "",
            "ftprop.architecture": arch, "ftprop.train_errors": str(solution.train_errors),
            "ftprop.semantics": "unit = sign(W . input + b), sign(0) = +1; y: the output units' ±1 values"}


def onnx_bytes(solution) -> bytes:
    return to_onnx(solution).SerializeToString()


def export_bytes(solution, fmt: str) -> bytes:
    """The file of ``fmt`` (``onnx`` or ``torch``) for the solution's network."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; valid: {', '.join(FORMATS)}")
    network_layers(solution)
    return onnx_bytes(solution) if fmt == "onnx" else torch_bytes(solution)
