"""The fuzz driver: malformed inputs through every ``guardsim`` command, in one process.

``python fuzz_driver.py fuzz WORKDIR`` runs the Hypothesis-generated cases, ``python
fuzz_driver.py corpus WORKDIR`` the seed corpus (``corpus/cases.json``); each prints one JSON
line: how many cases ran, how each ended, and every failure. The tests start it in ONE
subprocess whose address space is limited to 4 GiB (``RLIMIT_AS``, set here before anything is
imported), so a case that tries to read ``/dev/zero`` or allocate terabytes fails the run with a
MemoryError instead of taking the machine down; the tests themselves stay unlimited.

Every case calls ``guardsim.cli.main(argv, out, err)`` in-process (with ``sys.stdout`` and
``sys.stderr`` captured too: argparse writes its usage errors there) and is judged:

* refused (exit status 2): the message names the file or the option (a fragment the case
  knows), no traceback, no "internal error", and no file left in the output folder or the
  working folder (no file named ``-``, no temporary file);
* never exit status 1 (a bug), never an exception out of ``main``;
* **no work on bad input**: every entry point that starts work (a simulation, a Monte Carlo, a
  sweep's configurations, lint's Monte Carlo, a comparison, a report, a recommendation, a call
  to AWS) is replaced by one that raises :class:`WorkStarted`. A case built to be invalid that
  gets that far fails (its input was not checked first); a generated case that may be valid
  (a mutation can leave a scenario valid) is "accepted" there and cut off, so no case ever runs
  a simulation and the whole run takes seconds per thousand cases.

Hypothesis runs with ``derandomize=True`` (the same cases on every run) and without a database
or shrinking: the driver records failures instead of raising, so each is reported as generated.
Building the argparse parser is the slowest step of ``main`` (argparse looks up translations
for every option); the driver builds it once and hands ``main`` that same parser each time.
"""

from __future__ import annotations

import resource

ADDRESS_SPACE_LIMIT = 4 * 1024**3
resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

import contextlib  # noqa: E402
import copy  # noqa: E402
import functools  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
CORPUS = HERE / "corpus"
RECORD = TESTS / "reports" / "data" / "seed-canary-rollback.json"
BUILTIN = "seed-canary-rollback"
#: How many examples each generator draws (cases per example in the comments).
EXAMPLES = {
    "scenario_structure": 400,  # validate, then 5 commands when invalid (2 for YAML)
    "scenario_bytes": 300,  # 2 documents: validate, and lint when invalid
    "record": 600,  # report, compare (both sides), calibrate
    "table": 500,  # recommend
    "checkpoint": 300,  # sweep --checkpoint
    "argv": 1300,  # ARGV_PER_EXAMPLE commands, each with one bad argument
}
ARGV_PER_EXAMPLE = 4


class WorkStarted(BaseException):
    """Raised by every entry point that starts work (see the module docstring). A
    BaseException so ``main``'s ``except Exception`` does not turn it into exit status 1."""


def forbid_work() -> None:
    """Replace every entry point that starts work with one that raises WorkStarted."""
    import guardsim.backend
    import guardsim.cli.main
    import guardsim.cli.real
    import guardsim.compare.calibration
    import guardsim.compare.comparison
    import guardsim.compare.distribution
    import guardsim.compare.report
    import guardsim.lint.runner
    import guardsim.montecarlo.monte_carlo
    import guardsim.montecarlo.recommend
    import guardsim.montecarlo.sweep
    import guardsim.real_backend.run
    import guardsim.reports.run
    import guardsim.simulator

    def started(*args: object, **kwargs: object) -> Any:
        raise WorkStarted

    for module, name in [
        (guardsim.simulator, "simulate"),
        (guardsim.montecarlo.monte_carlo, "monte_carlo"),
        (guardsim.montecarlo.sweep, "_run"),  # after the checkpoint is read
        (guardsim.lint.runner, "lint"),
        (guardsim.backend.SimulatedBackend, "replications"),
        (guardsim.compare.comparison, "compare_records"),
        (guardsim.compare.distribution, "compare_distribution"),
        (guardsim.compare.calibration, "calibrate"),
        (guardsim.compare.report, "write_compare_report"),
        (guardsim.reports.run, "write_run_report"),
        (guardsim.montecarlo.recommend, "recommend"),
        (guardsim.real_backend.run, "run_real"),
        (guardsim.cli.real, "connect"),
    ]:
        assert hasattr(module, name), (module, name)
        setattr(module, name, started)
    cli_main = sys.modules["guardsim.cli.main"]  # guardsim.cli.main is also the function
    cli_main.build_parser = functools.cache(cli_main.build_parser)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- judging cases


class Driver:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.inputs = work / "in"
        self.out = work / "out"
        self.cwd = work / "cwd"
        for d in (self.inputs, self.out, self.cwd):
            d.mkdir(parents=True, exist_ok=True)
        os.chdir(self.cwd)
        # the built-in scenario as JSON: parsing YAML (pure Python) would dominate the run
        self.scenario = str(self.write("scenario.json", json.dumps(builtin_documents()[BUILTIN])))
        self.record = str(self.write("small-record.json", record_text()))
        self.table = str(self.write("good-table.csv", table_text()))
        self.cases = 0
        self.outcomes: Counter[str] = Counter()
        self.commands: Counter[str] = Counter()
        self.failures: list[dict[str, Any]] = []

    def case(
        self,
        argv: Sequence[str],
        names: Sequence[str],
        *,
        must_refuse: bool = True,
        label: str = "",
    ) -> int | str:
        """Run one case; returns its exit status, or ``"work"`` if it got as far as work."""
        from guardsim.cli.main import main

        self.cases += 1
        self.commands[argv[0] if argv else "(none)"] += 1
        out, err = io.StringIO(), io.StringIO()
        status: int | str
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = main(list(argv), out, err)
        except WorkStarted:
            status = "work"
        except BaseException as exc:
            status = f"raised {type(exc).__name__}: {exc}"[:300]
        text = out.getvalue() + err.getvalue()
        problems = []
        if isinstance(status, str) and status != "work":
            problems.append(status)
        if status == 1:
            problems.append("exit status 1 (internal error)")
        if "Traceback" in text or "internal error" in text:
            problems.append("a traceback or internal error in the output")
        if status == "work" and must_refuse:
            problems.append("work started on input that must be refused")
        if isinstance(status, int) and status != 2 and must_refuse:
            problems.append(f"exit status {status}, expected 2")
        if status == 2 and names and not any(n in text for n in names):
            problems.append(f"the message names none of {list(names)[:3]}")
        left = sorted(p.name for d in (self.out, self.cwd) for p in d.iterdir())
        if left and status != "work":
            problems.append(f"files left behind: {left[:5]}")
        for d in (self.out, self.cwd):
            for p in d.iterdir():
                shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
        self.outcomes["refused" if status == 2 else str(status)] += 1
        if problems:
            self.failures.append(
                {
                    "label": label,
                    "argv": [a if len(a) < 200 else a[:200] + "..." for a in argv],
                    "status": status,
                    "problems": problems,
                    "output": text[-1500:],
                }
            )
        return status

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.inputs / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def report(self, started: float) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "cases": self.cases,
            "outcomes": dict(self.outcomes),
            "commands": dict(self.commands),
            "failures": self.failures,
            "seconds": round(time.perf_counter() - started, 1),
            "max_rss_mib": round(usage.ru_maxrss / 1024),
            "address_space_limit_gib": ADDRESS_SPACE_LIMIT // 1024**3,
        }


def fuzz_settings(name: str) -> settings:
    scale = float(os.environ.get("GUARDSIM_FUZZ_SCALE", "1"))  # smaller for a quick look
    return settings(
        max_examples=max(1, round(EXAMPLES[name] * scale)),
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


# --------------------------------------------------------------------------- scenarios

#: Values a mutation puts in place of a scenario's value: wrong types, out-of-range numbers,
#: the seeds of the issue, text that is too long, NaN and infinity.
BAD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -1e308,
    1e308,
    2**63 - 1,
    2**63,
    2**64,
    -(2**63),
    10**30,
    float("nan"),
    float("inf"),
    "",
    " ",
    "x",
    "x" * 300,
    "\x00",
    "0.01",
    "1e12",
    "CANARY",
    "${NAME}",
    "/dev/zero",
    [],
    [None],
    [[[]]],
    {},
    {"": None},
    {"kind": "bogus"},
]


@functools.cache
def builtin_documents() -> dict[str, Any]:
    from guardsim.scenarios import library

    return {name: yaml.safe_load(library.text(name)) for name in library.names()}


def paths_of(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths_of(v, (*prefix, i))
    return out


def nested(depth: int, kind: str) -> str:
    """A marker for data nested ``depth`` levels deep, put in by :func:`expand_nesting` once
    the document is text (dumping it nested would overflow the dumper's own stack)."""
    return f"__DEEP_{kind}_{depth}__"


def expand_nesting(text: str) -> str:
    def deep(m: re.Match[str]) -> str:
        depth = int(m.group(2))
        if m.group(1) == "list":
            return "[" * depth + "1" + "]" * depth
        return '{"a": ' * depth + "1" + "}" * depth

    return re.sub(r"[\"']?__DEEP_(list|map)_(\d+)__[\"']?", deep, text)


@st.composite
def mutated_scenario(draw: st.DrawFn) -> Any:
    docs = builtin_documents()
    doc = copy.deepcopy(docs[draw(st.sampled_from(sorted(docs)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(doc)
        path = draw(st.sampled_from(paths))
        how = draw(
            st.sampled_from(["value", "value", "drop", "unknown", "list", "deep", "long", "swap"])
        )
        if how == "value":
            new: Any = draw(st.sampled_from(BAD_VALUES))
        elif how == "deep":
            new = nested(draw(st.integers(90, 400)), draw(st.sampled_from(["list", "map"])))
        elif how == "long":
            new = [draw(st.sampled_from(BAD_VALUES[:12]))] * draw(st.integers(50, 3000))
        elif how == "list":
            new = [copy.deepcopy(get(doc, path))]
        elif how == "swap":
            new = copy.deepcopy(get(doc, draw(st.sampled_from(paths))))
        else:
            new = None
        if not path:
            doc = new if how not in ("drop", "unknown") else doc
            continue
        parent = get(doc, path[:-1])
        if how == "drop":
            del parent[path[-1]]
        elif how == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["Unknown", "", "seed", "alarm", "1"]))] = 1
        else:
            parent[path[-1]] = new
        if not isinstance(doc, dict | list):
            break
    return doc


def get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def scenario_commands(path: str) -> list[list[str]]:
    """The commands that take a scenario, each cut off at its first piece of work."""
    return [
        ["run", path, "--json", "-"],
        ["mc", path, "-n", "1", "--executor", "serial", "--json", "{out}/mc.json"],
        [
            "sweep",
            path,
            "-n",
            "1",
            "--executor",
            "serial",
            "--vary",
            "simulation.seed=1,2",
            "--out",
            "{out}/t.csv",
        ],
        ["lint", path, "-n", "1"],
        ["real", "plan", path],
    ]


def run_scenario_structure(d: Driver) -> None:
    @fuzz_settings("scenario_structure")
    @given(mutated_scenario(), st.sampled_from(["json", "json", "json", "yaml"]))
    def scenario_structure(doc: Any, fmt: str) -> None:
        if fmt == "json":
            text = json.dumps(doc, allow_nan=True)
        else:
            text = yaml.safe_dump(doc, sort_keys=False, width=10**6)
        text = expand_nesting(text)
        path = str(d.write(f"mutated.{fmt}", text))
        status = d.case(["validate", path], [path], must_refuse=False, label="scenario")
        if status == 2:
            # YAML is slow to parse: a YAML document goes through two commands, JSON through all
            commands = scenario_commands(path)
            for argv in commands if fmt == "json" else commands[1:3]:
                d.case([a.replace("{out}", str(d.out)) for a in argv], [path], label="scenario")

    scenario_structure()


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    from guardsim.scenarios import library

    data = bytearray(library.text(draw(st.sampled_from(library.names()))).encode("utf-8"))
    how = draw(
        st.sampled_from(["truncate", "insert", "flip", "utf8", "deep", "bomb", "nul", "random"])
    )
    at = draw(st.integers(0, len(data)))
    if how == "truncate":
        return bytes(data[:at])
    if how == "insert":
        data[at:at] = draw(st.sampled_from([b"[", b"{", b":", b"- ", b"&a ", b"*a", b"\t", b"'"]))
        return bytes(data)
    if how == "flip":
        data[min(at, len(data) - 1)] ^= 1 << draw(st.integers(0, 7))
        return bytes(data)
    if how == "utf8":
        data[at:at] = draw(st.sampled_from([b"\x80", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80"]))
        return bytes(data)
    if how == "deep":
        depth = draw(st.integers(100, 30_000))
        kind = draw(st.sampled_from(["[]", "{}"]))
        inner = "[" * depth + "]" * depth if kind == "[]" else '{"a": ' * depth + "1" + "}" * depth
        return f"name: x\ndescription: {inner}\n".encode()
    if how == "bomb":
        lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
            lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
        return "\n".join(lines[: draw(st.integers(3, 9))]).encode()
    if how == "nul":
        data[at:at] = b"\x00"
        return bytes(data)
    return draw(st.binary(min_size=1, max_size=2000))


def run_scenario_bytes(d: Driver) -> None:
    @fuzz_settings("scenario_bytes")
    @given(
        st.lists(
            st.tuples(mutated_bytes(), st.sampled_from(["yaml", "json"])), min_size=2, max_size=2
        )
    )
    def scenario_bytes(docs: list[tuple[bytes, str]]) -> None:
        for data, suffix in docs:
            path = str(d.write(f"bytes.{suffix}", data))
            status = d.case(["validate", path], [path], must_refuse=False, label="bytes")
            if status == 2:
                d.case(["lint", path, "-n", "1"], [path], label="bytes")

    scenario_bytes()


# --------------------------------------------------------------------------- records


@functools.cache
def record_text() -> str:
    """The canary run record without its bulk (datapoints, alarm evaluations): a valid record
    of a few kB, so parsing it does not dominate the cases."""
    data = json.loads(RECORD.read_text(encoding="utf-8"))
    data["datapoints"] = {k: v[:3] for k, v in data["datapoints"].items()}
    data["alarm_evaluations"] = data["alarm_evaluations"][:3]
    return json.dumps(data)


@st.composite
def mutated_record(draw: st.DrawFn) -> bytes:
    data = json.loads(record_text())
    how = draw(st.sampled_from(["top", "summary", "drop", "item", "text", "bytes", "deep"]))
    if how == "top":
        data[draw(st.sampled_from(sorted(data)))] = draw(st.sampled_from(BAD_VALUES))
    elif how == "summary":
        data["summary"][draw(st.sampled_from(sorted(data["summary"])))] = draw(
            st.sampled_from(BAD_VALUES)
        )
    elif how == "drop":
        section = draw(st.sampled_from(["", "summary"]))
        target = data if not section else data[section]
        del target[draw(st.sampled_from(sorted(target)))]
    elif how == "item":
        key = draw(st.sampled_from(["transitions", "traffic", "notes", "instances"]))
        data[key] = [*data[key], draw(st.sampled_from(BAD_VALUES))]
    elif how == "deep":
        data["scenario_definition"] = nested(draw(st.integers(101, 3000)), "list")
    text = expand_nesting(json.dumps(data, allow_nan=True)).encode()
    if how == "text":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from([b"", b"\x80", b"}", b"\x00", b'"']))
    if how == "bytes":
        return draw(st.binary(min_size=0, max_size=4000))
    return text


def run_records(d: Driver) -> None:
    from guardsim.errors import BadInputError
    from guardsim.record import RunRecord

    good = d.record

    @fuzz_settings("record")
    @given(mutated_record())
    def record(data: bytes) -> None:
        path = str(d.write("record.json", data))
        try:
            RunRecord.load(path)
            accepted = True
        except BadInputError:
            accepted = False
        out = str(d.out)
        for argv in (
            ["report", path, "--html", f"{out}/r.html"],
            ["compare", path, good],
            ["compare", good, path],
            ["calibrate", path, "--scenario", d.scenario, "-o", f"{out}/c.yaml"],
        ):
            d.case(argv, [path], must_refuse=not accepted, label="record")

    record()


# --------------------------------------------------------------------------- tables


@functools.cache
def table_text() -> str:
    from guardsim.montecarlo.results import SUMMARY_COLUMNS

    header = ["models.green.error_rate_5xx", *SUMMARY_COLUMNS, "config_key"]
    rows = []
    for i, rate in enumerate((0.0, 0.5)):
        rows.append([str(rate), *("1" for _ in SUMMARY_COLUMNS), f"k{i}"])
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


@st.composite
def mutated_table(draw: st.DrawFn) -> tuple[bytes, str]:
    text = table_text().encode()
    how = draw(st.sampled_from(["bytes", "truncate", "utf8", "quote", "columns", "parquet"]))
    suffix = ".csv"
    if how == "bytes":
        data = draw(st.binary(min_size=0, max_size=3000))
    elif how == "truncate":
        data = text[: draw(st.integers(0, len(text)))]
    elif how == "utf8":
        at = draw(st.integers(0, len(text)))
        data = text[:at] + b"\xff\xfe\x80" + text[at:]
    elif how == "quote":
        at = draw(st.integers(0, len(text)))
        data = text[:at] + b'"' + text[at:]
    elif how == "columns":
        data = b"a,b\n" + b"1,2,3,4\n" * draw(st.integers(1, 50))
    else:
        suffix = ".parquet"
        data = draw(st.sampled_from([b"PAR1", b"PAR1\x00\x00PAR1", b"", text]))
    return data, suffix


def run_tables(d: Driver) -> None:
    import pandas as pd

    from guardsim.errors import BadInputError
    from guardsim.montecarlo.tables import read_table

    @fuzz_settings("table")
    @given(mutated_table())
    def table(case: tuple[bytes, str]) -> None:
        data, suffix = case
        path = str(d.write(f"table{suffix}", data))
        try:
            frame = read_table(path)
            # a table is accepted by the front door when it reads; it is then recommend's to
            # judge (cut off here): the columns a recommendation needs must all be there
            accepted = isinstance(frame, pd.DataFrame)
        except BadInputError:
            accepted = False
        argv = ["recommend", path, "--bad", "models.green.error_rate_5xx=0.5"]
        argv += ["--healthy", "models.green.error_rate_5xx=0"]
        d.case(argv, [path], must_refuse=not accepted, label="table")

    table()


# --------------------------------------------------------------------------- checkpoints


@st.composite
def mutated_checkpoint(draw: st.DrawFn) -> tuple[str, bytes]:
    line = json.dumps({"key": "0" * 32, "values": {}, "row": {"n": 1}}).encode() + b"\n"
    how = draw(st.sampled_from(["utf8", "bytes", "dir", "torn", "garbage", "big"]))
    if how == "utf8":
        at = draw(st.integers(0, len(line)))
        return "file", line[:at] + b"\x80\xff" + line[at:]
    if how == "bytes":
        return "file", b"\xff" + draw(st.binary(min_size=0, max_size=2000))
    if how == "dir":
        return "dir", b""
    if how == "big":
        return "big", b""
    if how == "torn":
        return "file-ok", line * draw(st.integers(0, 5)) + line[: draw(st.integers(0, len(line)))]
    return "file-ok", draw(st.text(max_size=500)).encode("utf-8")


def run_checkpoints(d: Driver) -> None:
    from guardsim.inputs import SIZE_LIMITS

    @fuzz_settings("checkpoint")
    @given(mutated_checkpoint())
    def checkpoint(case: tuple[str, bytes]) -> None:
        kind, data = case
        folder = d.inputs / "ckpt"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        rows = folder / "rows.jsonl"
        if kind == "dir":
            rows.mkdir()
        elif kind == "big":
            with rows.open("wb") as f:  # sparse: over the limit without writing it
                f.truncate(SIZE_LIMITS["checkpoint"] + 1)
        else:
            rows.write_bytes(data)
        argv = ["sweep", d.scenario, "-n", "1", "--executor", "serial", "--no-progress"]
        argv += ["--vary", "simulation.seed=1,2", "--checkpoint", str(folder)]
        # a readable checkpoint with unusable lines is fine: they are recomputed (cut off)
        d.case(argv, [str(rows), str(folder)], must_refuse=kind != "file-ok", label="checkpoint")

    checkpoint()


# --------------------------------------------------------------------------- argument vectors

#: One bad argument for a command, with a fragment its message must hold.
Poison = tuple[list[str], str]


def poisons(d: Driver, scenario: str) -> dict[str, list[Poison]]:
    out = str(d.out)
    device = ("/dev/zero", "it is a character device")
    counts = ["0", "-1", "1e12", "1e30", "x", "", "1.5", str(2**63), "9" * 5000, "0x10"]
    seeds = ["-1", str(2**63), str(2**64), "1e3", "seed", "9" * 5000]
    files = [
        ("/dev/zero", "a character device"),
        (out, "directory"),
        (f"{out}/missing.yaml", "missing.yaml"),
    ]
    common: list[Poison] = [
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
        *((["--seed", s], "argument --seed") for s in seeds),
    ]
    execution: list[Poison] = [
        *common,
        *((["-n", c], "argument -n/--replications") for c in counts),
        (["--workers", "0"], "argument --workers"),
        (["--workers", "100000"], "argument --workers"),
        (["--mode", "slow"], "argument --mode"),
        (["--progress", "--no-progress"], "--progress and --no-progress contradict"),
        (["--no-progress", "--progress"], "--progress and --no-progress contradict"),
        (["--executor", "serial", "--scheduler", "tcp://x:1"], "--scheduler only applies"),
    ]
    outputs_mc: list[Poison] = [
        (["--json", "/proc/x.json"], "/proc/x.json"),
        (["--json", f"{out}/no/x.json"], "does not exist"),
        (["--json", out], "directory"),
        (["--csv", "/proc/x.csv"], "/proc/x.csv"),
        (["--json", "-", "--csv", "-"], "only one output can go to standard output"),
        (["--report", "-"], "--report -"),
        (["--report", "/proc/r.html"], "/proc/r.html"),
        (["--json", f"{out}/a.json", "--csv", f"{out}/a.json"], "name the same file"),
    ]
    return {
        "run": [
            *common,
            (["--mode", "batch"], "argument --mode"),
            (["--json", "/proc/x.json"], "/proc/x.json"),
            (["--report", "-"], "--report -"),
            (["--json", f"{out}/x.json", "--report", f"{out}/x.json"], "name the same file"),
            (["--png", f"{out}/no/x.png"], "does not exist"),
        ],
        "mc": execution + outputs_mc,
        "sweep": [
            *execution,
            (["--out", "/proc/t.csv"], "/proc/t.csv"),
            (["--out", f"{out}/t.txt"], "unknown table format"),
            (["--out", "-", "--out", "-"], "only one output"),
            (["--out", f"{out}/t.csv", "--out", f"{out}/t.csv"], "same"),
            (["--checkpoint", "/proc/c"], "/proc"),
            (["--checkpoint", f"{out}/c", "--no-checkpoint"], "contradict"),
            (["--recommend"], "--recommend needs --bad"),
            (
                ["--recommend", "--bad", "simulation.seed=7", "--healthy", "simulation.seed=1"],
                "--bad simulation.seed=7: the sweep has no configuration",
            ),
            (["--bad", "simulation.seed=1"], "go with --recommend"),
            (["--vary", "simulation.seed=1,x"], "simulation.seed"),
            (["--vary", "no.such.path=1"], "no.such.path"),
            (["--report", "-"], "--report -"),
        ],
        "lint": [
            *common,
            (["-n", "0"], "argument --replications/-n"),
            (["-n", str(2**64)], "argument --replications/-n"),
            (["--format", "xml"], "argument --format"),
        ],
        "validate": [(["--no-such-option"], "unrecognized arguments")],
        "report": [
            (["--html", "-"], "--html -"),
            (["--html", "/proc/r.html"], "/proc/r.html"),
            (["--png", "-"], "--png -"),
            (["--html", f"{out}/no/r.html"], "does not exist"),
        ],
        "compare": [
            (["--json", "/proc/c.json"], "/proc/c.json"),
            (["--report", "-"], "--report -"),
            (["--predictions", "0"], "argument --predictions"),
            (["--seed", str(2**63)], "argument --seed"),
        ],
        "calibrate": [
            (["-o", "-"], "--output -"),
            (["-o", "/proc/x.yaml"], "/proc/x.yaml"),
            (["--json", "/proc/x.json"], "/proc/x.json"),
            (["--predictions", "-5"], "argument --predictions"),
            (["--seed", str(2**64)], "argument --seed"),
        ],
        "recommend": [
            (["--max-false-rollback", "2"], "argument --max-false-rollback"),
            (["--max-duration", "-1"], "argument --max-duration"),
            (["--min-catch", "nan"], "argument --min-catch"),
        ],
        "real plan": [
            (["--json", "/proc/p.json"], "/proc/p.json"),
            (["--run-id", "NOT VALID"], "run id"),
        ],
        "_files": [([f], frag) for f, frag in [*files, device]],
    }


def base_argv(command: str, scenario: str, d: Driver) -> list[str]:
    out = str(d.out)
    return {
        "run": ["run", scenario],
        "mc": ["mc", scenario, "-n", "2", "--executor", "serial"],
        "sweep": [
            "sweep",
            scenario,
            "-n",
            "2",
            "--executor",
            "serial",
            "--vary",
            "simulation.seed=1,2",
        ],
        "lint": ["lint", scenario],
        "validate": ["validate", scenario],
        "report": ["report", d.record],
        "compare": ["compare", d.record, d.record],
        "calibrate": ["calibrate", d.record, "--scenario", scenario, "-o", f"{out}/c.yaml"],
        "recommend": [
            "recommend",
            d.table,
            "--bad",
            "models.green.error_rate_5xx=0.5",
            "--healthy",
            "models.green.error_rate_5xx=0",
        ],
        "real plan": ["real", "plan", scenario],
    }[command]


#: Options that are valid on their own, added at random around the bad one.
EXTRAS: dict[str, list[list[str]]] = {
    "execution": [["--seed", "3"], ["--mode", "fast"], ["--mode", "auto"], ["--no-progress"]],
    "run": [["--seed", "3"], ["--mode", "fast"]],
    "lint": [["--seed", "3"], ["--format", "json"], ["--fail-on", "never"]],
}


def run_argv(d: Driver) -> None:
    from guardsim.scenarios import library

    scenario = d.scenario
    assert library.names()
    table = poisons(d, scenario)
    commands = sorted(k for k in table if not k.startswith("_"))
    bad_files = table["_files"]

    @fuzz_settings("argv")
    @given(
        st.lists(st.sampled_from(commands), min_size=ARGV_PER_EXAMPLE, max_size=ARGV_PER_EXAMPLE),
        st.data(),
    )
    def argv_cases(commands: list[str], data: st.DataObject) -> None:
        for command in commands:  # several cases per example: Hypothesis's own time is shared
            argv, fragment = data.draw(bad_argv(command))
            d.case(argv, [fragment], label=f"argv {command}")

    @st.composite
    def bad_argv(draw: st.DrawFn, command: str) -> tuple[list[str], str]:
        base = base_argv(command, scenario, d)
        if scenario not in base or draw(st.booleans()):
            bad, fragment = draw(st.sampled_from(table[command]))
        else:  # a bad file where the scenario goes
            (path,), fragment = draw(st.sampled_from(bad_files))
            base = [path if a == scenario else a for a in base]
            bad = []
        extra_kind = "execution" if command in ("mc", "sweep") else command
        extras = draw(
            st.lists(st.sampled_from(EXTRAS.get(extra_kind, [[]])), max_size=2, unique_by=str)
        )
        flat = [a for e in extras for a in e if not (set(e) & set(bad))]
        argv = [*base, *flat, *bad]
        overrides = any(a.startswith("-") and a in base for a in bad)
        if not overrides and draw(st.booleans()):  # the bad argument first
            head = 2 if command == "real plan" else 1
            argv = [*base[:head], *bad, *base[head:], *flat]
        return argv, fragment

    argv_cases()


# --------------------------------------------------------------------------- the corpus


def run_corpus(d: Driver) -> list[dict[str, Any]]:
    """Each case of corpus/cases.json: its status and whether it was judged a failure."""
    cases = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
    results = []
    for case in cases:
        names = {"corpus": str(CORPUS), "out": str(d.out), "record": str(RECORD)}
        argv = [a.format(**names) for a in case["argv"]]
        before = len(d.failures)
        started = time.perf_counter()
        status = d.case(argv, [f.format(**names) for f in case["names"]], label=case["id"])
        results.append(
            {
                "id": case["id"],
                "status": status,
                "seconds": round(time.perf_counter() - started, 2),
                "failures": d.failures[before:],
            }
        )
    return results


GENERATORS: dict[str, Callable[[Driver], None]] = {
    "scenario_structure": run_scenario_structure,
    "scenario_bytes": run_scenario_bytes,
    "record": run_records,
    "table": run_tables,
    "checkpoint": run_checkpoints,
    "argv": run_argv,
}


def main() -> None:
    mode, work = sys.argv[1], Path(sys.argv[2])
    started = time.perf_counter()
    forbid_work()
    d = Driver(work)
    if mode == "corpus":
        result: dict[str, Any] = {"corpus": run_corpus(d)}
    else:
        only = sys.argv[3:] or list(GENERATORS)
        result = {"generators": {}}
        for name in only:
            t0, n0 = time.perf_counter(), d.cases
            GENERATORS[name](d)
            result["generators"][name] = {
                "cases": d.cases - n0,
                "seconds": round(time.perf_counter() - t0, 1),
                "cpu_seconds": round(time.process_time(), 1),
            }
    result.update(d.report(started))
    os.chdir(HERE)
    sys.stdout.write(json.dumps(result, default=str) + "\n")


if __name__ == "__main__":
    main()
