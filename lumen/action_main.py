"""What a composite action runs once its virtual environment is ready (`scripts/run-action.sh`).

    python -m lumen.action_main COMMAND       # a per-job action: flags from INPUT_* variables
    python -m lumen.action_main --umbrella    # the root action: INPUT_COMMAND + INPUT_ARGS

Around the `lumen` command itself it does the few things every action needs and the CLI should
not do on a developer's machine:

- masks secret-looking inputs (tokens, webhook URLs and secrets) before anything is printed;
- gives the command a result JSON path (`--json`) under RUNNER_TEMP when the user set none, so
  the `json` output always exists;
- keeps the run's stderr in a file (output `log`) and, when the run errored (exit 1), names its
  failure class as `lumen classify` does (gates.failure_class; output `failure-class`), for the
  nightly incident card;
- with `LUMEN_RETRY=true` (the action input `retry`), retries an errored run whose class the
  spec retries (`network`, `external_api`) after its delays (5 s, then 30 s: at most twice); a
  FAIL verdict (exit 2) and every other class are never retried.

Arguments never pass through a shell: each INPUT_* value becomes exactly one argv element.
Every other step output is the command's own: it writes what its `OUTPUTS` table declares
(lumen.outputs); this module writes only `RUN_OUTPUTS`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, TextIO

from lumen import actions_runtime as gha
from lumen import outputs

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|WEBHOOK|SLACK|DISCORD|API_KEY|AUTH")
# `python -m lumen.cli` would import lumen.cli twice (as __main__ and by the commands).
_LUMEN = "import sys; from lumen.cli import main; sys.exit(main())"


def mask_secrets(environ: Mapping[str, str], stream: TextIO | None = None) -> list[str]:
    """`::add-mask::` every non-empty input whose name looks secret; returns the names."""
    masked = []
    for name in sorted(environ):
        prefixed = name.startswith(("INPUT_", "LUMEN_")) and SECRET_NAME.search(name[6:])
        if prefixed or name == "GITHUB_TOKEN":
            value = environ[name]
            if value.strip():
                gha.mask(value, stream=stream)
                masked.append(name)
    return masked


def umbrella_argv(environ: Mapping[str, str]) -> list[str]:
    """`command` plus `args`, one argument per line, exactly as written (no shell, no globbing)."""
    command = environ.get("INPUT_COMMAND", "").strip()
    if not command:
        raise SystemExit("lumen action: the `command` input is required")
    args = [line.strip() for line in environ.get("INPUT_ARGS", "").splitlines()]
    return [*command.split(), *(arg for arg in args if arg)]


def json_path_in(argv: Sequence[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--json" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--json="):
            return arg.split("=", 1)[1]
    return None


def publish(kind: str, log: str, environ: Mapping[str, str]) -> None:
    """The outputs this module owns: `log`, and `failure-class` when the run errored."""
    values = {"log": log, **({"failure-class": kind} if kind else {})}
    outputs.publish(outputs.RUN_OUTPUTS, values, environ)


def _tee(source: IO[bytes], sink: IO[str], buffer: list[str]) -> None:
    for raw in iter(source.readline, b""):
        text = raw.decode("utf-8", "replace")
        buffer.append(text)
        sink.write(text)
        sink.flush()


def run_lumen(argv: Sequence[str], environ: Mapping[str, str]) -> tuple[int, str]:
    """Run `lumen ARGV` in a child interpreter; stderr is shown live and kept for classify."""
    sys.stdout.flush()
    # -P: the working directory (the user's workspace) stays off the child's import path.
    child = subprocess.Popen(
        [sys.executable, "-P", "-c", _LUMEN, *argv], env=dict(environ), stderr=subprocess.PIPE
    )
    assert child.stderr is not None
    kept: list[str] = []
    reader = threading.Thread(target=_tee, args=(child.stderr, sys.stderr, kept), daemon=True)
    reader.start()
    code = child.wait()
    reader.join()
    return code, "".join(kept)


def failure_class(log: str) -> tuple[str, bool]:
    """The class `lumen classify` gives a log, and whether the workflows retry it."""
    from gates.failure_class import classify

    result = classify(log)
    return result.failure_class, result.retryable


def retry_delays(environ: Mapping[str, str]) -> tuple[float, ...]:
    if environ.get("LUMEN_RETRY", "").strip().lower() not in {"1", "true", "yes", "on"}:
        return ()
    custom = environ.get("LUMEN_RETRY_DELAYS", "").strip()  # tests shorten the waits
    if custom:
        return tuple(float(part) for part in custom.split(",") if part.strip())[:2]
    from gates.failure_class import RETRY_DELAYS_S

    return tuple(float(delay) for delay in RETRY_DELAYS_S)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    if not arguments:
        print("usage: python -m lumen.action_main COMMAND | --umbrella", file=sys.stderr)
        return 1
    mask_secrets(env)
    command: str | None
    if arguments[0] == "--umbrella":
        lumen_argv = umbrella_argv(env)
        command = lumen_argv[0]
        json_path = json_path_in(lumen_argv)
    else:
        command = arguments[0]
        if not env.get("INPUT_JSON", "").strip():
            base = env.get("RUNNER_TEMP") or tempfile.gettempdir()
            Path(base).mkdir(parents=True, exist_ok=True)
            env["INPUT_JSON"] = tempfile.mkdtemp(prefix=f"lumen-{command}-", dir=base)
            env["INPUT_JSON"] += "/result.json"
        json_path = env.get("INPUT_JSON", "").strip() or None
        lumen_argv = ["--inputs-from-env", command, *arguments[1:]]
    delays = retry_delays(env)
    attempt = 0
    kind = ""
    logs: list[str] = []
    while True:
        code, log = run_lumen(lumen_argv, env)
        logs.append(log)
        kind, retryable = failure_class(log) if code == 1 else ("", False)
        if code != 1 or attempt >= len(delays):
            break
        if not retryable:
            print(f"lumen action: failure class {kind}; not retried", file=sys.stderr)
            break
        print(
            f"lumen action: failure class {kind}; retry {attempt + 1} of {len(delays)} "
            f"in {delays[attempt]:g}s",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(delays[attempt])
        attempt += 1
    publish(kind, _keep_log("".join(logs), command or "lumen", env), env)
    if code in (0, 2) and json_path and wants_comment(command, env):
        comment_on_pr(json_path, env)
    return code


# The gates whose actions report on the pull request (the `comment` input;
# docs/reference.md#actions-reporting). scripts/gen_actions.py gives exactly these actions that
# input.
GATE_COMMANDS = frozenset({"maturity", "roi", "slo", "policy", "integrated", "approval"})


def wants_comment(command: str | None, environ: Mapping[str, str]) -> bool:
    """The gate actions' `comment` input: `auto` means on pull_request events."""
    if command not in GATE_COMMANDS:
        return False
    choice = environ.get("LUMEN_COMMENT", "").strip().lower() or "false"
    if choice == "auto":
        return environ.get("GITHUB_EVENT_NAME", "") in {"pull_request", "pull_request_target"}
    return choice in {"1", "true", "yes", "on"}


def comment_on_pr(json_path: str, environ: Mapping[str, str]) -> int:
    """`lumen comment` on the gate's result: sticky comment, label and check run. Its outputs
    and summary are left out (the gate wrote its own); a failure here never changes the gate's
    exit code, it is reported as a warning."""
    if not os.path.exists(json_path):
        return 1
    child_env = {
        k: v
        for k, v in environ.items()
        if k not in {"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} and not k.startswith("INPUT_")
    }
    code, _ = run_lumen(["comment", "--result", json_path, "--exit-zero", "--quiet"], child_env)
    if code != 0:
        gha.annotate(
            "warning",
            "the PR comment could not be updated (see the log above)",
            title="lumen comment",
        )
    return code


def _keep_log(text: str, command: str, environ: Mapping[str, str]) -> str:
    """The run's stderr (every attempt) in a file, for `lumen classify` and incident cards."""
    base = environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    folder = tempfile.mkdtemp(prefix=f"lumen-{command}-log-", dir=base)
    path = Path(folder) / "stderr.log"
    path.write_text(text, encoding="utf-8")
    return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
