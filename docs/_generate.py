"""Regenerate the reference parts of the documentation from the code they describe.

The settings tables come from the scenario dataclasses' field metadata, the command-line reference
from the argument parsers, the lint rules table from the rule registry. Each generated part sits
in a page between ``<!-- generated: NAME -->`` and ``<!-- end generated: NAME -->``; the prose
around it is written by hand.

    python docs/_generate.py          # rewrite the generated parts in place
    python docs/_generate.py --check  # exit 1 if a page differs from the code (the tests do this)
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- settings tables


def _value(v: Any) -> str:
    """A default as a scenario file writes it (YAML flow style)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return str(v)


def _default(f: dataclasses.Field[Any]) -> str:
    from guardsim.scenarios.fields import dump_value

    if f.default is not dataclasses.MISSING:
        return f"`{_value(dump_value(f.default))}`"
    if f.default_factory is not dataclasses.MISSING:
        return f"`{_value(dump_value(f.default_factory()))}`"
    return "required"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def settings_table(cls: type, prefix: str) -> str:
    """One table: every field of a scenario section with its default and its meaning."""
    rows = ["| field | default | meaning |", "|---|---|---|"]
    for f in dataclasses.fields(cls):
        if f.name == "kind":
            continue
        doc = _cell(str(f.metadata.get("doc", "")))
        rows.append(f"| `{prefix}.{f.name}` | {_cell(_default(f))} | {doc} |")
    return "\n".join(rows)


def _kind(cls: type) -> str:
    hint = typing.get_type_hints(cls)["kind"]
    return str(typing.get_args(hint)[0])


def scenario_settings() -> str:
    from guardsim.scenarios.environment import Environment, Simulation
    from guardsim.scenarios.models import (
        Fault,
        History,
        HistoryTransform,
        Latency,
        LatencyTransform,
        ModelBehaviour,
        RateTransform,
        VariantModels,
    )
    from guardsim.scenarios.traffic import Burst, Traffic

    parts: list[str] = []
    for cls, prefix in (
        (Environment, "environment"),
        (Simulation, "simulation"),
        (Traffic, "traffic"),
        (Burst, "traffic.bursts[]"),
        (ModelBehaviour, "models.blue / models.green"),
        (Latency, "...latency / overhead_latency"),
        (VariantModels, "models.variants.<VariantName>"),
        (History, "models.blue.history"),
        (HistoryTransform, "models.green.history_transform"),
        (RateTransform, "...error_rate / error_rate_4xx"),
        (LatencyTransform, "models.green.history_transform.latency"),
    ):
        parts.append(f"### `{prefix}`\n\n{settings_table(cls, prefix)}")
    faults = ["### faults (`models.*.faults[]`, by `kind`)"]
    for cls in typing.get_args(Fault):
        summary = (cls.__doc__ or "").strip().splitlines()[0].replace("``", "`")
        faults.append(
            f"#### `kind: {_kind(cls)}` ({cls.__name__})\n\n{summary}\n\n"
            + settings_table(cls, "faults[]")
        )
    parts.append("\n\n".join(faults))
    return "\n\n".join(parts)


def real_settings() -> str:
    from guardsim.scenarios.real import Real, RealModel

    return (
        settings_table(Real, "real")
        + "\n"
        + "\n".join(settings_table(RealModel, "real.blue / real.green").splitlines()[2:])
    )


# --------------------------------------------------------------------------- command line


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield name, sub


def _help(action: argparse.Action) -> str:
    text = action.help or ""
    if text == argparse.SUPPRESS:
        return ""
    if "%(" in text:
        params = dict(vars(action), prog="guardsim")
        params["default"] = action.default
        params["choices"] = ", ".join(map(str, action.choices or ()))
        text = text % params
    return _cell(" ".join(text.split()))


def _option(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return f"`{names}`"
    if action.metavar is not None:
        meta = action.metavar if isinstance(action.metavar, str) else " ".join(action.metavar)
    elif action.choices:
        meta = "{" + ",".join(map(str, action.choices)) + "}"
    else:
        meta = action.dest.upper()
    return f"`{names} {meta}`"


def _command(path: str, parser: argparse.ArgumentParser, level: int) -> list[str]:
    parser.prog = path
    usage = " ".join(parser.format_usage().removeprefix("usage: ").split())
    out = [f"{'#' * level} `{path}`", ""]
    if parser.description:
        out += [" ".join(parser.description.split()), ""]
    out += ["```text", usage, "```", ""]
    rows = [
        a
        for a in parser._actions
        if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
        and a.help != argparse.SUPPRESS
    ]
    if rows:
        out += ["| argument | meaning |", "|---|---|"]
        out += [f"| {_cell(_option(a))} | {_help(a)} |" for a in rows]
        out.append("")
    for name, sub in _subcommands(parser):
        out += _command(f"{path} {name}", sub, min(level + 1, 4))
    return out


def cli_reference() -> str:
    from guardsim.cli.main import build_parser

    parser = build_parser()
    out: list[str] = []
    for name, sub in _subcommands(parser):
        out += _command(f"guardsim {name}", sub, 2)
    return "\n".join(out).rstrip()


# --------------------------------------------------------------------------- lint rules


def lint_rules() -> str:
    from guardsim.lint import ALL_RULES

    rows = ["| rule | finds | severity |", "|---|---|---|"]
    rows += [f"| `{r.id}` | {_cell(r.title)} | {_cell(r.severities)} |" for r in ALL_RULES]
    return "\n".join(rows)


# --------------------------------------------------------------------------- the pages

#: page (relative to docs/) -> generated part name -> generator
GENERATED: dict[str, dict[str, Callable[[], str]]] = {
    "how-to/scenario-format.md": {"settings": scenario_settings},
    "how-to/real-sagemaker.md": {"real-settings": real_settings},
    "reference/cli.md": {"cli": cli_reference},
    "reference/lint-rules.md": {"lint-rules": lint_rules},
}


def render(text: str, parts: dict[str, Callable[[], str]], page: str) -> str:
    for name, make in parts.items():
        pattern = re.compile(
            rf"(<!-- generated: {re.escape(name)} -->\n).*?(<!-- end generated: "
            rf"{re.escape(name)} -->)",
            re.S,
        )
        if not pattern.search(text):
            raise SystemExit(f"docs/{page}: no '<!-- generated: {name} -->' block")
        body = make()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def stale_pages() -> list[str]:
    """The pages whose generated parts differ from what the code generates now."""
    stale = []
    for page, parts in GENERATED.items():
        path = DOCS / page
        text = path.read_text(encoding="utf-8")
        if render(text, parts, page) != text:
            stale.append(page)
    return stale


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = stale_pages()
    if check:
        for page in stale:
            print(f"docs/{page} is out of date: run python docs/_generate.py", file=sys.stderr)
        return 1 if stale else 0
    for page in stale:
        path = DOCS / page
        path.write_text(render(path.read_text(encoding="utf-8"), GENERATED[page], page), "utf-8")
        print(f"rewrote docs/{page}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(DOCS.parent / "src"))
    raise SystemExit(main(sys.argv[1:]))
