"""``guardsim validate``, ``guardsim scenarios`` and ``guardsim show``: scenarios without
simulating them.

:func:`register` adds them to the ``guardsim`` parser. Each command imports what it needs when
it runs: ``validate`` loads the scenario code (numpy, botocore's shapes) but never the
simulator; ``scenarios`` and ``show`` read the built-in library.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from guardsim.cli.args import EXIT_BAD_INPUT, EXIT_OK, add_iac_options, iac_options, print_problems


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.errors import ScenarioError, ScenarioNotFound
    from guardsim.scenarios.loading import read_scenario

    status = EXIT_OK
    for ref in args.files:
        try:
            result = read_scenario(ref, iac_options(args))
        except ScenarioNotFound as exc:
            print(f"{ref}: {exc.message}", file=err)
            status = EXIT_BAD_INPUT
            continue
        except ScenarioError as exc:
            print_problems(ref, exc.problems, out)
            print(f"{ref}: invalid", file=out)
            status = EXIT_BAD_INPUT
            continue
        print_problems(ref, result.problems, out)
        n_err, n_warn = len(result.errors), len(result.warnings)
        if n_err:
            print(f"{ref}: invalid ({n_err} error(s), {n_warn} warning(s))", file=out)
            status = EXIT_BAD_INPUT
        else:
            print(f"{ref}: valid ({n_warn} warning(s))", file=out)
    return status


def cmd_scenarios(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.scenarios import library

    rows = library.describe()
    width = max(len(name) for name, _ in rows)
    for name, desc in rows:
        print(f"{name:<{width}}  {desc}", file=out)
    return EXIT_OK


def cmd_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from guardsim.scenarios import library

    if args.name not in library.names():
        from guardsim.scenarios.fields import did_you_mean

        hint = did_you_mean(args.name, library.names())
        print(
            f"guardsim: no built-in scenario named {args.name!r}{hint}; see 'guardsim scenarios'",
            file=err,
        )
        return EXIT_BAD_INPUT
    out.write(library.text(args.name))
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``validate``, ``scenarios`` and ``show`` to the ``guardsim`` sub-commands."""
    p = sub.add_parser(
        "validate", help="check scenario files (or built-in names); exit 2 if invalid"
    )
    p.add_argument("files", nargs="+", metavar="SCENARIO", help="scenario file or built-in name")
    add_iac_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("show", help="print a built-in scenario's YAML, to copy and edit")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_show)
