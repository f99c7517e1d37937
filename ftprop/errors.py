"""Errors that the CLI turns into one-line messages with exit status 2.

Library code raises :class:`InputError` (a ``ValueError``) for bad user input; the CLI catches it
at the boundary, prints ``error: <message>`` and exits with status 2. Anything else is a bug and
exits with status 1.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_UNKNOWN = 3


class InputError(ValueError):
    """Bad input from the user: a file, a flag value, a data set. The message names the problem."""
