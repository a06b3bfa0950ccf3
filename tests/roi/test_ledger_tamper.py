"""The ledger catches any single-byte change, insertion, deletion and reordering
(docs/reference.md#ledger); a cut-off tail only against the expected head. Concurrent `lumen record`
writers lose nothing."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lumen import ledger

ENTRIES = [
    {"type": "gate", "gate": "roi", "verdict": "PASS", "ts": "2026-11-20T18:00:00Z", "n": 1},
    {"type": "deploy", "event": {"env": "prod", "version": "1.2.0"}, "ts": "2026-11-20T18:01:00Z"},
    {"type": "gate", "gate": "integrated", "verdict": "FAIL", "ts": "2026-11-20T18:02:00Z"},
]


def build(path: Path) -> tuple[bytes, str]:
    head = ""
    for entry in ENTRIES:
        head = ledger.append(path, entry)
    return path.read_bytes(), head


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_byte_change_is_detected(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "ledger.jsonl"
    path.unlink(missing_ok=True)
    original, head = build(path)
    assert ledger.verify(path, head=head).ok
    index = data.draw(st.integers(0, len(original) - 1), label="index")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[index]), label="byte")
    tampered = bytearray(original)
    tampered[index] = byte
    path.write_bytes(bytes(tampered))
    try:
        report = ledger.verify(path, head=head)
    except Exception:  # an InputError for undecodable bytes is a detection too
        return
    assert not report.ok


def test_every_byte_position_is_covered(tmp_path: Path) -> None:
    """Exhaustively: flipping the low bit of any byte of the file breaks verification."""
    path = tmp_path / "ledger.jsonl"
    original, head = build(path)
    for index in range(len(original)):
        tampered = bytearray(original)
        tampered[index] ^= 0x01
        path.write_bytes(bytes(tampered))
        try:
            report = ledger.verify(path, head=head)
        except Exception:
            continue
        assert not report.ok, index


def test_single_byte_change_in_the_last_entry_needs_the_head(tmp_path: Path) -> None:
    # Rewriting the last entry consistently (new hash) is invisible without the expected head.
    path = tmp_path / "ledger.jsonl"
    _, head = build(path)
    lines = path.read_bytes().splitlines()
    last = json.loads(lines[-1])
    last["verdict"] = "PASS"
    del last["hash"]
    last["hash"] = ledger.sha256(ledger.canonical(last))
    lines[-1] = ledger.canonical(last)
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert ledger.verify(path).ok
    report = ledger.verify(path, head=head)
    assert not report.ok and "expected" in (report.problem or "")


def test_insertion_deletion_reordering_and_truncation(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    original, head = build(path)
    lines = original.splitlines(keepends=True)
    cases = {
        "deleted middle": lines[0] + lines[2],
        "reordered": lines[1] + lines[0] + lines[2],
        "inserted copy": lines[0] + lines[0] + lines[1] + lines[2],
        "deleted first": lines[1] + lines[2],
    }
    for name, content in cases.items():
        path.write_bytes(content)
        report = ledger.verify(path, head=head)
        assert not report.ok, name
        assert report.line is not None, name
    # truncation of the tail: a valid chain, caught only against the head
    path.write_bytes(lines[0] + lines[1])
    assert ledger.verify(path).ok
    assert not ledger.verify(path, head=head).ok


def _record(args: tuple[str, int]) -> int:
    from lumen.cli import main

    path, worker = args
    codes = 0
    for i in range(25):
        codes |= main(
            [
                "record",
                "--deploys",
                path,
                "--env",
                "prod",
                "--service",
                f"svc{worker}",
                "--action",
                "deploy",
                "--version",
                f"1.{i}.0",
                "--result",
                "success",
                "--id",
                f"{worker}-{i}",
                "--quiet",
            ]
        )
    return codes


def test_concurrent_record_writers_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "deploys.jsonl")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        codes = pool.map(_record, [(path, w) for w in range(4)])
    assert codes == [0, 0, 0, 0]
    lines = Path(path).read_text().splitlines()
    assert len(lines) == 100
    ids = {json.loads(line)["id"] for line in lines}  # every line is whole JSON
    assert ids == {f"{w}-{i}" for w in range(4) for i in range(25)}
