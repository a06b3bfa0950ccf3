"""bench/run.py measures command and function cases, records them, and updates only what ran."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CASES = """
import sys
from pathlib import Path
from benchlib import Case, Subject

def make_input(work: Path) -> None:
    (work / "input.txt").write_text("x" * 1000)

def read_input(work: Path) -> None:
    assert len((work / "input.txt").read_text()) == 1000

CASES = [
    Case(
        name="fn",
        description="reads the generated input",
        subject=Subject("read input", read_input),
        peer=Subject("noop", [sys.executable, "-c", "pass"]),
        setup=make_input,
        repeat=3,
        budget=60.0,
    ),
    Case(name="cmd", subject=Subject("python -c pass", [sys.executable, "-c", "pass"]), repeat=2),
    Case(
        name="broken",
        subject=Subject("exits 3", [sys.executable, "-c", "import sys; sys.exit(3)"]),
        repeat=1,
    ),
    Case(
        name="fails-on-purpose",
        subject=Subject("exits 2", [sys.executable, "-c", "import sys; sys.exit(2)"], exit_codes=(2,)),
        repeat=1,
    ),
]
"""


def _bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--cases-dir",
            str(tmp_path / "cases"),
            "--work",
            str(tmp_path / "work"),
            "--results",
            str(tmp_path / "RESULTS.md"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bench_records_cases_and_updates_only_the_subset(tmp_path: Path) -> None:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "demo.py").write_text(CASES)
    results = tmp_path / "RESULTS.md"
    results.write_text("# old\n\n<!-- case:other/kept -->\nkept row\n<!-- /case:other/kept -->\n")

    listed = _bench(tmp_path, "--list")
    assert listed.returncode == 0, listed.stderr
    assert "demo/fn: read input (peer: noop)" in listed.stdout

    run = _bench(tmp_path, "demo/fn", "demo/cmd", "demo/fails-*")
    assert run.returncode == 0, run.stderr
    text = results.read_text()
    assert (tmp_path / "work" / "demo" / "fn" / "input.txt").exists()
    assert "kept row" in text  # a case that did not run keeps its section
    fn_block = text.split("<!-- case:demo/fn -->")[1].split("<!-- /case:demo/fn -->")[0]
    assert "| `read input` |" in fn_block and "| peer: `noop` |" in fn_block
    assert "| 3 |" in fn_block and "Budget: median ≤ 60.00 s — met." in fn_block
    assert "cores" in fn_block and "Python" in fn_block
    assert "<!-- case:demo/cmd -->" in text and "<!-- case:demo/fails-on-purpose -->" in text
    assert text.index("demo/cmd") < text.index("demo/fn") < text.index("other/kept")

    before = text
    broken = _bench(tmp_path, "demo/broken")
    assert broken.returncode == 1
    assert "demo/broken FAILED: exits 3: exit 3" in broken.stderr
    assert results.read_text() == before

    assert _bench(tmp_path, "nosuch").returncode != 0
