"""Width-3 min-errors in the plane (combinatorial.triples, and the checker's own enumeration in
ftprop.checker.triples) against every triple of dichotomies the exact LP realises under every
threshold function of three bits."""

from __future__ import annotations

import itertools
import json
import re
import zipfile

import numpy as np
import pytest

from combinatorial import solve, triples
from combinatorial.solution import Status
from combinatorial.wedges import dichotomies, front
from instances import assert_tight, plane_points as _points, realised_dichotomies


def _threshold_functions() -> np.ndarray:
    """The 104 threshold functions of three bits, as truth tables (row k: bits of k, MSB first),
    found by small integer weights, which realise every one of them."""
    cube = np.array(list(itertools.product((-1, 1), repeat=3)))
    tables = {tuple(cube @ np.array(w) + t > 0) for w in itertools.product(range(-3, 4), repeat=3)
              for t in np.arange(-6.5, 7.0, 1.0)}
    return np.array(sorted(tables))


FUNCTIONS = _threshold_functions()


def test_the_three_bit_threshold_functions_are_the_known_104():
    assert len(FUNCTIONS) == 104
    assert not any((f == (np.sum(np.array(list(itertools.product((0, 1), repeat=3))), axis=1) % 2 == 1)).all()
                   for f in FUNCTIONS)  # parity is not one of them


def _reference(P, pos, neg):
    """(fewest errors of any three realised dichotomies under any threshold output, whether the
    LP left a dichotomy undecided)."""
    made, undecided = realised_dichotomies(P)
    D = np.array(made)
    idx = np.array(list(itertools.product(range(len(D)), repeat=3)))
    code = D[idx[:, 0]] * 4 + D[idx[:, 1]] * 2 + D[idx[:, 2]].astype(int)  # triples x points
    best = None
    for f in FUNCTIONS:
        R = f[code]
        e = int((pos[None] * ~R + neg[None] * R).sum(axis=1).min())
        best = e if best is None else min(best, e)
    return best, undecided


@pytest.mark.parametrize("seed", range(3))
def test_triples_agree_with_every_realised_triple_under_every_threshold_output(seed):
    from ftprop.checker.triples import fewer_errors

    rng, compared = np.random.default_rng(seed), 0
    for trial in range(16):
        P = _points(rng, trial)
        pos, neg = rng.integers(0, 3, size=len(P)), rng.integers(0, 2, size=len(P))
        if not (pos.sum() and neg.sum()):
            continue
        best, undecided = _reference(P, pos, neg)
        found = triples.best_triple(P, pos, neg, int(pos.sum() + neg.sum()) + 1)
        assert found.errors == found.lower_bound <= best
        if undecided:  # the LP could not say; the enumeration still may not go above it
            continue
        compared += 1
        assert found.errors == best, (P.tolist(), pos.tolist(), neg.tolist())
        R = found.region()
        wc, wn = (pos, neg) if found.inside > 0 else (neg, pos)
        assert int(wc[~R].sum() + wn[R].sum()) == best  # the triple makes what it says
        X = np.repeat(P, pos + neg, axis=0)
        Y = np.concatenate([np.r_[np.ones(p), -np.ones(q)] for p, q in zip(pos, neg)])[:, None]
        assert_tight(fewer_errors, X, Y, best)
    assert compared >= 8


@pytest.mark.parametrize("shape", triples.SHAPES)
def test_each_shape_finds_its_own_best_triple(shape):
    """Each shape's search alone, for either label inside, against scoring that shape on every
    triple of half-plane dichotomies: the pruning by unavoidable errors and by dominance loses no
    triple (on these points the other shapes cannot stand in for it)."""
    rng = np.random.default_rng(11)
    for trial in range(12):
        P = rng.normal(size=(int(rng.integers(5, 9)), 2)) if trial % 2 else np.unique(
            rng.integers(0, 3, size=(8, 2)).astype(float), axis=0)
        pos, neg = rng.integers(0, 3, size=len(P)), rng.integers(0, 3, size=len(P))
        neg[(pos == 0) & (neg == 0)] = 1
        every = np.unique(dichotomies(P, pos + neg + 1, 2**62), axis=0)
        F = front(dichotomies(P, pos, 2**62, neg), pos, neg)
        A, B, C = (every[list(ix)] for ix in zip(*itertools.product(range(len(every)), repeat=3)))
        R = triples.region(shape, A, B, C)
        for c, n, G in ((pos, neg, F), (neg, pos, ~F)):
            brute = int(((~R) @ c + R @ n).min())
            kept = []
            triples._search(shape, G.astype(np.float32), c.astype(np.float32), n.astype(np.float32),
                            int(c.sum() + n.sum()) + 1, kept.append)
            assert kept and all(a[0] > b[0] for a, b in zip(kept, kept[1:]))  # each one better than the last
            got = kept[-1]
            assert got[0] == brute
            assert int((~triples.region(shape, *G[list(got[1:])])) @ c + triples.region(shape, *G[list(got[1:])]) @ n) == brute


@pytest.mark.parametrize("trial", range(4))
def test_three_unit_min_errors_agrees_with_the_enumerate_backend(trial):
    """The lazy backend's triples against the enumerate backend (every hidden target assignment)
    on lattice points: the same optimum, proved for all real weights, the network verified."""
    rng = np.random.default_rng(70 + trial)
    X = rng.integers(-2, 3, size=(6, 2)).astype(float)
    y = rng.integers(0, 2, size=6)
    y[:2] = [0, 1]
    ours = solve(X, y, (3,), objective="min-errors", backend="lazy")
    ref = solve(X, y, (3,), objective="min-errors", backend="enumerate")
    assert ours.status is Status.OPTIMAL and ours.proved_for == "all real weights"
    assert "triple" in ours.stats["exact_method"]
    assert ours.train_errors == ours.lower_bound == ref.train_errors, (X.tolist(), y.tolist())


def test_circles_at_width_three_is_settled_with_a_proof_the_checker_redoes(tmp_path):
    """Circles-200 at width 3 (the general search had 7 errors, bound 1): a triangle with 2
    errors, optimal; the file holds the network alone and the checker lists and scores the
    triples itself. The network with its third unit a copy of the first, claimed optimal with
    the errors it makes, is refused with a triple that beats it; so is a width-2 file relabelled."""
    from ftprop.checker import check
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("circles", DataOptions(samples=200))
    path = tmp_path / "c.proof"
    sol = solve(d.X, d.y, (3,), objective="min-errors", backend="lazy", proof=str(path), time_limit=120)
    assert sol.status is Status.OPTIMAL and sol.train_errors == sol.lower_bound >= 1
    assert sol.proof_file.kind == "triples"
    verdict = check(path, d.X, d.y)
    assert verdict.valid, verdict.reason
    assert "triples" in verdict.trusted

    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n).decode() for n in z.namelist()}
    body = json.loads(members["certificate.json"])
    layer = body["layers"][0]
    layer["W"][2], layer["b"][2] = layer["W"][0], layer["b"][0]
    counted = check(_written(tmp_path, members, body), d.X, d.y)  # the checker counts the edited net
    claimed = int(re.search(r"makes (\d+) training errors, not the", counted.reason)[1])
    assert claimed > sol.train_errors
    body["errors"] = claimed
    verdict = check(_written(tmp_path, members, body), d.X, d.y)
    found = re.search(r"make (\d+) training errors, fewer than the (\d+) claimed", verdict.reason)
    assert not verdict.valid and found and int(found[2]) == claimed, verdict.reason
    assert sol.train_errors <= int(found[1]) < claimed
    two = tmp_path / "two.proof"
    solve(d.X, d.y, (2,), objective="min-errors", backend="lazy", proof=str(two))
    with zipfile.ZipFile(two) as z:
        members = {n: z.read(n).decode() for n in z.namelist()}
    body = json.loads(members["certificate.json"])
    assert body["kind"] == "wedges"
    body["kind"] = "triples"
    assert "hidden width [3]" in check(_written(tmp_path, members, body), d.X, d.y).reason


def _written(tmp_path, members, body):
    out = tmp_path / "edited.proof"
    with zipfile.ZipFile(out, "w") as z:
        for name, text in {**members, "certificate.json": json.dumps(body)}.items():
            z.writestr(name, text)
    return out


def test_an_unfinished_enumeration_hands_its_best_network_to_the_search():
    """Circles-500 needs about 30 s: in 6 s the enumeration is cut short, and the answer keeps a
    true bound and is never worse than the best single line the enumeration starts from."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("circles", DataOptions(samples=500))
    line = solve(d.X, d.y, (1,), objective="min-errors", backend="lazy")
    sol = solve(d.X, d.y, (3,), objective="min-errors", backend="lazy", time_limit=6.0)
    assert sol.status in (Status.FEASIBLE, Status.UNKNOWN)
    assert sol.lower_bound is not None and sol.lower_bound <= sol.train_errors <= line.train_errors
    assert "triple" in sol.stats["exact_method"]


def test_the_enumeration_runs_where_few_errors_are_certain_or_points_are_few(monkeypatch):
    """The lazy backend enumerates triples to the end where the pair bound proves at most 2 % of
    the examples wrong, or on at most 250 distinct points; with many errors certain on more points
    (the two spirals at 500: 165) the listing would take hours, and its best network starts the
    search. Four units or more there start from the best triple found; on few points it gets a
    share of the time, and the search the rest to use the fourth unit."""
    from combinatorial.backends import lazy
    from combinatorial.backends.lazy import threeunits
    from combinatorial.options import SolveOptions
    from combinatorial.problem import Problem
    from ftprop.data import DataOptions, load_dataset

    calls = []
    for name in ("best_triple", "wider_start"):
        monkeypatch.setattr(threeunits, name, lambda problem, floor=0, progress=None, share=None, seed=0, beat=None, name=name:
                            calls.append((name, floor, share)))
    options = SolveOptions(objective="min-errors")
    whole, part = threeunits.SHARE, threeunits.START_SHARE
    for samples, width, certain, runs in ((500, 3, 165, ("best_triple", 165, whole)), (500, 3, 10, ("best_triple", 10, whole)),
                                          (200, 3, 65, ("best_triple", 65, whole)), (500, 4, 147, ("wider_start", 0, whole)),
                                          (200, 4, 57, ("wider_start", 0, part)),
                                          (500, 4, 10, None)):
        d = load_dataset("spirals", DataOptions(samples=samples))
        problem = Problem.from_data(d.X, d.y, (width,))
        calls.clear()
        settled, _, _ = lazy._three_units(problem, options, lazy.LazyOptions(errors_at_least=certain))
        assert settled is None and calls == ([runs] if runs else []), (samples, width, certain)
    d = load_dataset("blobs", DataOptions(samples=500))  # three classes: always, from three units
    calls.clear()
    settled, _, _ = lazy._three_units(Problem.from_data(d.X, d.y, (3,)), options, lazy.LazyOptions(errors_at_least=1))
    assert settled is None and calls == [("wider_start", 0, whole)]


def test_a_deadline_keeps_the_best_triple_found_within_a_shape():
    """Cut short inside a shape's search (spirals-200: the first pass ends at 78 errors, the
    whole pass of A n (B u C) finds 76 at its first dichotomy), the answer is the best found so
    far, not the best of the shapes already finished."""
    from combinatorial import deadline
    from ftprop.data import DataOptions, load_dataset

    class Cut:  # a progress report that ends the enumeration at the whole pass's second tick
        def __init__(self):
            self.heard = []

        def listing(self, best):
            pass

        def shape(self, shape, inside, rows, few):
            def tick(done, total, best):
                self.heard.append((few, best))
                if sum(not f for f, _ in self.heard) > 1:
                    raise deadline.TimeLimit
            return tick

    d = load_dataset("spirals", DataOptions(samples=200))
    pos = (d.y == 1).astype(int)
    cut = Cut()
    found = triples.best_triple(d.X, pos, 1 - pos, 200, 0, cut)
    first_pass = min(b for few, b in cut.heard if few)
    told = cut.heard[-1][1]  # the best the search had when it was cut
    assert found.why == "time limit reached" and found.lower_bound == 0
    assert found.errors == told < first_pass
    R = found.region() if found.inside == 1 else ~found.region()
    assert int(pos[~R].sum() + (1 - pos)[R].sum()) == found.errors


def test_the_enumeration_reports_where_it_is():
    """A watched solve hears from the descent that starts the enumeration, then from the
    enumeration at once (the listing), then at most once a second; the CLI's line names the shape
    and how far it got."""
    from combinatorial.triples import Progress
    from ftprop.cli.watch import line
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("circles", DataOptions(samples=200))
    events = []
    sol = solve(d.X, d.y, (3,), objective="min-errors", backend="lazy", progress=events.append)
    assert [e["event"] for e in events[:2]] == ["descent", "listing"]  # the descent first, then the listing
    assert events[1]["incumbent_errors"] >= sol.train_errors
    assert all(e["lower_bound"] <= sol.train_errors for e in events)
    heard = []
    tick = Progress(heard.append, 200, 1).shape("maj", 1, 50, False)
    tick(10, 50, 7)
    tick(11, 50, 6)  # within the second: not reported
    assert len(heard) == 1 and heard[0]["incumbent_errors"] == 7
    assert "triples (maj, label 1 inside), 10 of 50 first dichotomies" in line(heard[0])


def test_a_wider_layer_starts_from_the_best_triple_and_keeps_its_own_bound():
    """Four units in the plane start from the best triple (the two spirals at 100 points: the
    width-3 optimum, 32 errors, where the general search alone had more) or the descent's four
    units, whichever makes fewer errors; its bound is the
    pairs' bound for four units, not the triple's, which holds for three only."""
    from ftprop.data import DataOptions, load_dataset

    d = load_dataset("spirals", DataOptions(samples=100))
    three = solve(d.X, d.y, (3,), objective="min-errors", backend="lazy", time_limit=60)
    assert three.status is Status.OPTIMAL
    four = solve(d.X, d.y, (4,), objective="min-errors", backend="lazy", time_limit=8)
    assert "triple" in four.stats["exact_method"] or "descent" in four.stats["exact_method"]
    assert four.train_errors <= three.train_errors
    assert four.lower_bound <= four.stats["pair_errors_bound"] < three.train_errors


def test_a_wider_layer_is_settled_where_the_start_of_fewer_units_fits():
    from ftprop.data import DataOptions, load_dataset

    from combinatorial.backends.lazy import LazyOptions

    d = load_dataset("moons", DataOptions(samples=200))
    sol = solve(d.X, d.y, (5,), objective="min-errors", backend="lazy", time_limit=60,
                backend_options=LazyOptions(decision_list=False))
    assert sol.status is Status.OPTIMAL and sol.train_errors == sol.lower_bound == 0
    assert "triple" in sol.stats["exact_method"] or "descent" in sol.stats["exact_method"]
    assert sol.layers[0].W.shape == (5, 2) and sol.hidden_targets[0].shape == (len(d.X), 5)


def test_a_wider_start_meets_the_floor_only_with_the_pairs_certificate(monkeypatch):
    """Without the pairs' certificate the start is asked for no floor: it cannot prove the
    optimum it meets."""
    from combinatorial.backends import lazy
    from combinatorial.backends.lazy import threeunits
    from combinatorial.options import SolveOptions
    from combinatorial.problem import Problem
    from ftprop.data import DataOptions, load_dataset

    calls = []
    monkeypatch.setattr(threeunits, "wider_start", lambda problem, floor=0, progress=None, share=None, seed=0, beat=None: calls.append(floor))
    d = load_dataset("spirals", DataOptions(samples=200))
    problem = Problem.from_data(d.X, d.y, (4,))
    settled, _, _ = lazy._three_units(problem, SolveOptions(objective="min-errors"), lazy.LazyOptions(errors_at_least=57))
    assert settled is None and calls == [0]
