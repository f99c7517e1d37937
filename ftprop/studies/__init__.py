"""Studies built on both engines: exact-vs-heuristic comparison, the heuristics behind warm starts,
and the training helpers of `ftprop train` / `ftprop evaluate`."""
