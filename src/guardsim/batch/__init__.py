"""The batch engine: Monte Carlo replications simulated in lockstep as numpy arrays."""

from guardsim.batch.engine import BLOCK, batch_unsupported, run_batch

__all__ = ["BLOCK", "batch_unsupported", "run_batch"]
