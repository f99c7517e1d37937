"""What a person reads after a solve: the details under the summary line, and run metadata.

Shared by ``ftprop solve`` and ``ftprop minwidth`` (and usable from Python)."""

from __future__ import annotations

from ftprop.errors import EXIT_INTERNAL, EXIT_OK, EXIT_UNKNOWN


def run_metadata(args, ds) -> dict:
    from ftprop.io import command_line, versions

    out = {"dataset": ds.name, "data_file": args.data, "command": command_line(), "versions": versions()}
    if args.data:  # what was read: a header row skipped is said, never silent
        out.update(rows_read=ds.meta.get("rows_read"), header_skipped=ds.meta.get("header"))
    return out


def exit_code(sol) -> int:
    from combinatorial import Status
    from combinatorial.options import STAGED_OBJECTIVES

    if sol.proof_file is not None and sol.proof_file.rejected:
        return EXIT_INTERNAL  # a proof the checker rejects: a bug, never an answer
    if sol.status in (Status.INFEASIBLE, Status.OPTIMAL):
        return EXIT_OK
    if sol.status == Status.FEASIBLE and sol.objective == "feasibility":
        return EXIT_OK
    if sol.status == Status.FEASIBLE and sol.objective in STAGED_OBJECTIVES:
        stage1 = (sol.stats.get("stages") or [{}])[0]
        if sol.train_errors == 0 or stage1.get("search_status") == "optimal":
            return EXIT_OK  # the fit is definite; stages 2-3 report their own per-unit statuses
    return EXIT_UNKNOWN


def with_certificate(sol, ds, *, check: bool):
    """``sol`` with a ``proof_file`` that always says what the answer rests on: the proof file
    (checked now when ``check``), or that there is none and why."""
    from dataclasses import replace

    from combinatorial import Status
    from combinatorial.certificates import ProofFile
    from combinatorial.proof import NO_CERTIFICATE

    pf = sol.proof_file
    if pf is not None and pf.file and check:
        from ftprop.checker import check as check_file

        verdict = check_file(pf.file, ds.X, ds.y)
        pf = replace(pf, checked=verdict.valid, check=verdict.line(), check_s=verdict.stats.get("check_s"))
    elif pf is None:
        if _certifiable(sol, Status):
            note = "no proof file written (--proof FILE writes one that `ftprop check` verifies)"
        else:
            note = f"{NO_CERTIFICATE}: {sol.status.value} {sol.objective} answers are not certified"
        pf = ProofFile("none", note=note)
    return replace(sol, proof_file=pf)


def _certifiable(sol, Status) -> bool:
    """Whether ``--proof`` would have written a file for this answer: a feasibility answer, a
    network without errors (its own proof), or a min-errors optimum the lazy master or the
    one- or two-unit search proved (not one closed by the feasibility search's refutation, which names
    another ``exact_method``)."""
    if sol.status in (Status.FEASIBLE, Status.OPTIMAL) and sol.train_errors == 0:
        return True
    if sol.objective == "feasibility":
        return sol.status in (Status.FEASIBLE, Status.INFEASIBLE)
    return (sol.objective == "min-errors" and sol.status is Status.OPTIMAL and sol.backend == "lazy"
            and ("exact_method" not in sol.stats or "exact_s" in sol.stats))


def certificate_line(pf) -> str:
    """One line: where the proof file is and whether it was checked, or that there is none."""
    if pf is None or not pf.file:
        return f"certificate: {pf.note if pf is not None else 'none'}"
    size = f", {pf.sizes['bytes']} bytes" if pf.sizes.get("bytes") else ""
    checked = (f"checked by ftprop check: {pf.check} in {pf.check_s or 0:.2f} s"
               if pf.check is not None else "not checked (run ftprop check on it with the same data)")
    return f"certificate: {pf.kind} in {pf.file}{size}, written in {pf.sizes.get('write_s') or 0:.2f} s; {checked}"


MAX_WEIGHTS_SHOWN = 16  # wider units are summarised in the human output


def describe(sol, name: str) -> str:
    """Readable details after the summary line: data, proof in words, rounded weights."""
    arch = "-".join(map(str, sol.architecture)) + (" with shortcut" if sol.shortcut else "")
    lines = [f"data: {name}, {sol.n_examples} examples; network {arch}; objective {sol.objective}; seed {sol.seed}"]
    if sol.message:
        lines.append(f"note: {sol.message}")
    if "per_cube" in sol.stats:
        st = sol.stats
        lines.append(f"cubes: {len(st['per_cube'])} of {st['cubes']} solved over {', '.join(st['cube_variables'])}; "
                     f"{st['cube_seconds_sum']:.2f} s of cube searches in all, the largest {st['largest_cube_s']:.2f} s")
    cert = sol.certificate
    if cert is not None:
        if cert.kind == "farkas":
            lam = ", ".join(f"{float(v):.3g}" for v in cert.multipliers)
            lines.append(
                f"proof: output unit {cert.unit} has no weights: examples {list(cert.examples)} with "
                f"multipliers [{lam}] sum to zero in [input, 1] space, each signed by its target "
                "(a Farkas certificate, checked in exact rational arithmetic; exact values in --json)"
            )
        elif cert.reason:
            lines.append(f"proof: {cert.reason}")
    if cert is not None or sol.proof_file is not None:
        lines.append(certificate_line(sol.proof_file))
    if sol.lower_bound is not None and sol.objective == "min-errors":
        lines.append(f"lower bound on training errors: {sol.lower_bound:g}")
    if sol.layers is not None:
        lines.append("network (unit = sign(W . input + b), sign(0) = +1):")
        for l, layer in enumerate(sol.layers, 1):
            kind = "output" if l == len(sol.layers) else "hidden"
            for j, (w, b) in enumerate(zip(layer.W, layer.b)):
                if len(w) > MAX_WEIGHTS_SHOWN:  # wide units: a summary (--json has every weight)
                    nz = int(sum(1 for v in w if abs(v) > 1e-12))
                    ws = f"{len(w)} weights, {nz} non-zero, max |w| {max(abs(_r(v)) for v in w):.3g}"
                else:
                    ws = " ".join(f"{_r(v):+.3g}" for v in w)
                lines.append(f"  layer {l} ({kind}) unit {j}: W = [{ws}]  b = {_r(b):+.3g}")
    for st in sol.stats.get("stages") or []:
        extra = "".join(
            f", {label} {st[key]:g}" for key, label in (("margin_sum", "margin sum"), ("nonzero_weights", "non-zero weights"))
            if st.get(key) is not None
        )
        lines.append(f"stage {st.get('stage')}: {st.get('status')} ({st.get('optimal_for', '')}; "
                     f"{st.get('scope', '')}){extra} in {st.get('seconds', 0):.2f} s")
    stats = {k: v for k, v in sol.stats.items() if not isinstance(v, (dict, list))}
    if stats:
        lines.append("stats: " + ", ".join(f"{k}={v}" for k, v in stats.items()))
    return "\n".join(lines)


def _r(v: float) -> float:
    return round(float(v), 3) + 0.0  # no "-0"
