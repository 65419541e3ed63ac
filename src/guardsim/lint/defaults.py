"""The defaults of a lint run, in a module of their own so that the ``guardsim lint`` argument
declarations (and ``guardsim --help``) import nothing heavy."""

from __future__ import annotations

#: Monte Carlo runs per model variant (failing, healthy) behind lint's evidence.
DEFAULT_REPLICATIONS = 100
