"""Run the jobs of a shipped workflow on this machine, step by step, as the runner would.

Built on harness.action_runner (same expressions, file commands and shells). A job's steps:

- `uses: ./.lumen-ci/actions/<name>` runs the action from Lumen's checkout in the workspace
  (below), `lumen-ci/lumen-ci/actions/<name>@v1`, `./actions/<name>` and `$/actions/<name>` the
  local `actions/<name>`, all through the composite-action runner (its `with:` checked against
  the action's inputs), and its outputs become the step's outputs;
- `actions/checkout` insists on `persist-credentials: false`. Of the workspace's own repository
  it is a no-op (the test prepares the workspace). With `repository:` naming Lumen (a key of
  `lumen_repositories`, default REPOSITORY -> this working tree) it materialises Lumen at `ref`
  into `path`: `git archive` of that commit, except that this working tree's HEAD commit is its
  files as they are (uncommitted edits included, so the tests test the code under test);
- the `job` context names the called workflow: `job.workflow_repository` REPOSITORY and
  `job.workflow_sha` this working tree's HEAD, unless `job_context` says otherwise (GitHub
  Enterprise Server: empty);
- `actions/upload-artifact` / `actions/download-artifact` copy files to and from an artifact
  store shared by the jobs of the run;
- `run:` steps run under bash, with `env:` from the workflow, the job and the step.

Jobs run in the order the test asks for; `needs.<job>.result/outputs` come from the jobs run
before, and job-level `if:` is evaluated (`success()` means every needed job succeeded).
`pin_inputs` are added to every Lumen action that declares them: the tests use it to pin `now`
so windows over the example data do not depend on the clock.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.action_runner import (
    ROOT,
    SETUP_PYTHON_INPUTS,
    ActionResult,
    ActionWiringError,
    Contexts,
    StepCall,
    StepExecutor,
    condition,
    interpolate,
    run_action,
    to_str,
)

sys.path.insert(0, str(ROOT / "scripts"))
from action_pins import MAJOR_TAG, REPOSITORY

# Lumen's own actions: by the major tag, from the repository's own checkout (`./actions/x`), or
# as this repository at the run's commit (`$/actions/x`, Lumen's own release workflow).
OWN_ACTION = re.compile(
    rf"(?:{re.escape(REPOSITORY)}/actions/([\w-]+)@{MAJOR_TAG}|(?:\./|\$/)actions/([\w-]+))"
)
# An action of the Lumen checkout the reusable workflows make in the workspace (fileio's
# LUMEN_CHECKOUT, docs/workflows.md: Pinning).
CHECKED_OUT_ACTION = re.compile(r"\./\.lumen-ci/actions/([\w-]+)")
CHECKOUT_INPUTS = frozenset(
    {
        "repository",
        "ref",
        "token",
        "ssh-key",
        "persist-credentials",
        "path",
        "clean",
        "filter",
        "sparse-checkout",
        "sparse-checkout-cone-mode",
        "fetch-depth",
        "fetch-tags",
        "show-progress",
        "lfs",
        "submodules",
        "set-safe-directory",
        "github-server-url",
    }
)
UPLOAD_INPUTS = frozenset(
    {
        "name",
        "path",
        "if-no-files-found",
        "retention-days",
        "compression-level",
        "overwrite",
        "include-hidden-files",
    }
)
DOWNLOAD_INPUTS = frozenset(
    {"name", "path", "pattern", "merge-multiple", "github-token", "repository", "run-id"}
)


@functools.cache
def head_of(repository: Path) -> str:
    """The commit a local git repository's HEAD names."""
    return subprocess.run(
        ["git", "-C", str(repository), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def materialise(source: Path, ref: str, dest: Path) -> str | None:
    """Lumen's files at `ref` of the local repository `source` into `dest` (None), or why not.
    The HEAD commit of this working tree (ROOT) is its files as they are: git's tracked and
    untracked-but-not-ignored files, edits included."""
    dest.mkdir(parents=True, exist_ok=True)
    if source.resolve() == ROOT.resolve() and ref == head_of(ROOT):
        listed = subprocess.run(
            [
                "git",
                "-C",
                str(ROOT),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=True,
        ).stdout
        for name in filter(None, listed.decode().split("\0")):
            origin = ROOT / name
            if origin.is_file():  # a tracked file deleted in the working tree is gone
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, dest / name)
        return None
    archive = subprocess.run(
        ["git", "-C", str(source), "archive", "--format=tar", f"{ref}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        return f"could not find ref {ref!r} in {source}: {archive.stderr.decode().strip()}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return None


def load_workflow(path: Path) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


@dataclass
class JobResult:
    conclusion: str  # success | failure | skipped
    outputs: dict[str, str]
    run: ActionResult | None
    actions: dict[str, ActionResult] = field(default_factory=dict)


class WorkflowRunner:
    def __init__(
        self,
        workflow: Path,
        *,
        workdir: Path,
        workspace: Path,
        inputs: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        event: Mapping[str, Any] | None = None,
        event_name: str = "workflow_call",
        action_venv: str | None = None,
        pin_inputs: Mapping[str, str] | None = None,
        lumen_repositories: Mapping[str, Path] | None = None,
        job_context: Mapping[str, str] | None = None,
    ) -> None:
        self.path = workflow
        self.workflow = load_workflow(workflow)
        self.workdir = workdir
        self.workspace = workspace
        self.env = dict(env or {})
        self.secrets = dict(secrets or {})
        self.event = dict(event or {})
        self.event_name = event_name
        self.action_venv = action_venv
        self.pin_inputs = dict(pin_inputs or {})
        # Where the checkout stand-in finds a repository the workflow checks out by name.
        self.lumen_repositories = dict(lumen_repositories or {REPOSITORY: ROOT})
        file_path = f".github/workflows/{workflow.name}"
        self.job_context = {
            "workflow_repository": REPOSITORY,
            "workflow_sha": head_of(ROOT),
            "workflow_ref": f"{REPOSITORY}/{file_path}@refs/tags/{MAJOR_TAG}",
            "workflow_file_path": file_path,
            **(job_context or {}),
        }
        self.artifacts = workdir / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, JobResult] = {}
        on = self.workflow["on"]
        trigger = on.get("workflow_call") or on.get("workflow_dispatch") or {}
        declared = (trigger or {}).get("inputs") or {}
        given = dict(inputs or {})
        unknown = set(given) - set(declared)
        if unknown:
            raise ActionWiringError(f"{workflow.name}: no workflow input(s) {sorted(unknown)}")
        self.inputs: dict[str, Any] = {}
        for name, spec in declared.items():
            if name in given:
                self.inputs[name] = given[name]
            elif spec.get("required"):
                raise ActionWiringError(f"{workflow.name}: input {name} is required")
            else:
                default = spec.get("default", "")
                self.inputs[name] = default if spec.get("type") == "boolean" else to_str(default)

    def run_job(self, job_id: str) -> JobResult:
        job = self.workflow["jobs"][job_id]
        needs = job.get("needs") or []
        needs = [needs] if isinstance(needs, str) else list(needs)
        missing = [n for n in needs if n not in self.jobs]
        if missing:
            raise ActionWiringError(f"job {job_id} needs {missing}: run them first")
        job_dir = Path(tempfile.mkdtemp(prefix=f"job-{job_id}-", dir=self.workdir))
        temp, files = job_dir / "runner-temp", job_dir / "runner-files"
        temp.mkdir()
        files.mkdir()
        ctx = Contexts(
            inputs=self.inputs,
            declared_inputs=frozenset(self.inputs),
            steps={},
            github={
                "token": self.env.get("GITHUB_TOKEN", "ghs_harness0token0not0a0secret"),
                "repository": self.env.get("GITHUB_REPOSITORY", "octo-org/octo-repo"),
                "sha": self.env.get("GITHUB_SHA", "6dcb09b5b57875f334f61aebed695e2e4193db5e"),
                "ref": self.env.get("GITHUB_REF", "refs/heads/main"),
                "ref_name": self.env.get("GITHUB_REF_NAME", "main"),
                "ref_type": self.env.get("GITHUB_REF_TYPE", "branch"),
                "event_name": self.event_name,
                "event": self.event,
                "server_url": "https://github.com",
                "run_id": "1658821493",
                "workspace": str(self.workspace),
            },
            runner={"temp": str(temp), "os": "Linux", "arch": "X64"},
            env={},
            extra={
                "needs": {
                    n: {"result": self.jobs[n].conclusion, "outputs": self.jobs[n].outputs}
                    for n in needs
                },
                "secrets": dict(self.secrets),
                "vars": {},
                "job": {"status": "success", **self.job_context},
            },
            workspace=self.workspace,
        )
        ctx.status = (
            "success" if all(self.jobs[n].conclusion == "success" for n in needs) else "failure"
        )
        if not condition(job.get("if"), ctx):
            result = JobResult("skipped", {}, None)
            self.jobs[job_id] = result
            return result
        ctx.status = "success"
        job_env: dict[str, str] = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(job_dir),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "RUNNER_TEMP": str(temp),
            **self.env,
        }
        for scope in (self.workflow.get("env") or {}, job.get("env") or {}):
            ctx.env = dict(job_env)
            for name, value in scope.items():
                job_env[str(name)] = interpolate(value, ctx)
        actions: dict[str, ActionResult] = {}

        def uses(call: StepCall) -> tuple[int, str, str]:
            checked_out = CHECKED_OUT_ACTION.fullmatch(call.uses)
            if checked_out:
                action = self.workspace / ".lumen-ci" / "actions" / checked_out.group(1)
                if not (action / "action.yml").is_file():
                    return 1, "", f"Can't find 'action.yml' under '{action}'\n"
                return self._lumen_action(action, call, job_dir, actions)
            own = OWN_ACTION.fullmatch(call.uses)
            if own:
                action = ROOT / "actions" / (own.group(1) or own.group(2))
                return self._lumen_action(action, call, job_dir, actions)
            name = call.uses.split("@", 1)[0]
            if not re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", call.uses):
                raise ActionWiringError(f"{call.uses}: pin third-party actions by commit SHA")
            if name == "actions/checkout":
                return self._checkout(call)
            if name == "actions/upload-artifact":
                return self._upload(call)
            if name == "actions/download-artifact":
                return self._download(call)
            if name == "actions/setup-python":
                return self._setup_python(call)
            raise ActionWiringError(f"no stand-in for {call.uses}")

        executor = StepExecutor(
            ctx,
            job_env,
            files,
            workspace=self.workspace,
            action_dir=None,
            timeout=600,
            shell="bash",
        )
        executor.run(job.get("steps") or [], uses)
        run = executor.result({}, [])
        outputs = {
            name: interpolate(value, ctx) for name, value in (job.get("outputs") or {}).items()
        }
        result = JobResult("failure" if run.returncode else "success", outputs, run, actions)
        self.jobs[job_id] = result
        return result

    def _checkout(self, call: StepCall) -> tuple[int, str, str]:
        unknown = set(call.with_values) - CHECKOUT_INPUTS
        if unknown:
            raise ActionWiringError(f"actions/checkout has no input(s) {sorted(unknown)}")
        if call.with_values.get("persist-credentials") != "false":
            raise ActionWiringError("actions/checkout without persist-credentials: false")
        repository = call.with_values.get("repository", "")
        if not repository:
            return 0, "stand-in checkout\n", ""  # the workspace's own: the test prepared it
        source = self.lumen_repositories.get(repository)
        if source is None:
            return 1, "", f"stand-in checkout: no repository {repository!r} here\n"
        ref = call.with_values.get("ref", "")
        if not ref:
            raise ActionWiringError(f"checkout of {repository} without a ref")
        dest = self._where(call.with_values.get("path") or ".")
        if self.workspace.resolve() not in [dest.resolve(), *dest.resolve().parents]:
            return 1, "", f"Repository path '{dest}' is not under '{self.workspace}'\n"
        if dest.exists():
            shutil.rmtree(dest)
        problem = materialise(source, ref, dest)
        if problem:
            return 1, "", f"stand-in checkout: {problem}\n"
        return 0, f"stand-in checkout: {repository}@{ref} into {dest}\n", ""

    def _lumen_action(
        self, action: Path, call: StepCall, job_dir: Path, actions: dict[str, ActionResult]
    ) -> tuple[int, str, str]:
        meta = yaml.safe_load((action / "action.yml").read_text())
        inputs = dict(call.with_values)
        for key, value in self.pin_inputs.items():
            if key in meta["inputs"]:
                inputs.setdefault(key, value)
        env = {
            k: v
            for k, v in call.env.items()
            if not k.startswith(("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP"))
            and k not in {"GITHUB_ACTION", "RUNNER_TEMP", "GITHUB_WORKSPACE", "PATH", "HOME"}
        }
        result = run_action(
            action,
            inputs,
            workdir=job_dir,
            workspace=self.workspace,
            env=env,
            event=self.event,
            event_name=self.event_name,
            action_venv=self.action_venv,
        )
        actions[call.id] = result
        with call.output_file.open("a", encoding="utf-8") as handle:
            for key, value in result.outputs.items():
                handle.write(f"{key}<<HARNESS_EOF\n{value}\nHARNESS_EOF\n")
        with call.summary_file.open("a", encoding="utf-8") as handle:
            handle.write(result.summary)
        return result.returncode, result.stdout, result.stderr

    def _setup_python(self, call: StepCall) -> tuple[int, str, str]:
        """The test interpreter (the development venv's, with the build tools), on PATH unless
        `update-environment: false`, as the real action puts its Python there."""
        unknown = set(call.with_values) - SETUP_PYTHON_INPUTS
        if unknown:
            raise ActionWiringError(f"actions/setup-python has no input(s) {sorted(unknown)}")
        version = subprocess.run(
            [sys.executable, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        with call.output_file.open("a", encoding="utf-8") as handle:
            handle.write(f"python-version={version}\npython-path={sys.executable}\n")
        if call.with_values.get("update-environment", "true").lower() != "false":
            call.path_file.write_text(str(Path(sys.executable).parent) + "\n", encoding="utf-8")
        return 0, f"stand-in setup-python: {sys.executable}\n", ""

    def _where(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.workspace / candidate

    def _upload(self, call: StepCall) -> tuple[int, str, str]:
        unknown = set(call.with_values) - UPLOAD_INPUTS
        if unknown:
            raise ActionWiringError(f"actions/upload-artifact has no input(s) {sorted(unknown)}")
        store = self.artifacts / call.with_values["name"]
        if store.exists():
            raise ActionWiringError(f"artifact {call.with_values['name']} uploaded twice")
        store.mkdir(parents=True)
        found = 0
        for line in call.with_values["path"].splitlines():
            if not line.strip():
                continue
            source = self._where(line.strip())
            if source.is_dir():
                shutil.copytree(source, store, dirs_exist_ok=True)
                found += 1
            elif source.is_file():
                shutil.copy2(source, store / source.name)
                found += 1
        if not found:  # if-no-files-found defaults to warn
            return 0, f"::warning::No files were found with the provided path: {line}\n", ""
        return 0, f"stand-in upload-artifact: {call.with_values['name']}\n", ""

    def _download(self, call: StepCall) -> tuple[int, str, str]:
        unknown = set(call.with_values) - DOWNLOAD_INPUTS
        if unknown:
            raise ActionWiringError(f"actions/download-artifact has no input(s) {sorted(unknown)}")
        name = call.with_values["name"]
        store = self.artifacts / name
        if not store.is_dir():
            return 1, "", f"Artifact not found for name: {name}\n"
        dest = self._where(call.with_values.get("path") or ".")
        shutil.copytree(store, dest, dirs_exist_ok=True)
        return 0, f"stand-in download-artifact: {name}\n", ""

    def upload(self, name: str, files: Mapping[str, bytes]) -> None:
        """An artifact uploaded by an earlier job of the caller (e.g. the build's `dist`)."""
        store = self.artifacts / name
        store.mkdir(parents=True, exist_ok=True)
        for relative, data in files.items():
            (store / relative).parent.mkdir(parents=True, exist_ok=True)
            (store / relative).write_bytes(data)


def shipped_workflow(
    workflow: str, workdir: Path, workspace: Path, **kwargs: Any
) -> WorkflowRunner:
    """`workflows/<workflow>` run in `workspace` as a user's repository calls it, its Lumen
    actions from the development venv; `kwargs` are WorkflowRunner's (inputs, env, event, ...)."""
    from harness.action_runner import dev_venv

    return WorkflowRunner(
        ROOT / "workflows" / workflow,
        workdir=workdir,
        workspace=workspace,
        action_venv=dev_venv(),
        **kwargs,
    )
