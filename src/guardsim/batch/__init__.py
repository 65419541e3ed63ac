"""The batch engine: Monte Carlo replications simulated in lockstep as numpy arrays."""

from guardsim.batch.engine import BLOCK, run_batch, run_batch_columns

__all__ = ["BLOCK", "run_batch", "run_batch_columns"]
