"""Proof files whose bound the checker enumerates itself: kinds ``lines`` (one hidden unit,
:mod:`ftprop.checker.lines`), ``wedges`` (two hidden units in the plane, two classes,
:mod:`ftprop.checker.wedges`), ``trees`` (the same with three classes, :mod:`ftprop.checker.trees`) and ``triples`` (three
hidden units in the plane, two classes, :mod:`ftprop.checker.triples`). The file holds the network and its errors; the checker counts the
network's errors in rationals and then enumerates, in its own code, every network of that shape
that could make fewer."""

from __future__ import annotations

from ftprop.checker.cnf import Invalid, integer

# kind: (hidden widths it bounds, what the claim says was enumerated, what was checked)
KINDS = {
    "lines": ([1], "every pair of label rows counted, every line through two examples enumerated",
              "each pair of label rows' errors on the other rows and, where those are fewer than claimed, the "
              "errors of every dichotomy a line through two examples induces (orientations exact)"),
    "wedges": ([2], "every pair of undominated half-plane dichotomies scored, each made by a line through two examples",
               "the errors of every wedge of two half-plane dichotomies, each induced by a line through two examples "
               "(orientations exact), the dominated ones left out"),
    "trees": ([2], "every tree of two lines and every wedge enumerated, each line through two examples",
              "the errors of every constant, every tree of a half-plane and a line on it, and every wedge, "
              "each half-plane induced by a line through two examples (orientations exact), the dominated ones "
              "left out"),
    "triples": ([3], "every triple of undominated half-plane dichotomies scored that could beat it, each made by a line "
                "through two examples",
                "the errors of every triple of half-plane dichotomies under each threshold function of three bits "
                "(and, and-or, majority, either label inside), each induced by a line through two examples "
                "(orientations exact), the dominated ones and those a necessary condition rules out left out"),
}


def check(kind, body, Xu, Yu, hidden, shortcut, counts, net, forward) -> tuple[str, dict]:
    """The network's errors (``forward``: the checker's exact forward pass), then the enumeration."""
    from importlib import import_module

    fewer_errors = import_module(f"ftprop.checker.{kind}").fewer_errors
    widths, enumerated, checked = KINDS[kind]
    if hidden != widths or shortcut:
        raise Invalid(f"an enumeration of {kind} bounds networks of hidden width {widths}, not {net}")
    errors = integer(body.get("errors"), "errors", 1, sum(counts))
    got = forward(body.get("layers"), Xu, Yu, hidden, shortcut, counts=counts)
    if got != errors:
        raise Invalid(f"the network in the file makes {got} training errors, not the {errors} it claims")
    why = fewer_errors(Xu, Yu, counts, errors)
    if why:
        raise Invalid(why)
    return (f"the {net} network in the file makes {errors} training errors, and no {net} network with real "
            f"weights makes fewer ({enumerated})"), {"trusted": [kind], "checked": (
                f"the data's fingerprint, the network's errors (forward pass in rationals), {checked}")}
