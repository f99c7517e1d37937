"""CaDiCaL's second opinion on the master, run beside CP-SAT so that it costs a core, not time.

An INFEASIBLE of the lazy search is never one solver's word: CaDiCaL (python-sat) re-solves the
master's logged clauses (:class:`~combinatorial.clauses.ClauseModel`) and must agree. Run after
CP-SAT, that second solve doubled the wall time of a hard refutation (parity-6 width 5: 12 s for
CP-SAT, then 13 s for CaDiCaL). So a master solve that is still running after
:data:`START_AFTER` seconds starts CaDiCaL on the same clauses in a thread (python-sat releases
the interpreter while it searches with ``expect_interrupt``); a candidate from CP-SAT stops it,
and an INFEASIBLE waits for its answer. Short solves, which are most of them, never start it.
"""

from __future__ import annotations

import threading
import time

# Below this, a master solve rarely ends in a refutation worth the overlap, and the thread's
# start (the clauses copied into CaDiCaL) would cost more than it saves.
START_AFTER = 0.5


def cadical(clauses: list[list[int]]):
    from pysat.solvers import Cadical195

    return Cadical195(bootstrap_with=clauses)


class SecondOpinion:
    """CaDiCaL on the master's clauses as they stand when it starts (``clauses()`` is called
    then, while CP-SAT holds the model still), in a thread started after ``delay`` seconds."""

    def __init__(self, clauses, delay: float | None = None):
        delay = START_AFTER if delay is None else delay
        self._clauses, self._lock = clauses, threading.Lock()
        self._solver, self._cancelled, self._answer, self._done = None, False, None, threading.Event()
        self._thread = threading.Timer(delay, self._run)
        self._thread.daemon = True
        self._thread.start()

    def _run(self) -> None:
        with self._lock:  # the snapshot is taken before the master can change again
            if self._cancelled:
                return
            self._solver = cadical(self._clauses())
        try:
            self._answer = self._solver.solve_limited(expect_interrupt=True)
        finally:
            self._done.set()

    @property
    def started(self) -> bool:
        with self._lock:
            return self._solver is not None

    def cancel(self) -> None:
        """Stop it (CP-SAT answered with a candidate, or without a refutation) and free CaDiCaL."""
        with self._lock:
            self._cancelled = True
            self._thread.cancel()
            solver = self._solver
        if solver is not None:
            while not self._done.wait(0.05):  # an interrupt before the search began is repeated
                solver.interrupt()
            solver.delete()
            self._solver = None

    def answer(self, deadline: float | None) -> bool | None:
        """CaDiCaL's verdict (False: UNSAT, True: SAT), waiting for it until ``deadline``; None
        if the deadline came first."""
        left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        finished = self._done.wait(left)
        answer = self._answer if finished else None
        self.cancel()
        return answer
