"""Search backends. Each module defines ``run(problem, options, deadline) -> BackendResult``.

lazy       CP-SAT master over hidden targets + per-unit LP checks with no-good cuts (default)
cpsat      one joint CP-SAT model with integer weights
mip        big-M MIP with continuous weights (SCIP / HiGHS through OR-Tools)
enumerate  brute force over separable dichotomies (tiny instances; the reference)
"""
