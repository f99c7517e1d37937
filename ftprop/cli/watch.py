"""Watching a long solve: progress lines on stderr and a JSONL event log (``--progress``,
``--quiet``, ``--log FILE``).

The search calls :class:`Watch` with one event per master turn or heuristic slice
(``SolveOptions.progress``). Lines go to stderr at most once a second (the first and the last
event always), by default only when stderr is a terminal; the log gets every event, one JSON
object per line, flushed as it is written, so a killed run keeps what it logged.
"""

from __future__ import annotations

import json
import sys
import time

from ftprop.errors import InputError

LINE_INTERVAL_S = 1.0  # at most one progress line a second: readable, and cheap on a slow terminal


class Watch:
    def __init__(self, *, lines: bool, log_path: str | None = None, stream=None, label: str = ""):
        self.lines, self.stream, self.label = lines, stream or sys.stderr, label
        try:
            self.log = open(log_path, "a", encoding="utf-8") if log_path else None  # closed by close()
        except OSError as exc:
            raise InputError(f"--log {log_path}: {exc.strerror or exc}") from None
        self.last_line = None

    @classmethod
    def from_args(cls, args, label: str = "") -> "Watch | None":
        """The watch the flags ask for, or None (no lines, no log)."""
        lines = not args.quiet and (args.progress or sys.stderr.isatty())
        if not lines and not args.log:
            return None
        return cls(lines=lines, log_path=args.log, label=label)

    def __call__(self, event: dict) -> None:
        if self.log is not None:
            self.log.write(json.dumps({**event, "label": self.label} if self.label else event) + "\n")
            self.log.flush()
        now = time.monotonic()
        if self.lines and (self.last_line is None or now - self.last_line >= LINE_INTERVAL_S):
            self.last_line = now
            print(line(event, self.label), file=self.stream, flush=True)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
            self.log = None


def line(event: dict, label: str = "") -> str:
    """``[  3.2 s] master turn 7: 200 examples (working set 40), best 13 errors, bound 2, 31 cuts, 5 restarts``."""
    parts = [f"{event.get('examples')} examples"]
    if event.get("working_set") not in (None, event.get("examples")):
        parts[0] += f" (working set {event['working_set']})"
    if event.get("incumbent_errors") is not None:
        parts.append(f"best {event['incumbent_errors']} errors")
    if event.get("lower_bound") is not None:
        parts.append(f"bound {event['lower_bound']:g}")
    parts.append(f"{event.get('cuts', 0)} cuts")
    parts.append(f"{event.get('heuristic_runs', 0)} restarts")
    what = {"start": "search started", "master": f"master turn {event.get('iterations')}",
            "heuristic": "heuristic slice", "round": "working set grown", "listing": "listing half-plane dichotomies",
            "descent": f"coordinate descent, {event.get('iterations')} of {event.get('rows')} starts",
            "errorsets": "error sets",
            "triples": f"triples ({event.get('shape')}, label {event.get('inside')} inside"
                       f"{', first pass' if event.get('first_pass') else ''}), {event.get('iterations')} of {event.get('rows')} "
                       f"first dichotomies"}.get(event.get("event"), str(event.get("event")))
    prefix = f"{label}: " if label else ""
    return f"{prefix}[{event.get('elapsed_s', 0):6.1f} s] {what}: " + ", ".join(parts)
