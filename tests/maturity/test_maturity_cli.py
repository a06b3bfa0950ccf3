"""`lumen maturity` on JSONL files and stdin: results, windows, trend, config, bad input."""

from __future__ import annotations

import io
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
import shipped
from harness.binaries import require_binary
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gates.maturity import MICROS, Window, WindowPlan
from lumen.cli import main
from lumen.sources import events as events_mod
from lumen.sources.events import EventReader

NOW = "2026-11-21T12:00:00Z"


def ev(ts: str, kind: str, severity: Any = 0.5, **extra: Any) -> dict[str, Any]:
    return {"ts": ts, "kind": kind, "severity": severity, **extra}


def write(path: Path, rows: list[Any]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(args: list[str], tmp_path: Path) -> tuple[int, dict[str, Any] | None]:
    out = tmp_path / "result.json"
    code = main(["maturity", *args, "--now", NOW, "--json", str(out), "--quiet"])
    return code, json.loads(out.read_text()) if out.exists() else None


BALANCED = [
    ev("2026-11-21T11:00:00Z", "signal", "warning", loop_id="a"),
    ev("2026-11-21T11:10:00Z", "evidence", 0.5, loop_id="a"),
    ev("2026-11-21T11:20:00+01:00", "action", 0.5, loop_id="b"),  # 10:20Z
]


def test_balanced_file_passes_with_result_shape(tmp_path: Path) -> None:
    code, doc = run(["--events", str(write(tmp_path / "e.jsonl", BALANCED))], tmp_path)
    assert code == 0 and doc is not None
    assert doc["verdict"] == "PASS" and doc["gate"] == "maturity"
    block = doc["maturity"]
    assert set(block) >= {"sense", "feedback", "release", "overall", "trend", "hint", "events"}
    assert block["window"] == "24h" and block["events"] == 3
    assert block["sense"] == pytest.approx(1.0) and block["overall"] == pytest.approx(1.0)
    assert block["trend"] is None and block["hint"] == "tighten"
    assert [c["name"] for c in doc["checks"]] == [
        "overall[24h]",
        "sense[24h]",
        "feedback[24h]",
        "release[24h]",
    ]
    assert set(doc["loops"]) == {"a", "b"}
    assert doc["loops"]["b"]["kinds"]["action"] == 1
    assert doc["windows"][0]["window"] == "24h"
    assert doc["input"]["events_read"] == 3 and doc["input"]["invalid"] == 0


def test_stdin_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = "".join(json.dumps(r) + "\n" for r in BALANCED).encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, doc = run(["--events", "-"], tmp_path)
    assert code == 0 and doc is not None and doc["maturity"]["events"] == 3
    assert doc["inputs"]["events"] == "<stdin>"


def test_empty_window_no_data_and_on_no_data(tmp_path: Path) -> None:
    old = write(tmp_path / "old.jsonl", [ev("2026-10-01T00:00:00Z", "signal")])
    code, doc = run(["--events", str(old)], tmp_path)
    assert code == 0 and doc is not None and doc["verdict"] == "NO_DATA"
    assert doc["maturity"]["overall"] is None and doc["maturity"]["events"] == 0
    code, doc = run(["--events", str(old), "--on-no-data", "fail"], tmp_path)
    assert code == 2 and doc is not None and doc["verdict"] == "FAIL"
    empty = write(tmp_path / "empty.jsonl", [])
    code, doc = run(["--events", str(empty), "--on-no-data", "warn"], tmp_path)
    assert code == 0 and doc is not None and doc["verdict"] == "WARN"


def test_several_windows_trend_and_hint(tmp_path: Path) -> None:
    rows = [
        # last 6h: balanced, overall 1.0
        ev("2026-11-21T11:00:00Z", "signal"),
        ev("2026-11-21T11:00:00Z", "evidence"),
        ev("2026-11-21T11:00:00Z", "action"),
        # previous 6h (00:00, 06:00]: one signal -> overall 0.3
        ev("2026-11-21T05:00:00Z", "signal"),
        # exactly at now - 6h: belongs to the previous window, not this one
        ev("2026-11-21T06:00:00Z", "signal"),
    ]
    code, doc = run(
        ["--events", str(write(tmp_path / "e.jsonl", rows)), "--window", "6h", "--window", "24h"],
        tmp_path,
    )
    assert doc is not None
    six, day = doc["windows"]
    assert six["window"] == "6h" and six["events"] == 3
    assert six["previous_overall"] == pytest.approx(0.3)
    assert six["trend"] == pytest.approx(0.7) and six["hint"] == "tighten"
    assert day["events"] == 5 and day["trend"] is None
    assert doc["maturity"]["window"] == "6h"
    # 24h: 3 signals, 1 evidence, 1 action -> sense < 1; one failing window fails the gate
    names = [c["name"] for c in doc["checks"]]
    assert "overall[24h]" in names and "sense[6h]" in names
    assert code == (2 if any(c["verdict"] == "FAIL" for c in doc["checks"]) else 0)


def test_compare_previous_run(tmp_path: Path) -> None:
    events = str(write(tmp_path / "e.jsonl", BALANCED))
    previous = tmp_path / "prev.json"
    previous.write_text(json.dumps({"maturity": {"overall": 1.05, "window": "24h"}}))
    _code, doc = run(["--events", events, "--compare", str(previous)], tmp_path)
    assert doc is not None
    assert doc["maturity"]["trend"] == pytest.approx(-0.05)
    assert doc["maturity"]["hint"] == "relax"
    assert doc["maturity"]["trend_source"] == "compare"
    bad = tmp_path / "bad.json"
    bad.write_text('{"verdict": "PASS"}')
    assert main(["maturity", "--events", events, "--compare", str(bad)]) == 1


def test_thresholds_per_env_from_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # one kind + one action: sense 0.918 (2 kinds 1:2 ... computed below), release 1
    rows = [ev("2026-11-21T11:00:00Z", "signal"), ev("2026-11-21T11:00:00Z", "action")]
    events = str(write(tmp_path / "e.jsonl", rows))
    # sense = log2/log3 = 0.631, feedback 1, release 1 -> overall 0.852
    config = tmp_path / "lumen.yml"
    config.write_text(
        "maturity:\n  min-overall: 0.5\n"
        "environments:\n  prod:\n    maturity:\n      min-overall: 0.9\n"
        "      min-sense: 0.7\n"
    )
    code, doc = run(["--events", events, "--config", str(config)], tmp_path)
    assert code == 0 and doc is not None
    assert doc["inputs"]["thresholds"]["min-overall"] == 0.5
    code, doc = run(["--events", events, "--config", str(config), "--env", "production"], tmp_path)
    assert code == 2 and doc is not None
    failed = {c["name"] for c in doc["checks"] if c["verdict"] == "FAIL"}
    assert failed == {"overall[24h]", "sense[24h]"}
    # the flag beats the environment
    code, doc = run(
        [
            "--events",
            events,
            "--config",
            str(config),
            "--env",
            "prod",
            "--min-overall",
            "0.8",
            "--min-sense",
            "0.6",
        ],
        tmp_path,
    )
    assert code == 0
    # per-band flag below --min-band
    code, doc = run(["--events", events, "--min-band", "0.7", "--min-sense", "0.6"], tmp_path)
    assert code == 0 and doc is not None
    assert doc["inputs"]["thresholds"]["min-feedback"] == 0.7


def test_severity_labels_from_config(tmp_path: Path) -> None:
    rows = [ev("2026-11-21T11:00:00Z", "signal", "sev1"), ev("2026-11-21T11:00:00Z", "action", 1)]
    events = str(write(tmp_path / "e.jsonl", rows))
    assert main(["maturity", "--events", events, "--now", NOW]) == 1
    config = tmp_path / "lumen.yml"
    config.write_text("maturity:\n  severity-labels: {sev1: 1.0}\n")
    _code, doc = run(["--events", events, "--config", str(config)], tmp_path)
    assert doc is not None and doc["maturity"]["feedback"] == 1.0


# ------------------------------------------------------------------------------ bad input

BAD_LINES = [
    (ev("2026-11-21T11:00:00Z", "deploy"), "kind", "signal | evidence | action"),
    (ev("2026-11-21T11:00:00Z", "signal", "severe"), "severity", "unknown severity label"),
    (ev("2026-11-21T11:00:00Z", "signal", 1.5), "severity", "outside [0, 1]"),
    (ev("2026-11-21T11:00:00Z", "signal", -0.1), "severity", "outside [0, 1]"),
    (ev("2026-11-21T11:00:00Z", "signal", True), "severity", "a boolean"),
    (ev("2026-11-21T11:00:00Z", "signal", None), "severity", "null"),
    (ev("2026-11-21T11:00:00", "signal"), "ts", "with a zone"),
    (ev("2026-11-21 11:00:00Z", "signal"), "ts", "RFC 3339"),
    (ev("2026-02-30T11:00:00Z", "signal"), "ts", "invalid timestamp"),
    (ev("2026-11-21T11:00:60Z", "signal"), "ts", "invalid timestamp"),
    (ev("2026-11-21T11:00:00+25:00", "signal"), "ts", "invalid timestamp"),
    (ev(1763722800, "signal"), "ts", "expected a string"),
    (ev("٢٠٢٦-11-21T11:00:00Z", "signal"), "ts", "invalid timestamp"),
    (ev("2026-11-21T11:00:0٠Z", "signal"), "ts", "invalid timestamp"),
    (ev("2026-11-21T11:00:00Z", "signal", loop_id=7), "loop_id", "expected a string"),
    (ev("2026-11-21T11:00:00Z", "signal", loop_id=None), "loop_id", "expected a string"),
    (ev("2026-11-21T11:00:00Z", "signal", message=["x"]), "message", "expected a string"),
    (ev("2026-11-21T11:00:00Z", "signal", source=None), "source", "expected a string"),
    ({"ts": "2026-11-21T11:00:00Z", "kind": "signal"}, "severity", "missing"),
    ('{"ts": "2026-11-21T11:00:00Z", "kind": ', "(line)", "not valid JSON"),
    ("[1, 2]", "(line)", "expected a JSON object"),
    ('"just a string"', "(line)", "expected a JSON object"),
]


@pytest.mark.parametrize(("bad", "field", "words"), BAD_LINES)
def test_bad_line_exits_1_naming_file_line_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: Any, field: str, words: str
) -> None:
    # valid lines before and after, so the fast block path has to find line 3 exactly
    rows = [*BALANCED[:2], bad, BALANCED[2]]
    path = write(tmp_path / "events.jsonl", rows)
    assert main(["maturity", "--events", str(path), "--now", NOW]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err  # one line, no traceback
    assert f"{path}:3: {field}:" in err
    assert words in err


def test_skip_invalid_counts_and_reports(tmp_path: Path) -> None:
    rows = [*BALANCED, ev("2026-11-21T11:00:00Z", "oops"), "not json", "", "   "]
    path = write(tmp_path / "events.jsonl", rows)
    code, doc = run(["--events", str(path), "--skip-invalid"], tmp_path)
    assert doc is not None and code == 0
    assert doc["input"]["invalid"] == 2
    assert [s["line"] for s in doc["input"]["invalid_samples"]] == [4, 5]
    check = next(c for c in doc["checks"] if c["name"] == "invalid-events")
    assert check["verdict"] == "WARN" and check["value"] == 2
    assert doc["verdict"] == "WARN"
    assert doc["maturity"]["events"] == 3


def test_missing_file_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["maturity", "--events", str(tmp_path / "nope.jsonl")]) == 1
    assert "file not found" in capsys.readouterr().err
    assert main(["maturity"]) == 1
    assert "exactly one source" in capsys.readouterr().err
    path = str(write(tmp_path / "e.jsonl", BALANCED))
    assert main(["maturity", "--events", path, "--github", "o/r"]) == 1
    assert main(["maturity", "--events", path, "--window", "soon"]) == 1
    assert "--window" in capsys.readouterr().err


def test_textfile_passes_promtool(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    prom = tmp_path / "maturity_spectrum.prom"
    path = str(write(tmp_path / "e.jsonl", BALANCED))
    code, _ = run(
        ["--events", path, "--window", "24h", "--window", "6h", "--prom", str(prom)], tmp_path
    )
    assert code == 0
    text = prom.read_text()
    assert 'lumen_maturity_overall{window="24h"} 1.0' in text
    assert "# TYPE lumen_maturity_sense gauge" in text
    assert "lumen_maturity_trend" not in text  # no previous window: never written as 0
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_maturity_does_not_import_sigstore(tmp_path: Path) -> None:
    path = str(write(tmp_path / "e.jsonl", BALANCED))
    code = (
        "import sys; from lumen.cli import main; "
        f"rc = main(['maturity', '--events', {path!r}, '--now', {NOW!r}, '--quiet']); "
        "assert 'sigstore' not in sys.modules, 'sigstore imported'; "
        "assert 'github' not in sys.modules; sys.exit(rc)"
    )
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# ------------------------------------------------------------------------------ the reader


def _read(text: bytes, *, chunks: int = 1, skip: bool = False) -> Any:
    plan = WindowPlan(1_763_726_400 * MICROS, [Window("24h", 86_400 * MICROS)])
    reader = EventReader(plan, labels=shipped.severity_labels(), skip_invalid=skip)
    size = max(1, len(text) // chunks)
    for start in range(0, len(text), size):
        reader.feed(text[start : start + size])
    return reader.finish()


def _lines(n: int, rnd: random.Random) -> list[str]:
    out = []
    for i in range(n):
        minute = rnd.randrange(0, 60 * 30)
        ts = f"2026-11-{20 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:"
        ts += rnd.choice(["07Z", "59.5Z", "00+02:00", "30.123456789Z"])
        row = {
            "ts": ts,
            "kind": rnd.choice(["signal", "evidence", "action"]),
            "severity": rnd.choice([0.1, 1, 0, "high", "info", 0.333]),
        }
        if i % 3:
            row["loop_id"] = rnd.choice(["a", "b", ""])
        out.append(json.dumps(row, separators=(",", ":") if i % 2 else (", ", ": ")))
    return out


@settings(max_examples=25, deadline=None)
@given(
    st.integers(min_value=1, max_value=300),
    st.randoms(use_true_random=False),
    st.integers(min_value=1, max_value=7),
)
def test_reader_order_and_block_boundaries_never_change_the_tally(
    n: int, rnd: random.Random, chunks: int
) -> None:
    lines = _lines(n, rnd)
    reference = _read(("\n".join(lines) + "\n").encode())
    rnd.shuffle(lines)
    shuffled = _read(("\n".join(lines)).encode(), chunks=chunks)  # no final newline either
    assert shuffled.events == reference.events == n
    assert {k: (c.kinds, c.severities.values) for k, c in shuffled.tally.cells.items()} == {
        k: (c.kinds, c.severities.values) for k, c in reference.tally.cells.items()
    }


def test_fast_and_slow_paths_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(3)
    text = ("\n".join(_lines(500, rnd)) + "\n").encode()
    fast = _read(text)
    # force every block through the line-by-line slow path
    monkeypatch.setattr(
        EventReader,
        "_fast",
        lambda self, items, first: [self._slow(item, first + i) for i, item in enumerate(items)],
    )
    slow = _read(text)
    assert {k: c.kinds for k, c in fast.tally.cells.items()} == {
        k: c.kinds for k, c in slow.tally.cells.items()
    }


def test_multiline_json_is_not_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An object split over two lines is invalid JSONL even though the block parser could join it.
    rows = [
        '{"ts": "2026-11-21T11:00:00Z", "kind": "signal", "severity": 0.5, "x": [1',
        "2]}",
        json.dumps(BALANCED[0]) + ", " + json.dumps(BALANCED[1]),
    ]
    path = write(tmp_path / "e.jsonl", rows)
    assert main(["maturity", "--events", str(path), "--now", NOW]) == 1
    assert f"{path}:1:" in capsys.readouterr().err
    # the same without brackets: an object over two lines, then two objects on one line
    flat = [
        '{"ts": "2026-11-21T11:00:00Z", "kind": "signal",',
        '"severity": 0.5}',
        json.dumps(BALANCED[0]) + ", " + json.dumps(BALANCED[1]),
    ]
    path = write(tmp_path / "flat.jsonl", flat)
    assert main(["maturity", "--events", str(path), "--now", NOW]) == 1
    assert f"{path}:1:" in capsys.readouterr().err


def test_caches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_mod, "_STAMP_CACHE_CAP", 5)
    monkeypatch.setattr(events_mod, "_MINUTE_CACHE_CAP", 5)
    monkeypatch.setattr(events_mod, "_COUNTER_CAP", 5)
    monkeypatch.setattr(events_mod, "BLOCK_SIZE", 64)
    lines = _lines(400, random.Random(5))
    small = _read(("\n".join(lines) + "\n").encode(), chunks=50)
    assert small.events == 400


# ------------------------------------------------------------------------------ parallel


def test_parallel_ranges_give_identical_results_and_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _lines(3000, random.Random(11))
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(lines) + "\n")
    results = {}
    for jobs in ("1", "3"):
        out = tmp_path / f"r{jobs}.json"
        args = [
            "maturity",
            "--events",
            str(path),
            "--now",
            "2026-11-21T06:00:00Z",
            "--window",
            "6h",
            "--window",
            "1d",
            "--jobs",
            jobs,
            "--json",
            str(out),
            "--quiet",
        ]
        main(args)
        results[jobs] = json.loads(out.read_text())
    assert results["1"] == results["3"]
    assert results["1"]["input"]["events_read"] == 3000
    # an error deep in the last range is reported with its line in the whole file
    lines[2900] = json.dumps(ev("2026-11-21T01:00:00Z", "bogus"))
    lines[2950] = "not json"
    path.write_text("\n".join(lines) + "\n")
    assert main(["maturity", "--events", str(path), "--jobs", "3", "--now", NOW]) == 1
    assert f"{path}:2901: kind:" in capsys.readouterr().err
    out = tmp_path / "skip.json"
    main(
        [
            "maturity",
            "--events",
            str(path),
            "--jobs",
            "3",
            "--skip-invalid",
            "--now",
            NOW,
            "--json",
            str(out),
            "--quiet",
        ]
    )
    doc = json.loads(out.read_text())
    assert [s["line"] for s in doc["input"]["invalid_samples"]] == [2901, 2951]


def test_blank_lines_and_two_values_on_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps(BALANCED[0])
    path = write(tmp_path / "e.jsonl", [good, "", "  ", good, f"{good} {good}", good])
    assert main(["maturity", "--events", str(path), "--now", NOW]) == 1
    err = capsys.readouterr().err
    assert f"{path}:5: (line): not valid JSON" in err
    _code, doc = run(["--events", str(path), "--skip-invalid"], tmp_path)
    assert doc is not None and doc["input"]["events_read"] == 3
    assert doc["input"]["invalid"] == 1 and doc["input"]["invalid_samples"][0]["line"] == 5


def test_top_level_severity_labels_and_compare_by_window(tmp_path: Path) -> None:
    rows = [ev("2026-11-21T11:00:00Z", "signal", "p1"), ev("2026-11-21T11:00:00Z", "action", 1)]
    events = str(write(tmp_path / "e.jsonl", rows))
    config = tmp_path / "lumen.yml"
    config.write_text("severity-labels: {p1: 1.0}\n")
    previous = tmp_path / "prev.json"
    previous.write_text(json.dumps({"maturity": {"overall": 0.5, "window": "6h"}}))
    _code, doc = run(
        ["--events", events, "--config", str(config), "--compare", str(previous)], tmp_path
    )
    assert doc is not None and doc["maturity"]["feedback"] == 1.0
    assert doc["maturity"]["trend"] is None  # a 6h overall is not the previous 24h overall


def test_crlf_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(r).encode() + b"\r\n" for r in BALANCED))
    code, doc = run(["--events", str(path)], tmp_path)
    assert code == 0 and doc is not None and doc["maturity"]["events"] == 3


_GOOD = json.dumps(ev("2026-11-21T11:00:00Z", "signal", 0.5))
_FRAGMENTS = [
    _GOOD,
    json.dumps(ev("2026-11-21T10:00:00Z", "action", "high", loop_id="x")),
    '{"ts": "2026-11-21T11:00:00Z", "kind": "evidence"',
    '"severity": 0.25}',
    '"severity": 0.25, "x": {"y": 1}}',
    f"{_GOOD},0,{_GOOD}",
    f"{_GOOD}, {_GOOD}",
    f"{_GOOD},",
    f",{_GOOD}",
    "0",
    "",
    "   ",
    "{}",
    '{"ts": "2026-11-21T11:00:00Z"',
    "}",
    '"a string"',
    "null",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=12))
# An object split over two lines compensated by two values on one line: the line count still
# matches, which a plain `,`-joined block would accept.
@example([_FRAGMENTS[2], _FRAGMENTS[3], _FRAGMENTS[6]])
@example([_FRAGMENTS[2], _FRAGMENTS[4], _FRAGMENTS[5], _GOOD])
def test_block_parsing_equals_line_by_line_on_any_mix(lines: list[str]) -> None:
    """Whatever the lines, the block parser counts and rejects exactly what parsing every line
    on its own does (same events, same invalid lines)."""
    text = ("\n".join(lines) + "\n").encode()
    fast = _read(text, skip=True)
    original = events_mod._parse_block
    try:
        events_mod._parse_block = lambda block, lines: None  # type: ignore[assignment]
        slow = _read(text, skip=True)
    finally:
        events_mod._parse_block = original
    assert fast.events == slow.events
    assert fast.invalid == slow.invalid
    assert [s["line"] for s in fast.invalid_samples] == [s["line"] for s in slow.invalid_samples]


def test_ranges_cut_exactly_on_line_starts(tmp_path: Path) -> None:
    # Equal-length lines: size * k / parts falls exactly on a line start for every cut.
    rows = [
        ev(f"2026-11-21T1{i}:00:00Z", kind, 0.5, loop_id="x" * (8 - len(kind)))
        for i, kind in enumerate(m_kinds())
    ]
    lines = [json.dumps(r) for r in rows]
    assert len({len(line) for line in lines}) == 1
    path = write(tmp_path / "e.jsonl", lines)
    with path.open("rb") as handle:
        size = path.stat().st_size
        ranges = events_mod._ranges(handle, size, 3)
    assert ranges == [(0, size // 3), (size // 3, 2 * size // 3), (2 * size // 3, size)]
    code, doc = run(["--events", str(path), "--jobs", "3"], tmp_path)
    assert code == 0 and doc is not None and doc["input"]["events_read"] == 3
    assert doc["maturity"]["kinds"] == {"signal": 1, "evidence": 1, "action": 1}


def m_kinds() -> list[str]:
    return ["signal", "evidence", "action"]


def test_more_jobs_than_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n")
    code, doc = run(["--events", str(path), "--jobs", "4"], tmp_path)
    assert code == 0 and doc is not None and doc["verdict"] == "NO_DATA"


def test_no_processes_falls_back_to_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing

    def no_fork(method: str) -> Any:
        raise ValueError(f"cannot find context for {method!r}")

    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(_lines(300, random.Random(2))) + "\n")
    _code, doc = run(["--events", str(path), "--jobs", "3"], tmp_path)
    assert doc is not None and doc["input"]["events_read"] == 300


@pytest.mark.parametrize(
    "extra",
    [[], ["--window", "6h", "--window", "24h", "--skip-invalid"], ["--m-score-preset", "prod"]],
)
def test_result_json_matches_the_gate_result_schema(tmp_path: Path, extra: list[str]) -> None:
    from lumen.schema import iter_errors

    rows = [*BALANCED, ev("2026-11-20T11:00:00Z", "signal")]
    path = write(tmp_path / "e.jsonl", rows)
    _code, doc = run(["--events", str(path), *extra], tmp_path)
    assert doc is not None
    assert [e.message for e in iter_errors("gate-result.schema.json", doc)] == []
    empty = write(tmp_path / "empty.jsonl", [])
    _code, doc = run(["--events", str(empty), *extra], tmp_path)
    assert doc is not None
    assert [e.message for e in iter_errors("gate-result.schema.json", doc)] == []
