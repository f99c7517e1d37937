"""Hard-threshold activations and target rules: forward values, closed forms, autograd plumbing."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

import minibatch  # noqa: E402
from minibatch import Sign, Staircase, Step, activation  # noqa: E402
from minibatch import functional as MF  # noqa: E402
from minibatch.rules import RULES  # noqa: E402


pytestmark = pytest.mark.usefixtures("one_torch_thread")

# Centred pre-activations c, with the kinks (0, +-1) and the saturated region (+-2), and incoming
# gradients g of both signs and zero. Every (c, g) pair is one unit of a (7, 5) grid.
C = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], dtype=torch.float64)
G = torch.tensor([-1.5, -0.25, 0.0, 0.75, 2.0], dtype=torch.float64)
CC, GG = torch.meshgrid(C, G, indexing="ij")

# The three activations as (functional, x from c, c from x); the staircase has c = 2x - 1.
ACTS = {
    "sign": (MF.sign, lambda c: c),
    "step": (MF.step, lambda c: c),
    "staircase": (MF.staircase, lambda c: (c + 1) / 2),
}


# --- reference: the per-unit layer losses, differentiated by autograd ---------------------------

def reference_loss(rule: str, c, t):
    """L(c, t) for each rule, written from the paper's definitions (u = t c)."""
    u = t * c
    if rule == "ste":
        return -u
    if rule in ("sste", "sat-hinge"):
        return torch.clamp(1 - u, 0, 2)  # clamp's backward keeps both ends: window -1 <= u <= 1
    if rule == "hinge":
        return torch.clamp(1 - u, min=0)
    if rule == "soft-hinge":
        return torch.tanh(-u) + 1
    raise AssertionError(rule)


def reference_grad(rule: str, c, g, weighted: bool):
    """|g| * dL(c, t)/dc (or dL/dc / B unweighted, B = rows) with t = sign(-g), by autograd."""
    c = c.clone().requires_grad_(True)
    t = torch.sign(-g)
    weight = g.abs() if weighted else (g != 0).to(g.dtype) / g.shape[0]
    (weight * reference_loss(rule, c, t)).sum().backward()
    return c.grad


def grad_of(fn, x, g, **kw):
    x = x.clone().requires_grad_(True)
    fn(x, **kw).backward(g)
    return x.grad


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("act", ACTS)
def test_backward_matches_brute_force_loss_gradient(act, rule, weighted):
    fn, x_of = ACTS[act]
    got = grad_of(fn, x_of(CC), GG, rule=rule, weighted=weighted)
    torch.testing.assert_close(got, reference_grad(rule, CC, GG, weighted), rtol=1e-12, atol=1e-12)


# --- the special cases of the notes, as closed forms ------------------------------------------

def test_sat_hinge_weighted_is_sste():
    expected = GG * (CC.abs() <= 1)
    for rule in ("sat-hinge", "sste"):
        torch.testing.assert_close(grad_of(MF.sign, CC, GG, rule=rule), expected)


def test_soft_hinge_weighted_is_g_times_tanh_derivative():
    expected = GG * (1 - torch.tanh(CC) ** 2)
    torch.testing.assert_close(grad_of(MF.sign, CC, GG, rule="soft-hinge"), expected)
    staircase = grad_of(MF.staircase, (CC + 1) / 2, GG, rule="soft-hinge")
    torch.testing.assert_close(staircase, expected)  # one bump g (1 - tanh(2x - 1)^2)


def test_ste_passes_g_through():
    torch.testing.assert_close(grad_of(MF.sign, CC, GG, rule="ste"), GG)


def test_hinge_closed_form():
    t = torch.sign(-GG)
    expected = GG * (t * CC <= 1)
    torch.testing.assert_close(grad_of(MF.sign, CC, GG, rule="hinge"), expected)
    # e.g. c = -2 with g > 0 (target -1, already beyond the margin): no gradient
    assert grad_of(MF.sign, torch.tensor([-2.0]), torch.tensor([1.0]), rule="hinge").item() == 0


@pytest.mark.parametrize("rule", RULES)
def test_unweighted_sees_only_sign_of_g(rule):
    weighted = grad_of(MF.sign, CC, GG, rule=rule, weighted=True)
    unweighted = grad_of(MF.sign, CC, GG, rule=rule, weighted=False)
    # weighted = |g| * B * unweighted (B = 7 rows: the batch), and scaling g by a positive
    # factor changes nothing unweighted
    torch.testing.assert_close(weighted, GG.abs() * unweighted * CC.shape[0])
    torch.testing.assert_close(grad_of(MF.sign, CC, 3 * GG, rule=rule, weighted=False), unweighted)


@pytest.mark.parametrize("rule", RULES)
def test_unweighted_is_a_mean_over_the_batch(rule):
    # the paper's code divides sign(g) * window by the batch size: the same examples twice over
    # get half the gradient each, as a mean loss gives the weighted rules
    once = grad_of(MF.sign, CC, GG, rule=rule, weighted=False)
    twice = grad_of(MF.sign, torch.cat([CC, CC]), torch.cat([GG, GG]), rule=rule, weighted=False)
    torch.testing.assert_close(twice, torch.cat([once, once]) / 2)
    assert once.abs().max() > 0


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("rule", RULES)
def test_zero_incoming_gradient_gives_zero_gradient(rule, weighted):
    for fn, x_of in ACTS.values():
        got = grad_of(fn, x_of(C), torch.zeros_like(C), rule=rule, weighted=weighted)
        assert torch.equal(got, torch.zeros_like(C))


def test_window_edges_are_exact_in_float32():
    ones = torch.tensor([-1.0, 1.0])
    below, above = torch.nextafter(ones, 2 * ones).tolist()  # the float32 neighbours outside
    x = torch.tensor([below, -1.0, 1.0, above], dtype=torch.float32)
    got = grad_of(MF.sign, x, torch.ones(4), rule="sste")
    assert got.tolist() == [0.0, 1.0, 1.0, 0.0]
    x = torch.tensor([-1e-45, -0.0, 0.0, 1.0, 1.0000001], dtype=torch.float32)
    assert grad_of(MF.staircase, x, torch.ones(5), rule="sste").tolist() == [0, 1, 1, 1, 0]


# --- forward values and ties ------------------------------------------------------------------

def test_forward_values_and_ties_at_zero():
    z = torch.tensor([-2.0, -1e-30, -0.0, 0.0, 1e-30, 3.0])
    assert MF.sign(z).tolist() == [-1, -1, 1, 1, 1, 1]
    assert MF.step(z).tolist() == [0, 0, 1, 1, 1, 1]


def test_staircase_levels_and_ties():
    x = torch.tensor([-1.0, 0.0, 1 / 6 - 1e-6, 1 / 6, 0.4, 0.5, 5 / 6, 1.0, 7.0])
    got = MF.staircase(x, levels=3) * 3
    assert got.tolist() == [0, 0, 0, 1, 1, 2, 3, 3, 3]  # thresholds (k - 1/2)/n, ties go up
    fine = MF.staircase(torch.linspace(-0.5, 1.5, 1001), levels=7)
    assert sorted(set((fine * 7).round().tolist())) == list(range(8))
    assert MF.staircase(torch.tensor([0.49, 0.5]), levels=1).tolist() == [0, 1]


def test_ceil_staircase_has_the_paper_codes_thresholds():
    # the authors' StaircaseF: clamp(ceil(x (n - 1)), 0, n) / n; n = 3 -> thresholds 0, 1/2, 1
    x = torch.tensor([-1.0, 0.0, 1e-6, 0.5, 0.5001, 1.0, 1.0001, 7.0])
    assert (MF.staircase(x, levels=3, quantizer="ceil") * 3).round().tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    # n = 5 (their ResNet-18 qReLU): thresholds at 0, 1/4, 1/2, 3/4, 1, ties downwards
    x = torch.tensor([0.0, 0.25, 0.2501, 0.5, 0.75, 0.7501, 1.0, 1.01])
    assert (MF.staircase(x, levels=5, quantizer="ceil") * 5).round().tolist() == [0, 1, 2, 2, 3, 4, 4, 5]
    # same backward as the rounding staircase (the window [0, 1] holds every threshold)
    x = torch.linspace(-0.5, 1.5, 9)
    g = torch.linspace(-1.0, 1.0, 9)
    for rule in RULES:
        torch.testing.assert_close(grad_of(MF.staircase, x, g, rule=rule, quantizer="ceil"),
                                   grad_of(MF.staircase, x, g, rule=rule))
    act = Staircase(levels=5, quantizer="ceil", rule="sste")
    assert repr(act) == "Staircase(levels=5, quantizer='ceil', rule='sste', weighted=True)"
    with pytest.raises(ValueError, match="round, ceil"):
        Staircase(quantizer="floor")
    with pytest.raises(ValueError, match=">= 2"):
        Staircase(levels=1, quantizer="ceil")


def test_dtype_is_preserved_and_low_precision_backward_runs_in_fp32():
    x = torch.tensor([-1.5, -0.5, 0.0, 0.25, 3.0], dtype=torch.bfloat16, requires_grad=True)
    g = torch.tensor([0.3, -2.0, 1.0, -0.5, 1.0], dtype=torch.bfloat16)
    out = MF.sign(x, rule="soft-hinge")
    assert out.dtype == torch.bfloat16
    out.backward(g)
    assert x.grad.dtype == torch.bfloat16
    expected = g.float() * (1 - torch.tanh(x.detach().float()) ** 2)
    torch.testing.assert_close(x.grad.float(), expected, rtol=1e-2, atol=1e-2)


def test_cpu_autocast_region():
    lin = torch.nn.Linear(4, 3)
    act = Sign(rule="soft-hinge")
    x = torch.randn(5, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = act(lin(x))
    out.float().sum().backward()
    assert lin.weight.grad is not None and torch.isfinite(lin.weight.grad).all()


# --- validation and the registry --------------------------------------------------------------

def test_unknown_rule_lists_valid_ones():
    with pytest.raises(ValueError, match="soft-hinge"):
        Sign(rule="perceptron")
    with pytest.raises(ValueError, match="valid rules"):
        MF.sign(torch.zeros(2), rule="nope")
    with pytest.raises(ValueError, match="qrelu"):
        activation("tanh")
    with pytest.raises(ValueError, match="levels"):
        Staircase(levels=0)
    with pytest.raises(TypeError):
        Step(weighted="yes")


def test_registry_and_factory():
    assert minibatch.RULES == ("ste", "sste", "hinge", "sat-hinge", "soft-hinge")
    act = activation("qrelu", rule="sste", weighted=False)
    assert isinstance(act, Staircase) and act.levels == 3
    assert repr(act) == "Staircase(levels=3, rule='sste', weighted=False)"
    assert repr(Sign()) == "Sign(rule='soft-hinge', weighted=True)"
    # the name becomes a Rule once, in the constructor, and a Rule passes through unchanged
    rule = minibatch.rules.get_rule("hinge")
    assert Sign(rule="hinge").rule is rule and Step(rule=rule).rule is rule
    assert isinstance(activation("relu", rule="hinge"), torch.nn.ReLU)
    sat = activation("sat-relu")
    assert sat(torch.tensor([-1.0, 0.5, 2.0])).tolist() == [0.0, 0.5, 1.0]


# --- autograd plumbing: torch.func, compile ----------------------------------------------------

def test_torch_func_grad_and_vmap():
    w = torch.tensor([1.0, -2.0, 0.0, 0.5, -1.0, 3.0, 2.0], dtype=torch.float64)

    def loss(c):
        return (MF.sign(c, rule="soft-hinge") * w).sum()

    expected = w * (1 - torch.tanh(C) ** 2)
    torch.testing.assert_close(torch.func.grad(loss)(C), expected)
    batched = torch.func.vmap(torch.func.grad(loss))(torch.stack([C, -C]))
    torch.testing.assert_close(batched[1], w * (1 - torch.tanh(-C) ** 2))


def test_torch_compile_fullgraph_smoke():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), Sign(), torch.nn.Linear(8, 8),
                              Staircase(rule="sste"), torch.nn.Linear(8, 8),
                              Sign(rule="hinge", weighted=False), torch.nn.Linear(8, 2))
    x = torch.randn(4, 6)
    net(x).square().sum().backward()
    eager = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    try:
        compiled = torch.compile(net, fullgraph=True)
        compiled(x).square().sum().backward()
    except Exception as exc:  # no working compiler backend on this machine
        if "fullgraph" in str(exc) or "Unsupported" in type(exc).__name__:
            raise
        pytest.skip(f"torch.compile unavailable here: {type(exc).__name__}: {exc}")
    for got, want in zip((p.grad for p in net.parameters()), eager):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


# --- diagnostics hook ---------------------------------------------------------------------------

def test_track_stats_counts_and_pop_resets():
    act = Sign(rule="sste")
    assert act.track_stats is False
    act.track_stats = True
    z = torch.tensor([[-2.0, -0.5, 0.0, 0.5, 3.0]], requires_grad=True)
    g = torch.tensor([[1.0, -1.0, 0.0, -2.0, 1.0]])
    # h = [-1, -1, +1, +1, +1]; t = sign(-g) = [-1, +1, 0, +1, -1]
    # disagree among t != 0: units 1 and 4 -> 2 of 4; zero target 1 of 5; saturated |z| > 1: 2 of 5
    act(z).backward(g)
    stats = act.pop_stats()
    assert stats == {"disagree": 0.5, "zero_target": 0.2, "saturated": 0.4, "total": 5.0}
    empty = act.pop_stats()
    assert empty["total"] == 0.0 and math.isnan(empty["disagree"])


def test_track_stats_staircase_centres_at_one_half():
    act = Staircase(rule="soft-hinge")
    act.track_stats = True
    x = torch.tensor([-0.5, 0.25, 0.5, 1.5], requires_grad=True)
    act(x).backward(torch.tensor([-1.0, -1.0, 1.0, 1.0]))  # t = [+1, +1, -1, -1]
    stats = act.pop_stats()  # sign(2x - 1) = [-1, -1, +1, +1]: all four disagree
    assert stats["disagree"] == 1.0 and stats["saturated"] == 0.5


def test_track_stats_off_registers_no_hook():
    act = Sign()
    out = act(torch.randn(3, requires_grad=True))
    assert not out._backward_hooks
    out.sum().backward()
    assert act.pop_stats()["total"] == 0.0
