"""Run a composite action's steps the way the GitHub Actions runner does.

Enough of the runner to catch wrong wiring, with nothing mocked inside the action itself:

- inputs are checked against the action's `inputs:` (an unknown name is an error, as a typo in
  a workflow's `with:` would be), defaults are evaluated (`${{ github.token }}`);
- `${{ }}` expressions in `with:`, `env:`, `run:`, `if:`, `working-directory:` and the action's
  `outputs:` are evaluated over the contexts `inputs`, `steps`, `github`, `runner`, `env`, with
  literals, `!`, `==`, `!=`, `<`, `>`, `&&`, `||` (value-returning, as GitHub's), parentheses and
  `success() failure() always() cancelled() contains() startsWith() endsWith() format()`;
  a reference to an undeclared input, an unknown step id or an unknown context is an
  `ActionWiringError` (GitHub would quietly substitute an empty string);
- every step gets fresh `GITHUB_OUTPUT`, `GITHUB_ENV`, `GITHUB_PATH` and `GITHUB_STEP_SUMMARY`
  files, read back afterwards in both the `k=v` and the `k<<DELIMITER` forms;
  `GITHUB_ACTION_PATH`, `RUNNER_TEMP`, `GITHUB_WORKSPACE`, `GITHUB_EVENT_PATH` … are set;
- `run:` steps go through the shell the runner uses (`bash --noprofile --norc -eo pipefail
  {0}`, `sh -e {0}`, `python {0}`); workflow commands on stdout (`::add-mask::`, `::error`…)
  are collected;
- `uses:` steps have stand-ins for the actions Lumen's actions use: `actions/setup-python`
  (outputs `python-path`, `python-version`; with `update-environment: true` it would put its
  Python on PATH, as the real one does), `actions/cache` and its `restore`/`save` halves
  (record path, key and which half ran; restore nothing), and `astral-sh/setup-uv` (outputs
  the `uv-path` of the uv installed beside the test interpreter or on PATH, fails without
  one). Their `with:` keys are checked against the real actions' inputs.

Speed: the actions install lumen-ci into a venv under RUNNER_TEMP. `scripts/run-action.sh`
honours `LUMEN_ACTION_VENV` (an environment with lumen-ci already installed), and the fixture
points it at the development venv by default, so a run costs a second, not a pip install. One
test runs the real install (`fresh_venv=True`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
    "sh": ["sh", "-e", "{0}"],
    "python": [sys.executable, "{0}"],
}
# Inputs of the real actions, so a misspelt `with:` key fails here as it would warn there.
SETUP_PYTHON_INPUTS = frozenset(
    {
        "python-version",
        "python-version-file",
        "cache",
        "architecture",
        "check-latest",
        "token",
        "cache-dependency-path",
        "update-environment",
        "allow-prereleases",
        "freethreaded",
    }
)
CACHE_INPUTS = frozenset(
    {
        "path",
        "key",
        "restore-keys",
        "upload-chunk-size",
        "enableCrossOsArchive",
        "fail-on-cache-miss",
        "lookup-only",
    }
)
CACHE_RESTORE_INPUTS = frozenset(
    {"path", "key", "restore-keys", "enableCrossOsArchive", "fail-on-cache-miss", "lookup-only"}
)
CACHE_SAVE_INPUTS = frozenset({"path", "key", "upload-chunk-size", "enableCrossOsArchive"})
SETUP_UV_INPUTS = frozenset(
    {
        "version",
        "version-file",
        "python-version",
        "activate-environment",
        "working-directory",
        "checksum",
        "github-token",
        "enable-cache",
        "cache-dependency-glob",
        "restore-cache",
        "save-cache",
        "cache-suffix",
        "cache-local-path",
        "prune-cache",
        "cache-python",
        "ignore-nothing-to-cache",
        "ignore-empty-workdir",
        "tool-dir",
        "tool-bin-dir",
        "manifest-file",
        "add-problem-matchers",
        "resolution-strategy",
    }
)


class ActionWiringError(AssertionError):
    """The action refers to something that does not exist (input, step, context, stand-in)."""


# --------------------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>\|\||&&|==|!=|<=|>=|<|>|!|\(|\)|,|\[|\])
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*)
)""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ActionWiringError(f"cannot parse expression {text!r} at {text[pos:]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def truthy(value: Any) -> bool:
    return value not in (None, False, "", 0, 0.0)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if value is None:
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # GitHub compares strings ignoring case
    na, nb = _number(a), _number(b)
    return na is not None and nb is not None and na == nb


@dataclass
class Contexts:
    inputs: dict[str, str]
    declared_inputs: frozenset[str]
    steps: dict[str, dict[str, Any]]
    github: dict[str, Any]
    runner: dict[str, str]
    env: dict[str, str]
    status: str = "success"  # success | failure
    # Workflow-only contexts (`needs`, `secrets`, `vars`) and the workspace for hashFiles().
    extra: dict[str, Any] = field(default_factory=dict)
    workspace: Path | None = None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], ctx: Contexts, source: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.ctx = ctx
        self.source = source

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ActionWiringError(f"expected {value or 'a value'} in {self.source!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise ActionWiringError(f"unexpected {self.peek()} in {self.source!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            right = self.cmp()
            value = right if truthy(value) else value
        return value

    def cmp(self) -> Any:
        value = self.unary()
        while self.peek() is not None and self.peek()[1] in {"==", "!=", "<", ">", "<=", ">="}:  # type: ignore[index]
            op = self.take()[1]
            right = self.unary()
            if op == "==":
                value = _equal(value, right)
            elif op == "!=":
                value = not _equal(value, right)
            else:
                a, b = _number(value), _number(right)
                if a is None or b is None:
                    value = False
                else:
                    value = {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return value

    def unary(self) -> Any:
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text)
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ActionWiringError(f"unexpected {text!r} in {self.source!r}")
        if text in {"true", "false"}:
            return text == "true"
        if text == "null":
            return None
        if self.peek() == ("op", "("):
            return self.call(text)
        value = self.lookup(text)
        while self.peek() == ("op", "["):  # inputs['min-overall']
            self.take()
            key = to_str(self.or_())
            self.take("]")
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def call(self, name: str) -> Any:
        self.take("(")
        args: list[Any] = []
        while self.peek() != ("op", ")"):
            args.append(self.or_())
            if self.peek() == ("op", ","):
                self.take()
        self.take(")")
        status = self.ctx.status
        fn = name.lower()
        if fn == "success":
            return status == "success"
        if fn == "failure":
            return status == "failure"
        if fn == "always":
            return True
        if fn == "cancelled":
            return False
        if fn == "contains":
            hay, needle = args
            if isinstance(hay, list):
                return any(_equal(item, needle) for item in hay)
            return to_str(needle).lower() in to_str(hay).lower()
        if fn == "startswith":
            return to_str(args[0]).lower().startswith(to_str(args[1]).lower())
        if fn == "endswith":
            return to_str(args[0]).lower().endswith(to_str(args[1]).lower())
        if fn == "hashfiles":
            return self.hash_files([to_str(a) for a in args])
        if fn == "format":
            text = to_str(args[0])
            for index, arg in enumerate(args[1:]):
                text = text.replace("{" + str(index) + "}", to_str(arg))
            return text
        raise ActionWiringError(f"function {name}() is not supported by the harness")

    def hash_files(self, patterns: list[str]) -> str:
        """hashFiles(): SHA-256 over the matching files under the workspace, '' for none."""
        root = self.ctx.workspace
        if root is None:
            raise ActionWiringError("hashFiles() is only available in workflow jobs")
        matched = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})
        if not matched:
            return ""
        digest = hashlib.sha256()
        for path in matched:
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def lookup(self, path: str) -> Any:
        head, *rest = path.split(".")
        ctx = self.ctx
        if head == "inputs":
            if not rest:
                return dict(ctx.inputs)
            if rest[0] not in ctx.declared_inputs:
                raise ActionWiringError(f"{path}: the action declares no input {rest[0]!r}")
            return ctx.inputs.get(rest[0], "")
        if head == "steps":
            if not rest:
                return dict(ctx.steps)
            if rest[0] not in ctx.steps:
                raise ActionWiringError(f"{path}: no earlier step has id {rest[0]!r}")
            value: Any = ctx.steps[rest[0]]
            rest = rest[1:]
        elif head in {"github", "runner", "env"}:
            value = {"github": ctx.github, "runner": ctx.runner, "env": ctx.env}[head]
        elif head in ctx.extra:
            value = ctx.extra[head]
        else:
            raise ActionWiringError(f"{path}: context {head!r} is not available in an action")
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
        return value


def evaluate(expression: str, ctx: Contexts) -> Any:
    return _Parser(_tokens(expression), ctx, expression).parse()


_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def interpolate(text: Any, ctx: Contexts) -> str:
    """Replace each `${{ expr }}` in a string, as the runner does for with/env/run values."""
    if not isinstance(text, str):
        return to_str(text)
    return _EMBEDDED.sub(lambda m: to_str(evaluate(m.group(1), ctx)), text)


def condition(text: Any, ctx: Contexts) -> bool:
    """A step `if:`; `${{ }}` is optional there and the default is `success()`."""
    if text is None:
        return ctx.status == "success"
    source = str(text).strip()
    whole = _EMBEDDED.fullmatch(source)
    source = whole.group(1) if whole else source
    value = evaluate(source, ctx)
    uses_status = re.search(r"\b(success|failure|always|cancelled)\s*\(", source)
    # Without a status function GitHub ANDs the condition with success().
    return truthy(value) and (bool(uses_status) or ctx.status == "success")


_CONTEXTS = frozenset({"inputs", "steps", "github", "runner", "env", "job", "strategy", "matrix"})


def check_references(metadata: Mapping[str, Any], source: str) -> None:
    """Every `${{ }}` of the action, checked before anything runs (a step after a failing one
    is never evaluated, so running alone would miss its wiring): inputs must be declared,
    steps must be earlier steps (any step for the action's outputs), contexts must exist."""
    declared = set(metadata.get("inputs") or {})
    steps = (metadata.get("runs") or {}).get("steps") or []

    def strings(node: Any) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, dict):
            return [s for value in node.values() for s in strings(value)]
        if isinstance(node, list):
            return [s for value in node for s in strings(value)]
        return []

    def check(text: str, known_steps: set[str], where: str) -> None:
        expressions = [m.group(1) for m in _EMBEDDED.finditer(text)]
        if where.endswith(".if") and not expressions:
            expressions = [text]
        for expression in expressions:
            tokens = _tokens(expression)
            for index, (kind, name) in enumerate(tokens):
                if kind != "name" or name in {"true", "false", "null"}:
                    continue
                if index + 1 < len(tokens) and tokens[index + 1] == ("op", "("):
                    continue  # a function
                head, *rest = name.split(".")
                if head not in _CONTEXTS:
                    raise ActionWiringError(f"{source} {where}: unknown context in {name!r}")
                if head == "inputs" and rest and rest[0] not in declared:
                    raise ActionWiringError(
                        f"{source} {where}: {name}: the action declares no input {rest[0]!r}"
                    )
                if head == "steps" and rest and rest[0] not in known_steps:
                    raise ActionWiringError(
                        f"{source} {where}: {name}: no earlier step has id {rest[0]!r}"
                    )

    for name, spec in (metadata.get("inputs") or {}).items():
        check(str((spec or {}).get("default", "")), set(), f"inputs.{name}.default")
    earlier: set[str] = set()
    for index, step in enumerate(steps):
        label = f"step {step.get('id') or index}"
        for key in ("if", "with", "env", "run", "working-directory", "continue-on-error"):
            if key in step:
                for text in strings(step[key]):
                    check(text, earlier, f"{label}.{key}")
        if step.get("id"):
            earlier.add(str(step["id"]))
    for name, spec in (metadata.get("outputs") or {}).items():
        check(str((spec or {}).get("value", "")), earlier, f"outputs.{name}")


# --------------------------------------------------------------------------- file commands


def parse_file_command(path: Path) -> dict[str, str]:
    """`GITHUB_OUTPUT`/`GITHUB_ENV` contents: `k=v` lines and `k<<DELIM` … `DELIM` blocks."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip():
            continue
        eq = line.find("=")
        heredoc = line.find("<<")
        if heredoc > 0 and (eq < 0 or heredoc < eq):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise ActionWiringError(f"{path.name}: delimiter {delimiter!r} never closed")
            index += 1
            values[name] = "\n".join(body)
        elif eq > 0:
            values[line[:eq]] = line[eq + 1 :]
        else:
            raise ActionWiringError(f"{path.name}: invalid line {line!r}")
    return values


_COMMAND = re.compile(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$")


@dataclass
class StepRecord:
    id: str
    kind: str  # run | uses
    outcome: str  # success | failure | skipped
    returncode: int
    outputs: dict[str, str]
    with_: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionResult:
    returncode: int
    outputs: dict[str, str]
    steps: list[StepRecord]
    stdout: str
    stderr: str
    summary: str
    masks: list[str]
    annotations: list[dict[str, str]]
    caches: list[dict[str, str]]
    env: dict[str, str]

    def step(self, step_id: str) -> StepRecord:
        for record in self.steps:
            if record.id == step_id:
                return record
        raise KeyError(step_id)

    @property
    def log(self) -> str:
        return self.stdout + self.stderr


def _runner_os() -> tuple[str, str]:
    system = {"Linux": "Linux", "Darwin": "macOS"}.get(platform.system(), platform.system())
    machine = platform.machine().lower()
    arch = {"x86_64": "X64", "amd64": "X64", "arm64": "ARM64", "aarch64": "ARM64"}.get(
        machine, machine.upper()
    )
    return system, arch


def base_interpreter() -> str:
    """A plain Python (not the dev venv's), as setup-python would provide."""
    return getattr(sys, "_base_executable", None) or sys.executable


def _clean_path(exclude: list[Path]) -> str:
    """PATH without virtualenv bins, so nothing finds `lumen` except through the action."""
    keep = []
    excluded = {str(p.resolve()) for p in exclude}
    for entry in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep):
        if entry and str(Path(entry).resolve()) not in excluded:
            keep.append(entry)
    return os.pathsep.join(keep)


def run_action(
    action: str | Path,
    inputs: Mapping[str, Any] | None = None,
    *,
    workdir: Path,
    workspace: Path | None = None,
    env: Mapping[str, str] | None = None,
    python: str | None = None,
    action_venv: str | None = None,
    event: Mapping[str, Any] | None = None,
    event_name: str = "push",
    timeout: float = 600,
) -> ActionResult:
    """Run the composite action in `action` (a directory or an action.yml) with `inputs`.

    `workdir` holds RUNNER_TEMP and the per-step files; `workspace` is the working directory
    (default `workdir/workspace`). `action_venv` becomes LUMEN_ACTION_VENV (None: a real
    install). `env` adds to the job environment.
    """
    path = Path(action)
    metadata_file = path if path.is_file() else path / "action.yml"
    action_dir = metadata_file.parent.resolve()
    metadata = yaml.safe_load(metadata_file.read_text(encoding="utf-8"))
    runs = metadata.get("runs") or {}
    if runs.get("using") != "composite":
        raise ActionWiringError(f"{metadata_file}: runs.using must be composite")
    declared: dict[str, Any] = metadata.get("inputs") or {}
    check_references(metadata, str(metadata_file))

    workdir = Path(workdir)
    temp = workdir / "runner-temp"
    files = workdir / "runner-files"
    for folder in (temp, files):
        folder.mkdir(parents=True, exist_ok=True)
    workspace = Path(workspace) if workspace else workdir / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    event_path = files / "event.json"
    event_path.write_text(json.dumps(dict(event or {})), encoding="utf-8")

    runner_os, runner_arch = _runner_os()
    token = (env or {}).get("GITHUB_TOKEN", "ghs_harness0token0not0a0secret")
    job_env: dict[str, str] = {
        "PATH": _clean_path([Path(sys.prefix) / "bin"]),
        "HOME": os.environ.get("HOME", str(workdir)),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_REPOSITORY_OWNER": "octo-org",
        "GITHUB_SHA": "6dcb09b5b57875f334f61aebed695e2e4193db5e",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
        "GITHUB_RUN_ID": "1658821493",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKFLOW": "harness",
        "GITHUB_ACTOR": "octocat",
        "RUNNER_OS": runner_os,
        "RUNNER_ARCH": runner_arch,
        "RUNNER_TEMP": str(temp),
        "RUNNER_TOOL_CACHE": str(workdir / "toolcache"),
    }
    # The installers' own configuration (pip, uv, CA bundle, proxies), for the real install.
    installer = {"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "NO_PROXY"}
    for name, value in os.environ.items():
        if name.startswith(("PIP_", "UV_")) or name in installer:
            job_env[name] = value
    if action_venv:
        job_env["LUMEN_ACTION_VENV"] = action_venv
    job_env.update(env or {})

    given = {k: to_str(v) for k, v in (inputs or {}).items()}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ActionWiringError(f"{metadata_file}: unexpected input(s) {', '.join(unknown)}")

    github: dict[str, Any] = {
        "action_path": str(action_dir),
        "workspace": str(workspace),
        "token": token,
        "repository": job_env["GITHUB_REPOSITORY"],
        "repository_owner": job_env["GITHUB_REPOSITORY_OWNER"],
        "sha": job_env["GITHUB_SHA"],
        "ref": job_env["GITHUB_REF"],
        "event_name": event_name,
        "event": dict(event or {}),
        "server_url": job_env["GITHUB_SERVER_URL"],
        "api_url": job_env["GITHUB_API_URL"],
        "run_id": job_env["GITHUB_RUN_ID"],
        "actor": job_env["GITHUB_ACTOR"],
    }
    runner = {"os": runner_os, "arch": runner_arch, "temp": str(temp), "name": "harness"}
    ctx = Contexts(
        inputs={},
        declared_inputs=frozenset(declared),
        steps={},
        github=github,
        runner=runner,
        env=dict(job_env),
    )
    # Defaults may themselves be expressions (`${{ github.token }}`).
    for name, spec in declared.items():
        spec = spec or {}
        ctx.inputs[name] = (
            given[name] if name in given else interpolate(spec.get("default", ""), ctx)
        )

    def uses(step: StepCall) -> tuple[int, str, str]:
        return _stand_in(
            step.uses,
            with_values=step.with_values,
            env=step.env,
            output_file=step.output_file,
            path_file=step.path_file,
            python=python,
            caches=caches,
        )

    caches: list[dict[str, str]] = []
    steps = StepExecutor(
        ctx, job_env, files, workspace=workspace, action_dir=action_dir, timeout=timeout, shell=None
    )
    steps.run(runs.get("steps") or [], uses)
    action_outputs = {
        name: interpolate((spec or {}).get("value", ""), ctx)
        for name, spec in (metadata.get("outputs") or {}).items()
    }
    return steps.result(action_outputs, caches)


@dataclass
class StepCall:
    """A `uses:` step as its handler sees it."""

    id: str
    uses: str
    with_values: dict[str, str]
    env: dict[str, str]
    output_file: Path
    path_file: Path
    summary_file: Path


class StepExecutor:
    """Runs a list of steps (a composite action's or a job's) the way the runner does."""

    def __init__(
        self,
        ctx: Contexts,
        job_env: dict[str, str],
        files: Path,
        *,
        workspace: Path,
        action_dir: Path | None,
        timeout: float,
        shell: str | None,
    ) -> None:
        self.ctx = ctx
        self.job_env = job_env
        self.files = files
        self.workspace = workspace
        self.action_dir = action_dir
        self.timeout = timeout
        self.default_shell = shell  # jobs default to bash; composite steps must name one
        self.records: list[StepRecord] = []
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.summaries: list[str] = []
        self.masks: list[str] = []
        self.annotations: list[dict[str, str]] = []
        self.extra_path: list[str] = []
        self.exported: dict[str, str] = {}
        self.returncode = 0

    def run(
        self, steps: list[dict[str, Any]], uses: Callable[[StepCall], tuple[int, str, str]]
    ) -> None:
        ctx = self.ctx
        for index, step in enumerate(steps):
            step_id = str(step.get("id") or f"__step{index}")
            kind = "run" if "run" in step else "uses"
            if not condition(step.get("if"), ctx):
                ctx.steps[step_id] = {"outputs": {}, "outcome": "skipped", "conclusion": "skipped"}
                self.records.append(StepRecord(step_id, kind, "skipped", 0, {}))
                continue
            step_env = dict(self.job_env)
            step_env.update(self.exported)
            if self.extra_path:
                step_env["PATH"] = os.pathsep.join([*reversed(self.extra_path), step_env["PATH"]])
            ctx.env = dict(step_env)
            for name, value in (step.get("env") or {}).items():
                step_env[str(name)] = interpolate(value, ctx)
            ctx.env = dict(step_env)
            tag = f"{len(list(self.files.glob('output-*')))}"
            output_file = self.files / f"output-{tag}"
            env_file = self.files / f"env-{tag}"
            path_file = self.files / f"path-{tag}"
            summary_file = self.files / f"summary-{tag}"
            for f in (output_file, env_file, path_file, summary_file):
                f.write_text("", encoding="utf-8")
            step_env.update(
                GITHUB_OUTPUT=str(output_file),
                GITHUB_ENV=str(env_file),
                GITHUB_PATH=str(path_file),
                GITHUB_STEP_SUMMARY=str(summary_file),
                GITHUB_ACTION=step_id,
            )
            if self.action_dir is not None:
                step_env["GITHUB_ACTION_PATH"] = str(self.action_dir)
            with_values = {str(k): interpolate(v, ctx) for k, v in (step.get("with") or {}).items()}
            if "run" in step:
                code, out, err = self._shell(step, step_id, tag, step_env)
            elif "uses" in step:
                call = StepCall(
                    step_id,
                    str(step["uses"]),
                    with_values,
                    step_env,
                    output_file,
                    path_file,
                    summary_file,
                )
                code, out, err = uses(call)
            else:
                raise ActionWiringError(f"step {step_id}: neither run nor uses")
            self._collect(out, err)
            outputs = parse_file_command(output_file)
            self.exported.update(parse_file_command(env_file))
            self.extra_path += [
                p for p in path_file.read_text(encoding="utf-8").splitlines() if p.strip()
            ]
            self.summaries.append(summary_file.read_text(encoding="utf-8"))
            failed = code != 0
            continue_on_error = interpolate(step.get("continue-on-error", False), ctx) == "true"
            outcome = "failure" if failed else "success"
            conclusion = "success" if failed and continue_on_error else outcome
            ctx.steps[step_id] = {"outputs": outputs, "outcome": outcome, "conclusion": conclusion}
            self.records.append(
                StepRecord(step_id, kind, outcome, code, outputs, with_values, dict(step_env))
            )
            if failed and not continue_on_error:
                ctx.status = "failure"
                self.returncode = self.returncode or code

    def _shell(
        self, step: dict[str, Any], step_id: str, tag: str, env: dict[str, str]
    ) -> tuple[int, str, str]:
        shell = step.get("shell") or self.default_shell
        if shell not in SHELLS:
            raise ActionWiringError(f"step {step_id}: composite run steps need a known shell")
        script_file = self.files / f"step-{tag}.sh"
        script_file.write_text(interpolate(step["run"], self.ctx), encoding="utf-8")
        argv = [part.replace("{0}", str(script_file)) for part in SHELLS[shell]]
        cwd = self.workspace
        if step.get("working-directory"):
            cwd = self.workspace / interpolate(step["working-directory"], self.ctx)
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    def _collect(self, out: str, err: str) -> None:
        self.stdout.append(out)
        self.stderr.append(err)
        for line in out.splitlines():
            match = _COMMAND.match(line)
            if not match:
                continue
            command, props, message = match.groups()
            if command == "add-mask":
                self.masks.append(message)
            elif command in {"error", "warning", "notice"}:
                entry = {"level": command, "message": message}
                for prop in (props or "").split(","):
                    if "=" in prop:
                        key, value = prop.split("=", 1)
                        entry[key] = value
                self.annotations.append(entry)

    def result(self, outputs: dict[str, str], caches: list[dict[str, str]]) -> ActionResult:
        return ActionResult(
            returncode=self.returncode,
            outputs=outputs,
            steps=self.records,
            stdout="".join(self.stdout),
            stderr="".join(self.stderr),
            summary="".join(self.summaries),
            masks=self.masks,
            annotations=self.annotations,
            caches=caches,
            env=self.exported,
        )


def _stand_in(
    uses: str,
    *,
    with_values: dict[str, str],
    env: dict[str, str],
    output_file: Path,
    path_file: Path,
    python: str | None,
    caches: list[dict[str, str]],
) -> tuple[int, str, str]:
    name = uses.split("@", 1)[0]
    if "@" not in uses or not re.fullmatch(r"[0-9a-f]{40}", uses.split("@", 1)[1]):
        raise ActionWiringError(f"{uses}: third-party actions must be pinned to a commit SHA")
    if name == "actions/setup-python":
        unknown = set(with_values) - SETUP_PYTHON_INPUTS
        if unknown:
            raise ActionWiringError(f"actions/setup-python has no input(s) {sorted(unknown)}")
        interpreter = python or base_interpreter()
        version = subprocess.run(
            [interpreter, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        with output_file.open("a", encoding="utf-8") as handle:
            handle.write(f"python-version={version}\npython-path={interpreter}\n")
        if with_values.get("update-environment", "true").lower() != "false":
            path_file.write_text(str(Path(interpreter).parent) + "\n", encoding="utf-8")
        return 0, f"stand-in setup-python: {interpreter} ({version})\n", ""
    cache_inputs = {
        "actions/cache": CACHE_INPUTS,
        "actions/cache/restore": CACHE_RESTORE_INPUTS,
        "actions/cache/save": CACHE_SAVE_INPUTS,
    }
    if name in cache_inputs:
        unknown = set(with_values) - cache_inputs[name]
        if unknown:
            raise ActionWiringError(f"{name} has no input(s) {sorted(unknown)}")
        if not with_values.get("path") or not with_values.get("key"):
            raise ActionWiringError(f"{name} needs a non-empty path and key")
        half = name.rpartition("/")[2] if name != "actions/cache" else "restore+save"
        caches.append({"path": with_values["path"], "key": with_values["key"], "op": half})
        if half == "save":
            return 0, f"stand-in cache: saved {with_values['key']}\n", ""
        with output_file.open("a", encoding="utf-8") as handle:
            handle.write("cache-hit=false\n")
        return 0, f"stand-in cache: miss for {with_values['key']}\n", ""
    if name == "astral-sh/setup-uv":
        unknown = set(with_values) - SETUP_UV_INPUTS
        if unknown:
            raise ActionWiringError(f"astral-sh/setup-uv has no input(s) {sorted(unknown)}")
        beside = Path(base_interpreter()).parent / "uv"
        dev = Path(sys.prefix) / "bin" / "uv"
        found = next((str(p) for p in (dev, beside) if p.exists()), shutil.which("uv"))
        if env.get("LUMEN_HARNESS_NO_UV") or not found:
            return 1, "", "stand-in setup-uv: no uv here\n"
        with output_file.open("a", encoding="utf-8") as handle:
            handle.write(f"uv-path={found}\nuv-version={with_values.get('version', '')}\n")
        return 0, f"stand-in setup-uv: {found}\n", ""
    raise ActionWiringError(f"no stand-in for {uses}")


def dev_venv() -> str:
    """The environment the tests run in, which has lumen-ci installed (editable)."""
    if not (Path(sys.prefix) / "bin" / "lumen").exists():
        raise RuntimeError(f"{sys.prefix} has no bin/lumen; run `make test` to set it up")
    return sys.prefix


Runner = Callable[..., ActionResult]


def make_runner(base: Path) -> Runner:
    """A `run_action` bound to a temp directory; each call gets its own work dir."""
    counter = iter(range(1_000_000))

    def run(
        action: str | Path,
        inputs: Mapping[str, Any] | None = None,
        *,
        fresh_venv: bool = False,
        **kwargs: Any,
    ) -> ActionResult:
        where = Path(action)
        if not where.is_absolute():
            where = ROOT if str(action) in {".", "umbrella"} else ROOT / "actions" / str(action)
        workdir = kwargs.pop("workdir", None) or Path(
            tempfile.mkdtemp(prefix=f"run{next(counter)}-", dir=base)
        )
        kwargs.setdefault("workspace", base / "workspace")
        kwargs.setdefault("action_venv", None if fresh_venv else dev_venv())
        return run_action(where, inputs, workdir=workdir, **kwargs)

    return run


def copy_action(name: str, dest: Path) -> Path:
    """A writable copy of a shipped action inside a copy of the scripts it calls
    (`dest/actions/NAME` and `dest/scripts`), for tests that break its wiring on purpose."""
    shutil.copytree(ROOT / "scripts", dest / "scripts")
    shutil.copytree(ROOT / "actions" / name, dest / "actions" / name)
    return dest / "actions" / name


def snapshot_repo(dest: Path) -> Path:
    """A copy of what a clone of the action's repository holds (sources, data, actions,
    scripts), frozen: the working tree may change while a test runs."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".venv")
    for name in (
        "lumen",
        "gates",
        "release",
        "policy",
        "workflows",
        "actions",
        "scripts",
        "requirements",
    ):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md", "action.yml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    return dest
