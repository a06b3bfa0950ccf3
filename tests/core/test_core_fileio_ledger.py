"""Atomic writes, locked appends and the ledger chain basics (the full property tests are with
the ledger command's tests)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from gates.errors import InputError
from lumen import ledger
from lumen.fileio import append_line, atomic_write, iter_jsonl


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.json"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["out.json"]


def test_iter_jsonl_names_the_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"a": 1}\n\n{"b": 2}\n{"c": \n')
    rows = []
    with pytest.raises(InputError) as exc:
        for lineno, obj in iter_jsonl(path):
            rows.append((lineno, obj))
    assert rows == [(1, {"a": 1}), (3, {"b": 2})]
    assert exc.value.line == 4
    assert str(exc.value).startswith(f"{path}:4: not valid JSON")


def test_append_line_repairs_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\n{"torn": ')
    append_line(path, '{"b": 2}')
    assert path.read_text().splitlines() == ['{"a": 1}', '{"torn": ', '{"b": 2}']


def _writer(args: tuple[str, int]) -> None:
    path, worker = args
    for i in range(50):
        append_line(path, json.dumps({"worker": worker, "i": i, "pad": "x" * 500}))


def test_concurrent_appends_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "log.jsonl")
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_writer, [(path, w) for w in range(4)])
    rows = [json.loads(line) for line in Path(path).read_text().splitlines()]
    assert len(rows) == 200
    assert sorted((r["worker"], r["i"]) for r in rows) == [
        (w, i) for w in range(4) for i in range(50)
    ]


def test_ledger_chain_and_head(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    heads = [ledger.append(path, {"type": "t", "n": n}) for n in range(3)]
    lines = path.read_bytes().splitlines()
    assert json.loads(lines[0])["prev"] == ledger.GENESIS
    assert json.loads(lines[1])["prev"] == heads[0] == ledger.sha256(lines[0])
    report = ledger.verify(path, head=heads[-1])
    assert report.ok and report.entries == 3 and report.head == heads[-1]
    # Truncating the tail is invisible without the head, visible with it.
    path.write_bytes(b"\n".join(lines[:2]) + b"\n")
    assert ledger.verify(path).ok
    truncated = ledger.verify(path, head=heads[-1])
    assert not truncated.ok and "cut off" in (truncated.problem or "")


def test_ledger_detects_reordering(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    for n in range(3):
        ledger.append(path, {"n": n})
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([lines[0], lines[2], lines[1]]) + b"\n")
    report = ledger.verify(path)
    assert not report.ok and report.line == 2


def test_ledger_refuses_prev_or_hash_in_entry(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        ledger.append(tmp_path / "l.jsonl", {"prev": "x"})
