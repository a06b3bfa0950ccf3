"""Flipback on GitHub Deployments: a new deployment of the known-good ref with task `flipback`,
its statuses (in_progress, then success or failure) and the replaced deployment marked inactive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from gates.errors import SourceError, UsageError
from lumen.adapters.github.api import client, github_errors, split_repo
from lumen.flipback.platforms import Platform
from release.flipback import Outcome, Plan


@dataclass
class GitHubDeployments(Platform):
    repository: str = ""
    environment: str = ""
    service: str = ""
    _ids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = "github"
        if not self.repository:
            raise UsageError("--platform github needs --repository or GITHUB_REPOSITORY")
        if not self.environment:
            raise UsageError("--platform github needs --env (the GitHub environment)")
        split_repo(self.repository)

    def history(self) -> list[Outcome]:
        from gates.roi import classify_deployments
        from lumen.adapters.github.deploys import _Mapper, fetch_graphql

        owner, name = split_repo(self.repository)
        mapper = _Mapper(
            {"environments": {self.environment: self.environment}, "service": self.service or name},
            name,
        )
        deployments, _ = fetch_graphql(
            owner, name, start=datetime(1970, 1, 1, tzinfo=UTC), mapper=mapper
        )
        events = [
            e
            for e in classify_deployments(deployments)
            if e.env == mapper.env(self.environment)
            and (not self.service or e.service == self.service)
        ]
        out = []
        for event in events:
            ref = event.version
            if event.id:
                self._ids[ref] = int(event.id.rsplit("-", 1)[1])
            out.append(
                Outcome(
                    version=ref,
                    ts=event.ts.isoformat(),
                    action=event.action,
                    ok=event.ok,
                    commit=event.commit,
                    ref=event.commit or ref,
                )
            )
        return out

    def steps(self, plan: Plan) -> list[str]:
        ref = plan.target_outcome.ref if plan.target_outcome else plan.target
        return [
            f"POST /repos/{self.repository}/deployments ref={ref} task=flipback "
            f"environment={self.environment} auto_merge=false required_contexts=[]",
            "POST …/deployments/{id}/statuses state=in_progress, then success (or failure)",
            f"POST …/deployments/{{previous}}/statuses state=inactive "
            f"(the {plan.current} deployment)",
        ]

    def execute(self, plan: Plan) -> None:
        if plan.target_outcome is None:
            raise SourceError("nothing to deploy: the plan has no target")
        ref = plan.target_outcome.ref or plan.target_outcome.version
        gh = client()
        with github_errors(f"create the flipback deployment of {ref}", kind="deployment"):
            repo = gh.get_repo(self.repository)
            deployment = repo.create_deployment(
                ref=ref,
                task="flipback",
                auto_merge=False,
                required_contexts=[],
                environment=self.environment,
                payload={"service": self.service, "flipback_from": plan.current},
                description=f"lumen flipback from {plan.current} to {plan.target}",
                production_environment=self.environment in ("prod", "production"),
            )
            deployment.create_status("in_progress", description="lumen flipback in progress")
        try:
            with github_errors("complete the flipback deployment", kind="deployment"):
                deployment.create_status(
                    "success", description=f"flipped back to {plan.target}", auto_inactive=False
                )
                previous = self._ids.get(plan.current or "")
                if previous:
                    repo.get_deployment(previous).create_status(
                        "inactive", description=f"replaced by flipback to {plan.target}"
                    )
        except SourceError:
            with github_errors("mark the flipback deployment failed", kind="deployment"):
                deployment.create_status("failure", description="lumen flipback failed")
            raise
