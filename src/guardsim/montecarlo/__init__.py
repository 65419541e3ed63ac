"""Many runs: Monte Carlo, sweeps and recommend, their executors, checkpoints, tables, progress."""
