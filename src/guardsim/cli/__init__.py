"""The ``guardsim`` command line: one module per command group, each thin over the library.

:mod:`guardsim.cli.main` builds the parser and maps errors to exit statuses; the command
groups (:mod:`~guardsim.cli.montecarlo`, :mod:`~guardsim.cli.compare`, :mod:`~guardsim.cli.lint`,
:mod:`~guardsim.cli.real`) register their subcommands; :mod:`guardsim.cli.args` holds the
argument types and output-path checks they share.
"""

from guardsim.cli.main import build_parser, entry, main

__all__ = ["build_parser", "entry", "main"]
