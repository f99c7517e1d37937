"""Saved answers: :meth:`Solution.save` and :meth:`Solution.load`, a network that travels.

The file is the JSON of :meth:`Solution.to_dict` (what ``ftprop solve --save`` writes) with
``"format": "ftprop-solution-1"`` and every weight and bias written twice: as a JSON number and as
its exact value, a rational string (``W_exact``, ``b_exact``: ``"-344"``, ``"3/8"``; ``"-0"`` for
a negative zero). A float *is* a rational, so the strings lose nothing; :func:`read` takes the
exact strings when there are any (and refuses a file whose two spellings disagree), else the JSON
numbers, so a loaded network is the saved one bit for bit. Files written by
``ftprop solve --save`` (numbers only) load too. Anything else is a :class:`ProblemError` with a
one-line message. This module never imports :mod:`combinatorial.solution` (which calls it): the
status type comes in as an argument.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np

from .certificates import Conflict, Farkas, ProofFile, SolverWord
from .files import write_bytes
from .network import LayerWeights
from .problem import ProblemError

FORMAT = "ftprop-solution-1"


def exact_string(v) -> str:
    """The exact value of a float as a rational string; ``"-0"`` keeps a negative zero's sign."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)  # inf, -inf, nan: no rational; float() reads them back
    if v == 0:
        return "-0" if math.copysign(1.0, v) < 0 else "0"
    return str(Fraction(v))


def from_exact(text, where: str) -> float:
    """The float whose exact value ``text`` is; a value no float has is a :class:`ProblemError`."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ProblemError(f"{where}: expected a rational string like '3/8', got {text!r}")
    if isinstance(text, (int, float)):
        return float(text)
    s = text.strip()
    if s.lower() in ("inf", "-inf", "+inf", "nan"):
        return float(s)
    try:
        q = Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise ProblemError(f"{where}: {text!r} is not a rational number") from None
    try:
        v = float(q)
    except OverflowError:
        raise ProblemError(f"{where}: {text} is beyond the float range") from None
    if Fraction(v) != q:
        raise ProblemError(f"{where}: {text} is not a binary64 float (the engine's weights are floats)")
    return -0.0 if v == 0 and s.startswith("-") else v


def encode(solution) -> dict:
    """``solution.to_dict()`` with the format tag and the exact strings of every weight and bias."""
    out = {"format": FORMAT, **solution.to_dict()}
    if solution.layers is not None:
        out["layers"] = [{"W": L.W.tolist(), "b": L.b.tolist(),
                          "W_exact": [[exact_string(v) for v in row] for row in L.W],
                          "b_exact": [exact_string(v) for v in L.b]} for L in solution.layers]
    return out


def save(solution, path) -> None:
    """Write ``encode(solution)`` to ``path`` atomically, one key a line (:func:`combinatorial.files.write_bytes`)."""
    body = ",\n".join(f" {json.dumps(k)}: {json.dumps(v, default=_plain)}" for k, v in encode(solution).items())
    write_bytes(path, ("{\n" + body + "\n}\n").encode("utf-8"))  # one line per key


def _plain(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def read(path, status_type) -> dict:
    """The keyword arguments of the Solution saved in ``path`` (``status_type``: the Status enum)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise ProblemError(f"{path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProblemError(f"{path}: not a JSON file ({str(exc).splitlines()[0]})") from None
    try:
        return decode(data, status_type)
    except ProblemError as exc:
        raise ProblemError(f"{path}: {exc}") from None


def decode(data, status_type) -> dict:
    """Validate a saved answer's JSON object and turn it into Solution keyword arguments."""
    if not isinstance(data, dict):
        raise ProblemError(f"expected a JSON object (a saved solution), got {type(data).__name__}")
    if data.get("format", FORMAT) != FORMAT:
        raise ProblemError(f"unknown format {data['format']!r} (this version reads {FORMAT})")
    for key in ("status", "architecture"):
        if key not in data:
            raise ProblemError(f"no {key!r}: not a saved solution (ftprop solve --save writes one)")
    try:
        status = status_type(data["status"])
    except ValueError:
        valid = ", ".join(s.value for s in status_type)
        raise ProblemError(f"status {data['status']!r} is not one of {valid}") from None
    arch = _architecture(data["architecture"])
    shortcut = _typed(data, "shortcut", bool, False)
    if shortcut and len(arch) != 3:
        raise ProblemError(f"shortcut needs one hidden layer, the architecture is {arch}")
    layers = None if data.get("layers") is None else _layers(data["layers"], arch, shortcut)
    return dict(
        status=status, proved_for=_typed(data, "proved_for", str, None), backend=_typed(data, "backend", str, ""),
        objective=_typed(data, "objective", str, "feasibility"), architecture=arch, shortcut=shortcut,
        layers=layers, hidden_targets=_targets(data.get("hidden_targets"), arch),
        train_errors=_typed(data, "train_errors", int, None), n_examples=_typed(data, "n_examples", int, 0),
        wall_time_s=float(_typed(data, "wall_time_s", (int, float), 0.0)), seed=_typed(data, "seed", int, 0),
        stats=_typed(data, "stats", dict, {}), certificate=_certificate(data.get("certificate")),
        proof_file=_proof_file(data.get("proof_file")), lower_bound=_typed(data, "lower_bound", (int, float), None),
        message=_typed(data, "message", str, ""), versions=_typed(data, "versions", dict, {}),
    )


def _typed(data: dict, key: str, types, default):
    v = data.get(key)
    if v is None:
        return default
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
        raise ProblemError(f"{key!r} is {v!r}, expected a {_name(types)}")
    return v


def _name(types: tuple) -> str:
    return " or ".join(t.__name__ for t in types)


def _architecture(arch) -> list[int]:
    if (not isinstance(arch, list) or len(arch) < 2
            or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in arch)):
        raise ProblemError(f"architecture {arch!r} is not a list [n_inputs, h1, ..., n_outputs] of positive integers")
    return list(arch)


def _layers(layers, arch: list[int], shortcut: bool) -> list[LayerWeights]:
    if not isinstance(layers, list) or len(layers) != len(arch) - 1:
        raise ProblemError(f"'layers' must be a list of {len(arch) - 1} layers for architecture {arch}")
    out = []
    for l, layer in enumerate(layers):
        fan_in = arch[l] + (arch[0] if shortcut and l == len(layers) - 1 else 0)
        shape = (arch[l + 1], fan_in)
        if not isinstance(layer, dict):
            raise ProblemError(f"layer {l + 1} is not an object with W and b")
        W = _numbers(layer, "W", shape, f"layer {l + 1}")
        b = _numbers(layer, "b", shape[:1], f"layer {l + 1}")
        out.append(LayerWeights(W, b))
    return out


def _numbers(layer: dict, key: str, shape: tuple, where: str) -> np.ndarray:
    """``layer[key]`` (JSON numbers) and/or ``layer[key + '_exact']`` (strings), which must agree."""
    plain, exact = layer.get(key), layer.get(f"{key}_exact")
    if plain is None and exact is None:
        raise ProblemError(f"{where} has no {key}")
    arrays = []
    for name, value in ((key, plain), (f"{key}_exact", exact)):
        if value is None:
            continue
        arr = np.array(value, dtype=object)
        if arr.shape != shape:
            raise ProblemError(f"{where} {name} has shape {arr.shape}, expected {shape}")
        flat = [from_exact(v, f"{where} {name}{list(np.unravel_index(i, shape))}") for i, v in enumerate(arr.ravel())]
        arrays.append(np.array(flat, dtype=float).reshape(shape))
    if len(arrays) == 2:
        a, e = arrays
        bad = ~((a == e) & (np.signbit(a) == np.signbit(e)) | (np.isnan(a) & np.isnan(e)))
        if bad.any():
            i = tuple(int(k) for k in np.argwhere(bad)[0])
            raise ProblemError(f"{where} {key}{list(i)} = {a[i]!r} disagrees with its exact value {exact_string(e[i])}")
    return arrays[-1]


def _targets(targets, arch: list[int]):
    if targets is None:
        return None
    if not isinstance(targets, list) or len(targets) != len(arch) - 2:
        raise ProblemError(f"'hidden_targets' must be a list of {len(arch) - 2} arrays, one per hidden layer")
    out = []
    for l, T in enumerate(targets):
        try:
            A = np.array(T, dtype=float)
        except (TypeError, ValueError):
            raise ProblemError(f"hidden_targets layer {l + 1} is not an array of ±1") from None
        if A.ndim != 2 or A.shape[1] != arch[l + 1] or not np.isin(A, (-1, 1)).all():
            raise ProblemError(f"hidden_targets layer {l + 1} must be an examples x {arch[l + 1]} array of ±1")
        out.append(A.astype(np.int8))
    return out


def _certificate(cert):
    if cert is None:
        return None
    if not isinstance(cert, dict) or not isinstance(cert.get("kind"), str):
        raise ProblemError("'certificate' must be an object with a 'kind'")
    try:
        if cert["kind"] == Conflict.kind:
            return Conflict(tuple(int(i) for i in cert["examples"]))
        if cert["kind"] == Farkas.kind:
            return Farkas(int(cert["layer"]), int(cert["unit"]), tuple(int(i) for i in cert["examples"]),
                          tuple(Fraction(m) for m in cert["multipliers"]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        raise ProblemError(f"certificate of kind {cert['kind']!r} is malformed ({type(exc).__name__}: {exc})") from None
    facts = {k: v for k, v in cert.items() if k not in ("kind", "reason")}
    return SolverWord(cert["kind"], str(cert.get("reason", "")), facts)


def _proof_file(pf):
    if pf is None:
        return None
    if not isinstance(pf, dict) or not isinstance(pf.get("kind"), str):
        raise ProblemError("'proof_file' must be an object with a 'kind'")
    known = ("kind", "file", "checked", "note", "check", "check_s")
    return ProofFile(pf["kind"], file=pf.get("file"), checked=pf.get("checked") is True, note=str(pf.get("note") or ""),
                     sizes={k: v for k, v in pf.items() if k not in known}, check=pf.get("check"),
                     check_s=pf.get("check_s"))
