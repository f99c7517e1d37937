"""Exact engine: search hidden-unit targets that make every unit separable, or prove none exist.

numpy + OR-Tools + scipy/scikit-learn; never imports torch. Importing this package loads neither
OR-Tools nor any backend: each backend is imported when a solve asks for it.

    >>> from combinatorial import solve
    >>> sol = solve(X, y, hidden=(2,))          # doctest: +SKIP
    >>> sol.status, sol.proved_for, sol.layers  # doctest: +SKIP
"""

from .certificates import Conflict, Farkas, ProofFile, SolverWord
from .clauses import Refutation
from .network import LayerWeights, forward, sign
from .problem import Architecture, Problem, ProblemError
from .separability import SeparabilityResult, check_separable, verify_farkas
from .solution import ALL_REAL_WEIGHTS, BackendResult, Solution, Status, integer_scope
from .backends import BACKENDS
from .engine import solve
from .fitting import fit_network
from .minwidth import WidthSearch, min_width
from .options import OBJECTIVES, SolveOptions
from .solution import VerificationError

__all__ = [
    "ALL_REAL_WEIGHTS", "Architecture", "BACKENDS", "BackendResult", "Conflict", "Farkas", "LayerWeights",
    "OBJECTIVES", "Problem", "ProblemError", "ProofFile", "Refutation", "SeparabilityResult", "SolverWord", "Solution", "SolveOptions", "Status", "VerificationError",
    "WidthSearch", "check_separable", "fit_network", "forward", "integer_scope", "min_width", "sign", "solve",
    "verify_farkas",
]
