"""The committed example comment (examples/comment.md) is what the examples produce today."""

from __future__ import annotations

from pathlib import Path

from lumen.cli import main

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = (
    "lumen integrated --config examples/.github/lumen.yml --events examples/events.jsonl "
    "--deploys examples/deploys.jsonl --slo examples/slo-samples.json --now 2026-11-20T18:00:00Z "
    "--json /tmp/i.json --quiet && "
    "lumen comment --result /tmp/i.json --markdown examples/comment.md --quiet"
)


def test_example_comment_is_current(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    for var in (
        "GITHUB_ACTIONS",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_EVENT_PATH",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(var, raising=False)
    result = tmp_path / "integrated.json"
    assert (
        main(
            [
                "integrated",
                "--config",
                "examples/.github/lumen.yml",
                "--events",
                "examples/events.jsonl",
                "--deploys",
                "examples/deploys.jsonl",
                "--slo",
                "examples/slo-samples.json",
                "--now",
                "2026-11-20T18:00:00Z",
                "--json",
                str(result),
                "--quiet",
            ]
        )
        == 0
    )
    rendered = tmp_path / "comment.md"
    assert main(["comment", "--result", str(result), "--markdown", str(rendered), "--quiet"]) == 0
    committed = (ROOT / "examples/comment.md").read_text()
    assert rendered.read_text() == committed, (
        f"examples/comment.md is stale; regenerate with: {REGENERATE}"
    )
    assert committed.startswith("<!-- lumen-gate:integrated -->")
    assert "### ✅ Lumen integrated gate: **PASS**" in committed
