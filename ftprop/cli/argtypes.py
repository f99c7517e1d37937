"""argparse types for command lines (the CLI's and the benchmark scripts'): one-line errors that
say what was expected and what came."""

from __future__ import annotations

import argparse


def _integer(text: str, lowest: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {what} integer, got {text!r}") from None
    if value < lowest:
        raise argparse.ArgumentTypeError(f"expected a {what} integer, got {value}")
    return value


def positive_int(text: str) -> int:
    return _integer(text, 1, "positive")


def nonnegative_int(text: str) -> int:
    return _integer(text, 0, "non-negative")


def _real(text: str, what: str, ok) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not ok(value):  # NaN fails every comparison, so it is refused here too
        raise argparse.ArgumentTypeError(f"expected {what}, got {text}")
    return value


def positive_float(text: str) -> float:
    return _real(text, "a positive number", lambda v: 0 < v < float("inf"))


def nonnegative_float(text: str) -> float:
    return _real(text, "a non-negative number", lambda v: 0 <= v < float("inf"))


def fraction(text: str) -> float:
    return _real(text, "a fraction in [0, 1)", lambda v: 0 <= v < 1)


def seconds(text: str) -> float:
    return _real(text, "a positive number of seconds", lambda v: 0 < v < float("inf"))


def int_list(text: str, *, allow_empty: bool = False, what: str = "width", lowest: int = 1) -> tuple[int, ...]:
    """Parse ``3,2`` into (3, 2); every entry must be an integer >= ``lowest``."""
    text = text.strip()
    if not text:
        if allow_empty:
            return ()
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {what}s")
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} {part!r} is not an integer") from None
        if value < lowest:
            kind = "a positive" if lowest == 1 else "a non-negative" if lowest == 0 else f"an integer >= {lowest},"
            raise argparse.ArgumentTypeError(f"{what} must be {kind} integer, got {value}")
        out.append(value)
    return tuple(out)


def hidden_widths(text: str) -> tuple[int, ...]:
    """``--hidden``: ``3`` or ``3,2``; ``none`` means no hidden layer (a single perceptron layer)."""
    if text.strip().lower() == "none":
        return ()
    return int_list(text, what="width")
