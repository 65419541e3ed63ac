"""The Monte Carlo modes, in a module of their own so that declaring ``--mode`` costs nothing.

``auto``: the batch engine, which runs every valid scenario (see
:func:`guardsim.montecarlo.monte_carlo.resolve_mode`); ``batch``: the lockstep numpy engine;
``fast``: per-minute aggregates, one replication at a time; ``exact``: every request.
"""

from __future__ import annotations

MODES = ("auto", "batch", "fast", "exact")
