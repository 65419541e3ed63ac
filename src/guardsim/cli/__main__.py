"""``python -m guardsim.cli``: the ``guardsim`` command."""

from guardsim.cli.main import entry

entry()
