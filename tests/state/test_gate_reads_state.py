"""With state on, a gate's `--deploys PATH` is that path on the data branch, where `lumen record`
and the flipback append to it (docs/reference.md#state): one job records, a fresh clone's gate
reads it, fetch-only. Real git against a bare origin on disk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from bare_origin import record_args
from harness.git_origin import git

from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-21T12:00:00Z"
# 4 successes and 2 failures in the window: 6 deploys (≥ min-deploys 5), success rate 4/6 below
# the shipped 0.80, so the ROI gate FAILs (exit 2) on the branch's log.
OUTCOMES = ("success", "success", "failure", "success", "failure", "success")


def record_on_branch(work: Path) -> None:
    """`lumen record` of OUTCOMES in the job `work` (the current directory), to the branch."""
    for n, result in enumerate(OUTCOMES):
        on_branch = ["--deploys", "deploys.jsonl", "--state", "lumen-data"]
        ts = f"2026-11-2{n // 3}T0{n}:00:00Z"
        assert main(record_args(f"1.0.{n}", *on_branch, "--ts", ts, result=result)) == 0
    assert not (work / "deploys.jsonl").exists()


def roi(*extra: str) -> list[str]:
    return ["roi", "--env", "prod", "--service", "api", "--now", NOW, "--quiet", *extra]


def test_a_gate_reads_the_deploys_record_wrote_on_the_branch(
    remote: Path, enter_clone: Callable[[str], Path], tmp_path: Path
) -> None:
    record_on_branch(enter_clone("deploy-job"))
    reader = enter_clone("gate-job")
    # A local file of the same name that would PASS: the gate must not read it.
    (reader / "deploys.jsonl").write_text(
        "".join(
            json.dumps(
                {"ts": f"2026-11-20T0{n}:00:00Z", "env": "prod", "service": "api"}
                | {"action": "deploy", "version": f"9.{n}", "result": "success"}
            )
            + "\n"
            for n in range(6)
        )
    )
    before = git(remote, "rev-parse", "lumen-data")
    out = tmp_path / "roi.json"
    assert main(roi("--deploys", "deploys.jsonl", "--state", "lumen-data", "--json", str(out))) == 2
    result = json.loads(out.read_text())
    assert result["verdict"] == "FAIL"
    assert result["deploys"] == 6
    assert result["successes"] == 4
    assert result["success_rate"] == pytest.approx(4 / 6)
    assert result["inputs"]["deploys"] == {
        "source": "deploys.jsonl",
        "branch": "lumen-data",
        "events_read": 6,
    }
    # a reader only fetches: the branch did not move, and the fetch left no ref behind
    assert git(remote, "rev-parse", "lumen-data") == before
    assert "refs/lumen/" not in git(reader, "for-each-ref")
    # without state the same flag reads the local file (and PASSes)
    assert main(roi("--deploys", "deploys.jsonl")) == 0


def test_the_integrated_gate_reads_deploys_from_the_branch_and_events_from_disk(
    enter_clone: Callable[[str], Path], tmp_path: Path
) -> None:
    record_on_branch(enter_clone("deploy-job"))
    enter_clone("gate-job")
    out = tmp_path / "integrated.json"
    events = str(ROOT / "examples" / "events.jsonl")
    argv = ["integrated", "--events", events, "--deploys", "deploys.jsonl"]
    argv += ["--env", "prod", "--service", "api", "--now", NOW, "--quiet", "--json", str(out)]
    assert main([*argv, "--state", "lumen-data"]) == 2
    result = json.loads(out.read_text())
    assert result["inputs"]["roi"]["deploys"] == {
        "source": "deploys.jsonl",
        "branch": "lumen-data",
        "events_read": 6,
    }
    assert result["inputs"]["events"]["source"] == events  # loop events: the runner's disk
    checks = {c["name"]: c["verdict"] for c in result["checks"]}
    # the branch's log (4 of 6) fails the ROI side; the example events pass maturity
    assert checks["success_rate"] == "FAIL" and checks["maturity_overall"] == "PASS", checks


@pytest.mark.parametrize("branch_exists", [True, False])
def test_deploys_missing_on_the_branch_is_an_error_not_a_pass(
    enter_clone: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    branch_exists: bool,
) -> None:
    if branch_exists:
        record_on_branch(enter_clone("deploy-job"))
    reader = enter_clone("gate-job")
    (reader / "other.jsonl").write_text("")  # a local file of that name is not read either
    capsys.readouterr()
    out = tmp_path / "roi.json"
    code = main(roi("--deploys", "other.jsonl", "--state", "lumen-data", "--json", str(out)))
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "other.jsonl" in err and "'lumen-data'" in err and "'origin'" in err, err
    assert "file not found" in err
    assert "Traceback" not in err and "lumen-state-" not in err
    assert not out.exists()  # no result, let alone a PASS


def test_a_bad_line_on_the_branch_names_the_branch_file_not_a_scratch_copy(
    remote: Path,
    checkout: Path,
    enter_clone: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    (checkout / "deploys.jsonl").write_text('{"ts": "2026-11-20T00:00:00Z"}\nnot json\n')
    assert main(["state", "push", "deploys.jsonl", "--state", "lumen-data", "--quiet"]) == 0
    enter_clone("reader")
    capsys.readouterr()
    assert main(roi("--deploys", "deploys.jsonl", "--state", "lumen-data")) == 1
    err = capsys.readouterr().err.strip()
    assert "deploys.jsonl on branch 'lumen-data' of remote 'origin'" in err, err
    assert "lumen-state-" not in err
