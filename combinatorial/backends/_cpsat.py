"""One place for the CP-SAT quirk both CP-SAT backends share: Ctrl-C handling.

CP-SAT can catch SIGINT itself (``catch_sigint_signal``), but then it cannot tell us whether a
solve stopped for Ctrl-C, and under some parents (``timeout``, a shell's background job) it ends
solves early with no signal sent at all: a 1 s master turn came back UNKNOWN after 0.6 s and read
as an interrupt. So CP-SAT is told not to catch it, and during the solve a Python handler of our
own notes a Ctrl-C instead of raising. Python's C-level handler records the signal at once and
writes it to a wakeup pipe (:func:`signal.set_wakeup_fd`); a watcher thread reading that pipe
calls ``stop_search``, so the solve returns its best so far, and :func:`solve_keeping_sigint`
says that it was interrupted. Python's handler is back in place when it returns.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from contextlib import contextmanager


def solve_keeping_sigint(solver, model, callback=None):
    """Run ``solver.solve(model[, callback])``; return (status, interrupted by Ctrl-C)."""
    from ortools.sat.python import cp_model

    solver.parameters.catch_sigint_signal = False
    with _stop_on_sigint(solver) as fired:
        try:
            status = solver.solve(model, callback) if callback is not None else solver.solve(model)
        except KeyboardInterrupt:  # a Ctrl-C outside our watch (another thread's solve)
            fired.set()
            status = cp_model.UNKNOWN
    return status, fired.is_set()


@contextmanager
def _stop_on_sigint(solver):
    """While the block runs, a Ctrl-C stops the solver's search; yields an Event set by it."""
    fired = threading.Event()
    watching = threading.current_thread() is threading.main_thread() and callable(signal.getsignal(signal.SIGINT))
    if not watching:  # SIGINT ignored (nothing to catch) or not ours to watch from this thread
        yield fired
        return
    r, w = os.pipe()
    os.set_blocking(w, False)
    previous = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    if previous != -1:  # someone else (an event loop) reads the wakeup fd: leave it to them
        signal.set_wakeup_fd(previous)
        os.close(r), os.close(w)
        yield fired
        return
    done = threading.Event()
    python_sigint = signal.signal(signal.SIGINT, lambda *_: fired.set())

    def watch():
        while not done.is_set():
            if select.select([r], [], [], 0.1)[0]:
                if signal.SIGINT in os.read(r, 64):
                    fired.set()
                    solver.stop_search()

    thread = threading.Thread(target=watch, name="cp-sat ctrl-c", daemon=True)
    thread.start()
    try:
        yield fired
    finally:
        done.set()
        os.write(w, b"\0")  # wake the watcher now (no signal is numbered 0), not at its next poll
        thread.join()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGINT, python_sigint)
        os.close(r), os.close(w)
