"""Weight domains: parsing, scopes, membership, dead inputs and input resolution."""

import numpy as np
import pytest

from combinatorial.domains import REAL, TERNARY, WeightDomain, dead_inputs, input_resolution, parse_weights
from combinatorial.problem import ProblemError


def test_parse_and_scope():
    assert parse_weights("real") is REAL and REAL.scope == "all real weights"
    assert parse_weights("ternary") == TERNARY == WeightDomain(1)
    d = parse_weights("integer:3")
    assert d.bound == 3 and str(d) == "integer:3" and d.scope == "integer weights |w| <= 3"
    assert TERNARY.scope == "integer weights |w| <= 1" and str(TERNARY) == "ternary"
    assert parse_weights(d) is d and parse_weights(None) is REAL


@pytest.mark.parametrize("bad", ["integer", "integer:0", "integer:-2", "integer:x", "binary", "", "int:3"])
def test_parse_rejects_with_one_line(bad):
    with pytest.raises(ProblemError, match="weights must be real, ternary or integer:P") as exc:
        parse_weights(bad)
    assert "\n" not in str(exc.value)


def test_contains():
    assert TERNARY.contains([[1, 0, -1]]) and not TERNARY.contains([[2, 0]]) and not TERNARY.contains([[0.5]])
    assert parse_weights("integer:2").contains([-2, 2, 1]) and REAL.contains([0.3, -7.1])
    assert not REAL.contains([np.nan])


def test_dead_inputs():
    U = np.array([[0.0, 1, 5], [0, 2, 5], [0, 3, 5]])
    assert dead_inputs(U).tolist() == [0, 2]
    assert dead_inputs(U, [0]).tolist() == [0, 1, 2]  # one row: everything is constant


def test_input_resolution():
    assert input_resolution(np.array([[1.0, -1], [3, 0]])) == 1.0
    assert input_resolution(np.arange(17)[:, None] / 16.0) == 1 / 16
    assert input_resolution(np.array([[np.pi]])) is None
