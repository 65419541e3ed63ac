"""The ``guardsim`` parser is assembled from the command groups, each registering itself."""

from __future__ import annotations

import importlib
import io

import pytest

from guardsim import __version__
from guardsim.cli import main
from guardsim.cli.main import COMMAND_GROUPS, build_parser

#: Every sub-command, by the group module that registers it.
COMMANDS = {
    "guardsim.cli.run": ("run", "report"),
    "guardsim.cli.scenarios": ("validate", "scenarios", "show"),
    "guardsim.cli.montecarlo": ("mc", "sweep", "recommend"),
    "guardsim.cli.compare": ("compare", "calibrate"),
    "guardsim.cli.lint": ("lint",),
    "guardsim.cli.real": ("real",),
    "guardsim.cli.design": ("design", "judges"),
}


def _subcommands(parser: object) -> dict[str, object]:
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_group_registers_its_commands_and_only_those() -> None:
    assert set(COMMAND_GROUPS) == set(COMMANDS)
    import argparse

    for name in COMMAND_GROUPS:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(name).register(sub)
        assert tuple(_subcommands(parser)) == COMMANDS[name], name


def test_help_lists_every_command_in_group_order() -> None:
    listed = tuple(_subcommands(build_parser()))
    assert listed == tuple(c for group in COMMAND_GROUPS for c in COMMANDS[group])


@pytest.mark.parametrize("argv", [["--version"], ["--version", "run"]])
def test_version(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert main(argv, out=out) == 0
    printed = out.getvalue() + capsys.readouterr().out  # argparse prints to sys.stdout
    assert printed == f"guardsim {__version__}\n"
