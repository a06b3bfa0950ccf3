"""The shipped workflows: reusable ones (workflows/ = .github/workflows/), starters, their
permissions, pins, wiring to the actions' real inputs/outputs, and the security lint."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REUSABLE = sorted((ROOT / "workflows").glob("*.yml"))
STARTERS = sorted((ROOT / "workflows" / "starters").glob("*.yml"))
EXAMPLES = sorted((ROOT / "examples" / ".github" / "workflows").glob("*.yml"))
# Lumen CI's own release workflow (this repository's, not shipped to users).
PUBLISH = ROOT / ".github" / "workflows" / "publish.yml"
ALL = [*REUSABLE, *STARTERS, PUBLISH]
sys.path.insert(0, str(ROOT / "scripts"))
from action_pins import MAJOR_TAG, PINS, REPOSITORY  # noqa: E402

from lumen.fileio import LUMEN_CHECKOUT as LUMEN_CHECKOUT_DIR  # noqa: E402

# Lumen's own actions and workflows: REPOSITORY at the major tag (the starters), the checkout of
# Lumen at the called workflow's commit (`./.lumen-ci/actions/<name>`, the reusable workflows),
# or (publish.yml) this repository at the run's commit, `$/actions/<name>`.
OWN = re.compile(
    rf"(?:{re.escape(REPOSITORY)}/|\$/|\./\.lumen-ci/)"
    rf"(actions/[\w-]+|\.github/workflows/[\w.-]+\.yml)(?:@{MAJOR_TAG})?"
)
# The step that puts Lumen, at the commit of the workflow being run, where those `./.lumen-ci`
# steps find it (docs/workflows.md, Pinning).
LUMEN_CHECKOUT = {
    "name": "Check out Lumen at the commit this workflow runs at",
    "uses": f"actions/checkout@{PINS['actions/checkout'].sha}",
    "with": {
        "repository": "${{ job.workflow_repository || inputs.lumen-repository }}",
        "ref": "${{ job.workflow_sha || inputs.lumen-ref }}",
        # a private or internal mirror needs a token that can read it (docs/workflows.md)
        "token": "${{ secrets.LUMEN_TOKEN || github.token }}",
        "path": LUMEN_CHECKOUT_DIR,
        "persist-credentials": False,
    },
}
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")


def load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def steps_of(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])
    ]


def action_meta(uses: str) -> dict[str, Any]:
    name = OWN.fullmatch(uses)
    assert name, uses
    return yaml.safe_load((ROOT / name.group(1) / "action.yml").read_text(encoding="utf-8"))


def test_reusable_workflows_are_published_under_dot_github() -> None:
    names = {p.name for p in REUSABLE}
    assert names == {
        "pr-gate.yml",
        "nightly.yml",
        "release.yml",
        "gate-and-flipback.yml",
        "comment.yml",
    }
    for path in REUSABLE:
        copy = ROOT / ".github" / "workflows" / path.name
        assert copy.read_bytes() == path.read_bytes(), (
            f"{rel(copy)} differs from {rel(path)}: cp workflows/*.yml .github/workflows/"
        )
        assert set(load(path)["on"]) == {"workflow_call"}, rel(path)


def enabled(text: str) -> str:
    """A starter with its commented-out optional inputs (`# policy-…` and their values) on."""
    return re.sub(r"(?m)^(\s+)# (policy-|events:|deploys:|  )", r"\1\2", text)


def test_examples_carry_the_starter_workflows() -> None:
    """examples/ is a repository layout to copy: its workflows are the starters, with the
    optional policy inputs switched on for its manifests and its own Rego rule, and its event
    logs named (the starters name none: they read the repository's GitHub activity)."""
    copies = sorted((ROOT / "examples" / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in copies] == [p.name for p in STARTERS]
    for copy in copies:
        starter = (ROOT / "workflows" / "starters" / copy.name).read_text(encoding="utf-8")
        assert copy.read_text(encoding="utf-8") == enabled(starter), (
            f"{rel(copy)} differs from its starter (optional inputs uncommented)"
        )
    example = load(ROOT / "examples/.github/workflows/lumen-pr-gate.yml")
    assert example["jobs"]["lumen"]["with"]["policy-rego"] == "kubernetes\npolicy\n"


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_least_privilege_and_pins(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}, "top-level permissions must be {}"
    assert workflow.get("name")
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"{rel(path)}: job {job_id} has no permissions"
        for scope, level in (job["permissions"] or {}).items():
            assert level in {"read", "write"}, (job_id, scope)
        uses = job.get("uses")
        if uses:
            assert OWN.fullmatch(uses), f"{rel(path)}: {uses}"
    for job_id, step in steps_of(workflow):
        uses = step.get("uses")
        if not uses:
            continue
        assert OWN.fullmatch(uses) or PINNED.fullmatch(uses), f"{rel(path)} {job_id}: {uses}"
        if uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("path", ALL, ids=rel)
def test_lumen_steps_use_real_inputs_and_outputs(path: Path) -> None:
    """actionlint cannot see remote actions' metadata; this holds every `with:` key of a Lumen
    action to its action.yml and every `steps.<id>.outputs.<name>` to its outputs."""
    workflow = load(path)
    text = path.read_text(encoding="utf-8")
    lumen_steps: dict[tuple[str, str], dict[str, Any]] = {}
    for job_id, step in steps_of(workflow):
        uses = step.get("uses", "")
        if not OWN.fullmatch(uses):
            continue
        meta = action_meta(uses)
        unknown = set(step.get("with", {})) - set(meta["inputs"])
        assert not unknown, f"{rel(path)} {job_id}: {uses} has no input(s) {unknown}"
        if "id" in step:
            lumen_steps[(job_id, step["id"])] = meta
    for job_id, job in workflow["jobs"].items():
        job_text = yaml.safe_dump(job)
        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", job_text):
            meta = lumen_steps.get((job_id, step_id))
            if meta is not None:
                assert output in meta["outputs"], f"{rel(path)} {job_id}: {step_id}.{output}"
    assert "${{ secrets." not in text or "secrets:" in text


@pytest.mark.parametrize("path", REUSABLE, ids=rel)
def test_reusable_workflows_run_lumen_at_the_commit_they_are_called_at(path: Path) -> None:
    """Pinning the call pins the actions: every job that runs a Lumen action first checks
    Lumen out at job.workflow_sha (the called workflow's own commit) into .lumen-ci, after the
    workspace's own checkout (which would clean it away), and runs the actions from there. Where
    the context is empty (GitHub Enterprise Server) the inputs name Lumen's repository
    (REPOSITORY of scripts/action_pins.py, which mirrors change) and its major tag."""
    workflow = load(path)
    text = path.read_text(encoding="utf-8")
    assert f"uses: {REPOSITORY}/" not in text, "a Lumen step that ignores the pinned commit"
    inputs = workflow["on"]["workflow_call"]["inputs"]
    assert inputs["lumen-repository"]["default"] == REPOSITORY
    assert inputs["lumen-ref"]["default"] == MAJOR_TAG
    assert {inputs[n]["type"] for n in ("lumen-repository", "lumen-ref")} == {"string"}
    assert workflow["on"]["workflow_call"]["secrets"]["LUMEN_TOKEN"]["required"] is False
    lumen_jobs = 0
    for job_id, job in workflow["jobs"].items():
        steps = job.get("steps", [])
        uses = [s.get("uses", "") for s in steps]
        local = [i for i, u in enumerate(uses) if u.startswith("./")]
        if not local:
            assert LUMEN_CHECKOUT not in steps, f"{rel(path)} {job_id}: checkout for nothing"
            continue
        lumen_jobs += 1
        for i in local:
            assert re.fullmatch(rf"\./{re.escape(LUMEN_CHECKOUT_DIR)}/actions/[\w-]+", uses[i])
            assert (ROOT / uses[i][len(LUMEN_CHECKOUT_DIR) + 3 :] / "action.yml").is_file()
        assert steps.count(LUMEN_CHECKOUT) == 1, f"{rel(path)} {job_id}"
        at = steps.index(LUMEN_CHECKOUT)
        assert at < min(local), f"{rel(path)} {job_id}: Lumen checked out after its first step"
        own = [
            i
            for i, s in enumerate(steps)
            if s.get("uses", "").startswith("actions/checkout@") and s is not steps[at]
        ]
        assert all(i < at for i in own), f"{rel(path)} {job_id}: a checkout would clean .lumen-ci"
    assert lumen_jobs, rel(path)


def test_reusable_workflow_headers_say_what_is_pinned() -> None:
    """The note a user reads first: the actions run at the called commit, and the GHES fallback."""
    for path in REUSABLE:
        header = " ".join(
            line[1:].strip()
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("#")
        )
        assert "run the actions of the commit this workflow is called at" in header, rel(path)
        assert "job.workflow_sha" in header and "GitHub Enterprise Server" in header, rel(path)
        assert "lumen-ref" in header, rel(path)


def _called(uses: str) -> dict[str, Any]:
    match = OWN.fullmatch(uses)
    assert match and match.group(1).startswith(".github/workflows/")
    return load(ROOT / match.group(1))


@pytest.mark.parametrize("path", [*STARTERS, *EXAMPLES], ids=rel)
def test_starters_call_reusable_workflows_correctly(path: Path) -> None:
    """The caller must grant every permission the called jobs ask for (a called workflow can
    only lower them), and pass only declared inputs and secrets."""
    workflow = load(path)
    callers = [job for job in workflow["jobs"].values() if "uses" in job]
    assert callers, rel(path)
    for job in callers:
        called = _called(job["uses"])
        declared = called["on"]["workflow_call"]
        assert set(job.get("with", {})) <= set(declared.get("inputs", {}))
        required = {n for n, s in declared.get("inputs", {}).items() if s.get("required")}
        assert required <= set(job.get("with", {})), f"{rel(path)}: missing {required}"
        assert set(job.get("secrets", {})) <= set(declared.get("secrets", {}))
        granted = job["permissions"]
        for called_id, called_job in called["jobs"].items():
            for scope, level in (called_job.get("permissions") or {}).items():
                have = granted.get(scope)
                assert have in {"write", level}, f"{rel(path)}: {called_id} needs {scope}: {level}"


def _groups(workflow: dict[str, Any]) -> set[str]:
    """Concurrency groups a workflow declares, at workflow level and on its jobs."""
    out = set()
    for holder in (workflow, *workflow["jobs"].values()):
        concurrency = holder.get("concurrency")
        if isinstance(concurrency, str):
            out.add(concurrency)
        elif isinstance(concurrency, dict):
            out.add(str(concurrency["group"]))
    return out


@pytest.mark.parametrize("path", [*STARTERS, *EXAMPLES], ids=rel)
def test_no_caller_and_callee_share_a_concurrency_group(path: Path) -> None:
    """GitHub cancels a run whose caller and called workflow hold the same concurrency group
    ("deadlock detected"): the release starter and release.yml once did."""
    workflow = load(path)
    for job in workflow["jobs"].values():
        if "uses" in job:
            called = _called(job["uses"])
            shared = (_groups(workflow) | {str(job.get("concurrency") or "")}) & _groups(called)
            assert not shared, f"{rel(path)} and {job['uses']} both declare {shared}"


def test_the_pr_gate_runs_in_merge_queues() -> None:
    """A required `lumen/<gate>` check must report on merge groups too, or the queue stalls."""
    for path in (ROOT / "workflows/starters/lumen-pr-gate.yml", *EXAMPLES):
        if path.name == "lumen-pr-gate.yml":
            assert "merge_group" in load(path)["on"], rel(path)


def test_nightly_runs_at_18_utc_and_by_hand() -> None:
    on = load(ROOT / "workflows/starters/lumen-nightly.yml")["on"]
    assert on["schedule"] == [{"cron": "0 18 * * *"}]
    assert "workflow_dispatch" in on
    nightly = load(ROOT / "workflows/nightly.yml")
    uses = [s.get("uses", "") for _, s in steps_of(nightly)]
    order = [u.split("/actions/")[1].split("@")[0] for u in uses if "lumen-ci/actions/" in u]
    assert order == ["loop-sampler", "integrated-gate", "notify"]
    assert any("upload-artifact" in u for u in uses)
    sampler = next(s for _, s in steps_of(nightly) if "loop-sampler" in s.get("uses", ""))
    assert sampler["with"]["retry"] == "true"


def test_release_publishes_only_when_qa_passed() -> None:
    starter = load(ROOT / "workflows/starters/lumen-release.yml")
    inputs = starter["on"]["workflow_dispatch"]["inputs"]
    assert {"tag", "prerelease"} <= set(inputs) and inputs["prerelease"]["type"] == "boolean"
    release = load(ROOT / "workflows/release.yml")
    jobs = release["jobs"]
    assert list(jobs) == ["qa", "sbom", "sign", "notes", "publish"]
    assert jobs["qa"]["outputs"]["verdict"] == "${{ steps.qa.outputs.verdict }}"
    assert "qa" in jobs["publish"]["needs"]
    assert "needs.qa.outputs.verdict == 'PASS'" in jobs["publish"]["if"]
    assert jobs["sign"]["permissions"]["id-token"] == "write"
    assert "id-token" not in jobs["publish"]["permissions"]
    assert jobs["publish"]["permissions"]["contents"] == "write"
    # the QA job pushes its verdict to the data branch (input state); the others only read
    assert jobs["qa"]["permissions"]["contents"] == "write"
    assert all(jobs[j]["permissions"].get("contents") == "read" for j in ("sbom", "sign", "notes"))
    # no cache poisoning: nothing restored from the Actions cache runs in a release job
    lumen_steps = [s for _, s in steps_of(release) if OWN.fullmatch(s.get("uses", ""))]
    assert lumen_steps and all(s["with"]["cache"] == "false" for s in lumen_steps)


def test_flipback_inputs_confirmation_and_concurrency() -> None:
    starter = load(ROOT / "workflows/starters/lumen-flipback.yml")
    expected = {"env", "service", "min-overall", "platform", "target", "confirm"}
    assert set(starter["on"]["workflow_dispatch"]["inputs"]) == expected
    reusable = load(ROOT / "workflows/gate-and-flipback.yml")
    assert expected <= set(reusable["on"]["workflow_call"]["inputs"])
    flipback = reusable["jobs"]["flipback"]
    assert flipback["concurrency"]["cancel-in-progress"] is False
    assert "inputs.env" in flipback["concurrency"]["group"]
    assert "inputs.service" in flipback["concurrency"]["group"]
    # A FAIL of the integrated gate, or of the canary pack when one is given, triggers it
    # (docs/reference.md#canary).
    assert flipback["if"] == (
        "needs.gate.outputs.verdict == 'FAIL' || needs.gate.outputs.canary == 'FAIL'"
    )
    canary = next(s for s in reusable["jobs"]["gate"]["steps"] if s.get("id") == "canary")
    assert canary["uses"] == "./.lumen-ci/actions/policy-gate"
    assert canary["if"] == "inputs.canary-pack != ''"
    assert canary["with"]["pack"] == "${{ inputs.canary-pack }}"
    # the statistical judge's selectors reach the pack (`canary-pack: canary-compare`)
    assert canary["with"]["var"] == "${{ inputs.canary-vars }}"
    assert reusable["on"]["workflow_call"]["inputs"]["canary-vars"]["default"] == ""
    assert reusable["jobs"]["gate"]["outputs"]["canary"] == "${{ steps.canary.outputs.verdict }}"
    execute = next(s for s in flipback["steps"] if s.get("id") == "execute")
    assert execute["if"] == "inputs.confirm == 'yes'"
    assert execute["with"]["confirm"] == "yes" and execute["with"]["mode"] == "execute"


def test_comments_do_not_overlap_and_fork_path_is_safe() -> None:
    gate = load(ROOT / "workflows/pr-gate.yml")["jobs"]["comment"]
    assert gate["concurrency"]["cancel-in-progress"] is True
    forks = load(ROOT / "workflows/comment.yml")
    job = forks["jobs"]["comment"]
    assert "concurrency" in job
    # Never the pull request's code: the base repository's default branch (workflow_run's
    # commit, no ref or repository named) and Lumen's own, at this workflow's commit.
    checkouts = [s for s in job["steps"] if "checkout" in s.get("uses", "")]
    assert [c["with"] for c in checkouts] == [
        {"persist-credentials": False},
        LUMEN_CHECKOUT["with"],
    ]
    assert not any("checkout" in s.get("uses", "") for s in forks["jobs"]["pr"]["steps"])
    # the verdict posted is derived here (the integrated gate), the artifact names the PR only
    uses = [s.get("uses", "") for s in job["steps"]]
    assert uses.index("./.lumen-ci/actions/integrated-gate") < uses.index(
        "./.lumen-ci/actions/comment"
    )
    assert "download-artifact" not in " ".join(uses)
    assert job["if"] == "needs.pr.outputs.current == 'true'"
    starter = load(ROOT / "workflows/starters/lumen-comment.yml")
    assert starter["on"]["workflow_run"]["workflows"] == [
        load(ROOT / "workflows/starters/lumen-pr-gate.yml")["name"]
    ]


def test_actionlint_and_zizmor_are_clean() -> None:
    """scripts/lint_workflows.py (actionlint + zizmor --offline); its report is printed so the
    findings appear in the test output."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lint_workflows.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    report = "\n".join(
        line for line in (done.stdout + done.stderr).splitlines() if " INFO " not in line
    )
    print(report)
    assert done.returncode == 0, report
    assert "actionlint:" in report and "zizmor --offline:" in report


def test_zizmor_suppressions_carry_reasons() -> None:
    text = (ROOT / "zizmor.yml").read_text(encoding="utf-8")
    lines = text.splitlines()
    for index, line in enumerate(lines):
        entry = line.strip()
        if entry.startswith("- ") or re.match(r'"[^"]+": ref-pin', entry):
            assert lines[index - 1].strip().startswith("#"), f"no reason above: {entry}"
