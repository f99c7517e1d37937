"""Fixtures shared by every test folder. The tests mirror the packages (combinatorial/,
minibatch/, ftprop/; each folder has its own conftest where it needs fixtures of its own);
tests/instances.py, tests/checks.py and tests/fakes.py are helpers they import."""

from __future__ import annotations

import pytest


@pytest.fixture
def one_torch_thread():
    """One intra-op torch thread: tensors in tests are tiny, CI has 2 shared cores, and
    bitwise-equal reruns (resume tests) need a fixed thread count."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt in this process during the test, as at a terminal, however
    the suite was started (a shell's background job inherits SIGINT ignored)."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
