"""Each platform reads its own state and history, names the exact commands a plan would run,
and runs them. Subprocess platforms call `helm`, `kubectl` and `argocd` from PATH with an
argument list (never a shell), each bounded by a timeout."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gates.errors import SourceError, UsageError
from release.flipback import Outcome, Plan

_ROLLBACK_DESCRIPTION = re.compile(r"^Rollback to (\d+)")


def run_tool(argv: Sequence[str], *, timeout_s: float, what: str) -> str:
    """Run one platform CLI; a missing tool, a timeout or a non-zero exit is a SourceError
    that says what was being done and shows the tool's own message."""
    if shutil.which(argv[0]) is None:
        raise SourceError(f"`{argv[0]}` is not on PATH; it is needed to {what}")
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise SourceError(
            f"`{' '.join(argv)}` timed out after {timeout_s:g}s while trying to {what}"
        ) from None
    if proc.returncode != 0:
        message = (proc.stderr or proc.stdout).strip().splitlines()
        detail = message[-1] if message else f"exit {proc.returncode}"
        raise SourceError(f"`{' '.join(argv)}` failed while trying to {what}: {detail}")
    return proc.stdout


def _json(text: str, argv: Sequence[str]) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise SourceError(f"`{' '.join(argv)}` did not print JSON") from None


@dataclass
class Platform:
    """Base: no history of its own (the deploy log is used) and nothing to run."""

    # Each platform command's bound: the flipback's `timeout` (policy/defaults/flipback.yml),
    # always given by the caller.
    timeout_s: float
    name: str = "none"

    def history(self) -> list[Outcome] | None:
        return None

    def steps(self, plan: Plan) -> list[str]:
        return ["record the flipback in the deploy log (platform none: nothing is changed)"]

    def execute(self, plan: Plan) -> None:
        return None


@dataclass
class Helm(Platform):
    release: str = ""
    namespace: str = "default"

    def __post_init__(self) -> None:
        self.name = "helm"
        if not self.release:
            raise UsageError("--platform helm needs --release NAME")

    def history(self) -> list[Outcome]:
        argv = ["helm", "history", self.release, "-n", self.namespace, "-o", "json", "--max", "256"]
        rows = _json(
            run_tool(argv, timeout_s=self.timeout_s, what=f"read the history of {self.release}"),
            argv,
        )
        out = []
        for row in sorted(rows, key=lambda r: int(r.get("revision", 0))):
            status = str(row.get("status", "")).lower()
            description = str(row.get("description", ""))
            version = str(
                row.get("app_version") or row.get("chart") or f"revision-{row.get('revision')}"
            )
            out.append(
                Outcome(
                    version=version,
                    ts=str(row.get("updated", "")),
                    action="rollback" if _ROLLBACK_DESCRIPTION.match(description) else "deploy",
                    ok=status in ("deployed", "superseded"),
                    ref=str(row.get("revision")),
                )
            )
        return out

    def _rollback(self, plan: Plan) -> list[str]:
        assert plan.target_outcome is not None and plan.target_outcome.ref
        return [
            "helm",
            "rollback",
            self.release,
            plan.target_outcome.ref,
            "-n",
            self.namespace,
            "--wait",
            "--timeout",
            f"{int(self.timeout_s)}s",
        ]

    def steps(self, plan: Plan) -> list[str]:
        return [" ".join(self._rollback(plan))]

    def execute(self, plan: Plan) -> None:
        run_tool(
            self._rollback(plan), timeout_s=self.timeout_s + 30, what=f"roll back {self.release}"
        )


@dataclass
class ArgoRollouts(Platform):
    rollout: str = ""
    namespace: str = "default"

    def __post_init__(self) -> None:
        self.name = "argo-rollouts"
        if not self.rollout:
            raise UsageError("--platform argo-rollouts needs --rollout NAME")

    def state(self) -> dict[str, Any]:
        argv = ["kubectl", "get", "rollout", self.rollout, "-n", self.namespace, "-o", "json"]
        data = _json(run_tool(argv, timeout_s=60, what=f"read the rollout {self.rollout}"), argv)
        return data if isinstance(data, dict) else {}

    def _commands(self, aborted: bool) -> list[list[str]]:
        base = ["kubectl", "argo", "rollouts"]
        cmds = [] if aborted else [[*base, "abort", self.rollout, "-n", self.namespace]]
        cmds.append([*base, "undo", self.rollout, "-n", self.namespace])
        return cmds

    def steps(self, plan: Plan) -> list[str]:
        aborted = bool(self.state().get("status", {}).get("abort"))
        return [" ".join(c) for c in self._commands(aborted)]

    def execute(self, plan: Plan) -> None:
        # Read first: an aborted rollout must not be aborted again, and `undo` is what flips.
        aborted = bool(self.state().get("status", {}).get("abort"))
        for argv in self._commands(aborted):
            run_tool(argv, timeout_s=self.timeout_s, what=f"flip back the rollout {self.rollout}")


@dataclass
class ArgoCD(Platform):
    app: str = ""

    def __post_init__(self) -> None:
        self.name = "argocd"
        if not self.app:
            raise UsageError("--platform argocd needs --app NAME")

    def _app(self) -> dict[str, Any]:
        argv = ["argocd", "app", "get", self.app, "-o", "json"]
        data = _json(run_tool(argv, timeout_s=60, what=f"read the Argo CD app {self.app}"), argv)
        return data if isinstance(data, dict) else {}

    def history(self) -> list[Outcome]:
        app = self._app()
        entries = sorted(
            (app.get("status") or {}).get("history") or [], key=lambda h: int(h.get("id", 0))
        )
        out: list[Outcome] = []
        seen: set[str] = set()
        previous: str | None = None
        for entry in entries:
            revision = str(entry.get("revision", ""))
            # A sync back to a revision deployed before a different one is a rollback.
            action = (
                "rollback" if revision in seen and previous not in (None, revision) else "deploy"
            )
            out.append(
                Outcome(
                    version=revision[:12] or f"id-{entry.get('id')}",
                    ts=str(entry.get("deployedAt", "")),
                    action=action,
                    ok=True,
                    commit=revision or None,
                    ref=str(entry.get("id")),
                )
            )
            seen.add(revision)
            previous = revision
        return out

    def _rollback(self, plan: Plan) -> list[str]:
        assert plan.target_outcome is not None and plan.target_outcome.ref
        return [
            "argocd",
            "app",
            "rollback",
            self.app,
            plan.target_outcome.ref,
            "--timeout",
            str(int(self.timeout_s)),
        ]

    def steps(self, plan: Plan) -> list[str]:
        return [" ".join(self._rollback(plan))]

    def execute(self, plan: Plan) -> None:
        # Read the app again right before acting: auto-sync may have been switched on since.
        if ((self._app().get("spec") or {}).get("syncPolicy") or {}).get("automated"):
            raise SourceError(
                f"Argo CD refuses to roll back {self.app} while auto-sync is on: turn it off "
                f"first (`argocd app set {self.app} --sync-policy none`), or revert in git"
            )
        run_tool(self._rollback(plan), timeout_s=self.timeout_s + 30, what=f"roll back {self.app}")
