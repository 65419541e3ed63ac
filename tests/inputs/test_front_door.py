"""The front door (:mod:`guardsim.inputs`): what it refuses, before reading, and how it says so."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from guardsim.errors import BadInputError, CommandError, RecordError
from guardsim.inputs import (
    COUNT_MAX,
    MAX_DEPTH,
    MIB,
    SEED_MAX,
    SIZE_LIMITS,
    Output,
    check_depth,
    check_outputs,
    check_writable,
    decode_utf8,
    file_problem,
    measure,
    parse_json,
    read_text,
    whole_number,
)


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: caf\u00e9\n", encoding="utf-8")
    assert file_problem(path, "scenario") is None
    assert read_text(path, "scenario") == "name: caf\u00e9\n"


def test_not_found_is_said_only_when_nothing_is_there(tmp_path: Path) -> None:
    assert file_problem(tmp_path / "missing.yaml", "scenario") == "file not found"
    assert file_problem(tmp_path / "file" / "below-a-file", "scenario") is not None
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert file_problem(tmp_path / "file" / "below-a-file", "scenario") == "file not found"
    assert file_problem(tmp_path, "scenario") == "it is a directory, not a file"
    assert file_problem("/dev/zero", "record") == "it is a character device, not a regular file"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result: list[str] = []

    def read() -> None:
        try:
            read_text(fifo, "replay")
        except BadInputError as exc:
            result.append(str(exc))

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=10)  # opening a FIFO for reading would wait for a writer forever
    assert not worker.is_alive()
    assert result == [
        f"cannot read replay file {fifo}: it is a FIFO (named pipe), not a regular file"
    ]


def test_the_size_limit_is_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as f:  # a sparse file: over the limit without writing it
        f.truncate(SIZE_LIMITS["record"] + 1)
    with pytest.raises(RecordError) as info:
        read_text(path, "record", what="run record", error=RecordError)
    assert str(info.value) == (
        f"cannot read run record {path}: it is 64.0 MiB, over the 64.0 MiB limit for record "
        "files (GUARDSIM_MAX_INPUT_MIB sets another limit)"
    )
    small = tmp_path / "small.json"
    small.write_bytes(b"x" * (MIB // 2 + 1))
    assert file_problem(small, "record") is None
    monkeypatch.setenv("GUARDSIM_MAX_INPUT_MIB", "0.5")
    assert "over the 524288 bytes limit for record files" in str(file_problem(small, "record"))
    monkeypatch.setenv("GUARDSIM_MAX_INPUT_MIB", "lots")
    with pytest.raises(BadInputError, match="GUARDSIM_MAX_INPUT_MIB='lots': expected a number"):
        file_problem(small, "record")


def test_bad_utf8_names_the_file_and_the_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_bytes(b'{"a": "caf\xe9"}')
    with pytest.raises(BadInputError) as info:
        read_text(path, "record", what="run record")
    assert str(info.value) == (
        f"cannot read run record {path}: not UTF-8 text: byte 0xe9 at offset 10 (invalid "
        "continuation byte); is it a binary file?"
    )
    with pytest.raises(RecordError, match="byte 0x80 at offset 0"):
        decode_utf8(b"\x80abc", "x", RecordError)


def test_depth_and_size_are_measured_without_recursion() -> None:
    shared = [1, 2]
    twice = [shared, shared, shared]
    assert measure({"x": [twice, twice]}) == (4, 22)  # each shared list counted where it is
    assert measure(7) == (0, 1)
    deep: list[object] = []
    node = deep
    for _ in range(50_000):  # far deeper than Python's recursion limit
        child: list[object] = []
        node.append(child)
        node = child
    assert measure(deep) == (50_001, 50_001)
    loop: list[object] = []
    loop.append(loop)
    assert measure(loop)[0] == float("inf")
    with pytest.raises(BadInputError, match="x: nested deeper than 100 levels"):
        check_depth(deep, "x")
    with pytest.raises(BadInputError, match="contains itself"):
        check_depth(loop, "x")
    with pytest.raises(BadInputError, match="22 values once its aliases are expanded"):
        check_depth({"x": [twice, twice]}, "x", max_values=21)
    check_depth({"x": [twice, twice]}, "x", max_values=22)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 20_000])
def test_json_nesting_is_bounded(depth: int) -> None:
    text = "[" * depth + "]" * depth
    if depth <= MAX_DEPTH:
        assert measure(parse_json(text, "f.json"))[0] == depth
    else:
        with pytest.raises(BadInputError, match=f"f.json: nested deeper than {MAX_DEPTH} levels"):
            parse_json(text, "f.json")


def test_json_syntax_errors_name_the_line_and_column() -> None:
    with pytest.raises(RecordError, match=r"^r.json: invalid JSON at line 2, column 1: "):
        parse_json("{\n", "r.json", RecordError)


@pytest.mark.parametrize(
    ("text", "lo", "hi", "message"),
    [
        ("0", 1, COUNT_MAX, "expected a whole number >= 1, got 0"),
        ("1e12", 1, COUNT_MAX, "expected a whole number >= 1, got '1e12'"),
        (str(2**63), 0, SEED_MAX, f"expected a whole number from 0 to {SEED_MAX}, got {2**63}"),
        ("9" * 100, 0, SEED_MAX, "got a number of 100 digits"),
        ("x" * 100, 0, SEED_MAX, "... (100 characters)"),
    ],
)
def test_whole_numbers_are_checked_to_their_range(
    text: str, lo: int, hi: int, message: str
) -> None:
    with pytest.raises(ValueError, match="expected a whole number") as info:
        whole_number(text, lo, hi)
    assert message in str(info.value)


def test_whole_numbers_in_range_are_accepted() -> None:
    assert whole_number(str(SEED_MAX), 0, SEED_MAX) == 2**63 - 1
    assert whole_number("0", 0, SEED_MAX) == 0


def test_an_output_is_tried_in_its_folder_and_nothing_is_left(tmp_path: Path) -> None:
    check_writable(tmp_path / "out.json", "--json")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CommandError, match=r"folder .* does not exist"):
        check_writable(tmp_path / "no" / "out.json", "--json")
    with pytest.raises(CommandError, match="it is a directory"):
        check_writable(tmp_path, "--json")
    # /proc takes no new files, whoever asks (root included): the temporary file is refused
    with pytest.raises(CommandError, match=r"^cannot write --json /proc/out.json: "):
        check_writable("/proc/out.json", "--json")


def test_standard_output_is_for_one_output_that_supports_it(tmp_path: Path) -> None:
    check_outputs([Output("--json", "-", stdout=True), Output("--csv", None, stdout=True)])
    with pytest.raises(CommandError, match="--json - and --csv -: only one output"):
        check_outputs([Output("--json", "-", stdout=True), Output("--csv", "-", stdout=True)])
    with pytest.raises(CommandError, match="--report -: this output cannot go to standard"):
        check_outputs([Output("--report", "-")])
    same = tmp_path / "x.json"
    with pytest.raises(CommandError, match="--json and --csv name the same file"):
        check_outputs([Output("--json", same), Output("--csv", tmp_path / "." / "x.json")])
