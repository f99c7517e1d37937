"""The lazy backend's portfolio: full-batch FTPROP in a thread beside the master.

The master (CP-SAT, then LP checks) runs in the caller's thread; CP-SAT releases the GIL while
it searches, so a FTPROP search (:class:`combinatorial.backends.ftprop.Slices`, one restart at a
time) runs at the same time in a daemon thread. It publishes the best targets it has seen; a
fit stops the master's current solve (``on_found``) so the loop can return it at once. Proofs
never come from here. ``close`` stops the thread between (or inside) restarts and waits for it.
"""

from __future__ import annotations

import threading
import time


class Heuristic:
    def __init__(self, problem, *, seed: int, deadline: float | None, on_found):
        from . import load

        self.stop = threading.Event()
        self._slices = load("ftprop").Slices(problem, seed=seed, deadline=deadline, stop=self.stop)
        self._lock = threading.Lock()
        self._targets, self._fresh, self._found = None, False, False
        self._on_found = on_found
        self.runs, self.seconds, self.error = 0, 0.0, None
        self._thread = threading.Thread(target=self._run, name="ftprop-portfolio", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        try:
            while not self.stop.is_set() and not self._slices.exhausted:
                trace = self._slices.next(1)
                self.runs = trace.restarts
                with self._lock:
                    if trace.hidden_targets is not None and trace.hidden_targets is not self._targets:
                        self._targets, self._fresh = trace.hidden_targets, True
                    self._found = trace.found
                if trace.found:
                    self._on_found()
                    return
        except Exception as exc:  # never let the helper take the proof search down
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.seconds = time.monotonic() - start

    @property
    def found(self) -> bool:
        with self._lock:
            return self._found

    def take(self):
        """(targets, found): the best targets if new since the last call (else None)."""
        with self._lock:
            targets = self._targets if self._fresh else None
            self._fresh = False
            return targets, self._found

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=10)
