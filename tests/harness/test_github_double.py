"""The GitHub double: PyGithub round trips per resource family, pagination, request counting,
permissions, failure injection, and proof that the OpenAPI / GraphQL validation is live."""

from __future__ import annotations

import pytest
from github import Auth, Github

from harness.github_double import GitHubDouble

pytestmark = pytest.mark.github


def client(double: GitHubDouble, token: str | None = None, per_page: int = 30) -> Github:
    return Github(
        base_url=double.url, auth=Auth.Token(token or double.token), retry=None, per_page=per_page
    )


@pytest.fixture
def gh(github_double: GitHubDouble) -> Github:
    github_double.state.add_repo("octo-org/app")
    return client(github_double)


def test_repo_and_pulls_round_trip(github_double: GitHubDouble, gh: Github) -> None:
    st = github_double.state
    merged = st.add_pull("Add gate", labels=["feature"], merged_at="2024-03-01T10:00:00Z")
    st.add_pull("Open work", user="alice")
    repo = gh.get_repo("octo-org/app")
    assert repo.full_name == "octo-org/app"
    assert repo.default_branch == "main"
    closed = list(repo.get_pulls(state="closed"))
    assert [p.number for p in closed] == [merged.number]
    pr = repo.get_pull(merged.number)
    assert pr.merged is True
    assert pr.merged_at.isoformat() == "2024-03-01T10:00:00+00:00"
    assert [label.name for label in pr.labels] == ["feature"]
    assert pr.base.ref == "main"
    assert pr.merge_commit_sha in st.repo().commits
    open_prs = list(repo.get_pulls())
    assert [(p.number, p.user.login, p.merged_at) for p in open_prs] == [(2, "alice", None)]
