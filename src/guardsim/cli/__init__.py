"""The ``guardsim`` command line: one module per command group, each thin over the library.

:mod:`guardsim.cli.main` builds the parser and maps errors to exit statuses; the command
groups register their subcommands: :mod:`~guardsim.cli.run` (run, report),
:mod:`~guardsim.cli.scenarios` (validate, scenarios, show), :mod:`~guardsim.cli.montecarlo`
(mc, sweep, recommend), :mod:`~guardsim.cli.compare` (compare, calibrate),
:mod:`~guardsim.cli.lint` and :mod:`~guardsim.cli.real`. :mod:`guardsim.cli.args` holds the
exit statuses, argument types and output-path checks they share. Registering a group only
declares its arguments; each command imports its heavy dependencies when it runs, so
``guardsim --help`` and ``--version`` import no numpy, botocore, SimPy, pandas or plotly.
"""

from guardsim.cli.main import build_parser, entry, main

__all__ = ["build_parser", "entry", "main"]
