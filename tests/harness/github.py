"""pytest fixtures for the GitHub double (see `harness.github_double` for the design).

    def test_comment(github_double, github_env):
        github_double.state.add_pull("Fix", labels=["bug"])
        gh = Github(base_url=github_double.url, auth=Auth.Token(github_double.token), retry=None)
        gh.get_repo("octo-org/app").get_issue(1).create_comment("hi")
        assert github_double.count("POST") == 1

`github_double`: a started double with a fresh state per test, seeded with nothing (add a repo
first: `github_double.state.add_repo("octo-org/app")`). Contract violations recorded during the
test fail it at teardown. `github_env`: the same double plus the environment the Actions runner
sets (GITHUB_API_URL, GITHUB_GRAPHQL_URL, GITHUB_SERVER_URL, GITHUB_TOKEN, GITHUB_REPOSITORY,
GITHUB_SHA, GITHUB_REF, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH) for the repository `octo-org/app`,
which it seeds; returns the double.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.github_double import GitHubDouble
from harness.openapi_validate import contract
from harness.webhooks import github_event, webhook_example

__all__ = ["github_double", "github_env", "github_event"]

ENV_REPOSITORY = "octo-org/app"


@pytest.fixture(scope="session")
def github_contract() -> object:
    """GitHub's OpenAPI description, loaded once per process (xdist worker)."""
    return contract()


@pytest.fixture
def github_double(
    github_contract: object, request: pytest.FixtureRequest
) -> Iterator[GitHubDouble]:
    """Options by indirect parametrization, e.g. GitHub Enterprise Server URLs:
    `@pytest.mark.parametrize("github_double", [{"ghes": True}], indirect=True)`."""
    options = getattr(request, "param", None) or {}
    double = GitHubDouble(**options).start()
    try:
        yield double
    finally:
        double.stop()
    if double.violations:
        listed = "\n  ".join(double.violations)
        pytest.fail(
            f"GitHub contract violations ({len(double.violations)}):\n  {listed}", pytrace=False
        )


@pytest.fixture
def github_env(
    github_double: GitHubDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> GitHubDouble:
    repo = github_double.state.add_repo(ENV_REPOSITORY)
    sha = github_double.state.resolve(repo, repo.default_branch)
    event_path = tmp_path / "github-event.json"
    payload = webhook_example("push")
    payload.update(after=sha, ref=f"refs/heads/{repo.default_branch}")
    event_path.write_text(json.dumps(payload), encoding="utf-8")
    env = {
        "GITHUB_API_URL": github_double.url,
        "GITHUB_GRAPHQL_URL": github_double.graphql_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_TOKEN": github_double.token,
        "GITHUB_REPOSITORY": ENV_REPOSITORY,
        "GITHUB_REPOSITORY_OWNER": repo.owner,
        "GITHUB_SHA": sha,
        "GITHUB_REF": f"refs/heads/{repo.default_branch}",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": str(event_path),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return github_double
