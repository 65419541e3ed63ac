"""``python -m guardsim``: the ``guardsim`` command."""

from guardsim.cli.main import entry

entry()
