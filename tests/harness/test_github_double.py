"""The GitHub double: PyGithub round trips per resource family, pagination, request counting,
permissions, failure injection, and proof that the OpenAPI / GraphQL validation is live."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests
from github import Auth, Github, GithubException
from hypothesis import given, settings
from hypothesis import strategies as st_

from harness.github_double import GitHubDouble
from harness.webhooks import webhook_events, webhook_example

pytestmark = pytest.mark.github

REPO = "octo-org/app"


def client(double: GitHubDouble, token: str | None = None, per_page: int = 30) -> Github:
    return Github(
        base_url=double.url,
        auth=Auth.Token(token or double.token),
        retry=None,
        per_page=per_page,
        seconds_between_requests=None,  # PyGithub throttles by default (0.25 s, writes 1 s)
        seconds_between_writes=None,
    )


def gql(double: GitHubDouble, query: str, token: str | None = None, **variables: object) -> dict:
    response = requests.post(
        double.graphql_url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"bearer {token or double.token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def gh(github_double: GitHubDouble) -> Github:
    github_double.state.add_repo(REPO)
    return client(github_double)


# -- resource families ------------------------------------------------------------------------


def test_repo_and_pulls_round_trip(github_double: GitHubDouble, gh: Github) -> None:
    st = github_double.state
    merged = st.add_pull("Add gate", labels=["feature"], merged_at="2024-03-01T10:00:00Z")
    st.add_pull("Open work", user="alice")
    repo = gh.get_repo(REPO)
    assert repo.full_name == REPO
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


def test_reviews_and_requested_reviewers(github_double: GitHubDouble, gh: Github) -> None:
    st = github_double.state
    st.add_team("octo-org", "releasers", ["carol"])
    pr = st.add_pull("Risky", requested_reviewers=["dave"], requested_teams=["releasers"])
    head = pr.pull.head_sha  # type: ignore[union-attr]
    st.add_review(pr.number, "alice", "APPROVED", commit_id="0" * 40)
    st.add_review(pr.number, "bob", "CHANGES_REQUESTED")
    st.add_review(pr.number, "carol", "COMMENTED")
    st.add_review(pr.number, "erin", "DISMISSED")
    pull = gh.get_repo(REPO).get_pull(pr.number)
    reviews = [(r.user.login, r.state, r.commit_id) for r in pull.get_reviews()]
    assert reviews == [
        ("alice", "APPROVED", "0" * 40),
        ("bob", "CHANGES_REQUESTED", head),
        ("carol", "COMMENTED", head),
        ("erin", "DISMISSED", head),
    ]
    users, teams = pull.get_review_requests()
    assert [u.login for u in users] == ["dave"]
    assert [t.slug for t in teams] == ["releasers"]


def test_issue_comments_and_labels(github_double: GitHubDouble, gh: Github) -> None:
    github_double.state.add_pull("Change", labels=["bug"])
    issue = gh.get_repo(REPO).get_issue(1)
    comment = issue.create_comment("<!-- lumen:roi -->\nFAIL")
    comment.edit("<!-- lumen:roi -->\nPASS")
    assert [c.body for c in issue.get_comments()] == ["<!-- lumen:roi -->\nPASS"]
    issue.add_to_labels("do-not-merge")
    issue.remove_from_labels("bug")
    assert [label.name for label in issue.get_labels()] == ["do-not-merge"]
    assert "do-not-merge" in [label.name for label in gh.get_repo(REPO).get_labels()]
    comment.delete()
    assert list(issue.get_comments()) == []
    with pytest.raises(GithubException) as err:
        issue.remove_from_labels("never-added")
    assert err.value.status == 404


def test_issues_filter_by_label_and_close(github_double: GitHubDouble, gh: Github) -> None:
    st = github_double.state
    st.add_issue("Outage", labels=["incident"])
    st.add_issue("Typo", labels=["docs"])
    repo = gh.get_repo(REPO)
    incidents = list(repo.get_issues(labels=["incident"]))
    assert [i.title for i in incidents] == ["Outage"]
    created = repo.create_issue("Nightly failed", body="details", labels=["incident"])
    created.edit(state="closed")
    assert repo.get_issue(created.number).state == "closed"
    assert [i.title for i in repo.get_issues(state="closed")] == ["Nightly failed"]


def test_check_runs_and_statuses(github_double: GitHubDouble, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    sha = github_double.state.resolve(github_double.state.repo(), "main")
    run = repo.create_check_run("lumen / roi", head_sha=sha, status="in_progress")
    run.edit(conclusion="failure", output={"title": "ROI FAIL", "summary": "rollback rate 0.4"})
    runs = list(repo.get_commit(sha).get_check_runs())
    assert [(r.name, r.status, r.conclusion, r.output.title) for r in runs] == [
        ("lumen / roi", "completed", "failure", "ROI FAIL")
    ]
    commit = repo.get_commit(sha)
    commit.create_status("pending", context="lumen/slo")
    commit.create_status("success", context="lumen/slo", description="ok")
    commit.create_status("success", context="lumen/roi")
    combined = commit.get_combined_status()
    assert combined.state == "success"
    assert sorted(s.context for s in combined.statuses) == ["lumen/roi", "lumen/slo"]
    commit.create_status("failure", context="lumen/roi")
    assert repo.get_commit(sha).get_combined_status().state == "failure"
    listed = requests.get(
        f"{github_double.url}/repos/{REPO}/commits/{sha}/statuses",
        headers={"Authorization": f"token {github_double.token}"},
        timeout=10,
    )
    assert [s["state"] for s in listed.json()] == ["failure", "success", "success", "pending"]
    # PyGithub's Commit.get_statuses() uses the legacy GET /statuses/{sha}, which GitHub's
    # description no longer documents: the double flags it.
    with pytest.raises(GithubException):
        list(commit.get_statuses())
    assert "GET /repos/octo-org/app/statuses/" in github_double.take_violations()[0]


def test_deployments_statuses_filters_and_inactive(github_double: GitHubDouble, gh: Github) -> None:
    repo = gh.get_repo(REPO)
    first = repo.create_deployment(ref="main", environment="production", required_contexts=[])
    first.create_status("success")
    second = repo.create_deployment(ref="main", environment="production", required_contexts=[])
    second.create_status("in_progress")
    second.create_status("success", environment_url="https://app.example")
    repo.create_deployment(ref="main", environment="staging", task="flipback", required_contexts=[])
    assert [s.state for s in first.get_statuses()] == ["inactive", "success"]  # newest first
    assert [s.state for s in second.get_statuses()] == ["success", "in_progress"]
    prod = list(repo.get_deployments(environment="production"))
    assert [d.id for d in prod] == [second.id, first.id]
    flipbacks = list(repo.get_deployments(task="flipback"))
    assert [(d.environment, d.task) for d in flipbacks] == [("staging", "flipback")]
    assert list(repo.get_deployments(sha="0" * 40)) == []


def test_releases_and_assets(github_double: GitHubDouble, gh: Github, tmp_path: Path) -> None:
    repo = gh.get_repo(REPO)
    release = repo.create_git_release("v1.2.0", "v1.2.0", "notes", draft=True)
    artifact = tmp_path / "sbom.cdx.json"
    artifact.write_text('{"bomFormat": "CycloneDX"}')
    asset = release.upload_asset(str(artifact), content_type="application/json")
    assert (asset.name, asset.size) == ("sbom.cdx.json", artifact.stat().st_size)
    downloaded = requests.get(asset.browser_download_url, timeout=10)
    assert downloaded.content == artifact.read_bytes()
    with pytest.raises(GithubException):
        repo.get_release("v1.2.0")  # drafts are not found by tag
    release.update_release("v1.2.0", "final notes", draft=False)
    published = repo.get_release("v1.2.0")
    assert (published.id, published.body, published.draft) == (release.id, "final notes", False)
    assert repo.get_latest_release().tag_name == "v1.2.0"
    assert [a.name for a in published.get_assets()] == ["sbom.cdx.json"]
    asset.delete_asset()
    assert list(repo.get_release(release.id).get_assets()) == []
    assert "v1.2.0" in [t.name for t in repo.get_tags()]
    published.delete_release()
    assert [r.id for r in repo.get_releases()] == []


def test_compare_tags_and_refs(github_double: GitHubDouble, gh: Github) -> None:
    st = github_double.state
    st.add_tag("v1.0.0")
    shas = [st.add_commit(f"feat: change {i}") for i in range(3)]
    repo = gh.get_repo(REPO)
    comparison = repo.compare("v1.0.0", "main")
    assert comparison.status == "ahead"
    assert comparison.ahead_by == 3
    assert [c.sha for c in comparison.commits] == shas  # oldest first, as GitHub
    assert comparison.commits[0].commit.message == "feat: change 0"
    ref = repo.create_git_ref("refs/tags/v1.1.0", shas[-1])
    assert ref.object.sha == shas[-1]
    assert repo.get_git_ref("tags/v1.1.0").object.sha == shas[-1]
    assert {t.name for t in repo.get_tags()} == {"v1.0.0", "v1.1.0"}
    assert repo.compare("v1.1.0", "v1.0.0").status == "behind"


def test_team_membership_and_users(github_double: GitHubDouble, gh: Github) -> None:
    github_double.state.add_team("octo-org", "releasers", {"alice": "maintainer", "bob": "member"})
    team = gh.get_organization("octo-org").get_team_by_slug("releasers")
    assert team.get_team_membership("alice").role == "maintainer"
    with pytest.raises(GithubException) as err:
        team.get_team_membership("mallory")
    assert err.value.status == 404
    assert sorted(m.login for m in team.get_members()) == ["alice", "bob"]
    assert gh.get_user("alice").login == "alice"
    assert gh.get_rate_limit().rate.limit == 5000


# -- pagination and counting -------------------------------------------------------------------


def test_pagination_link_headers_and_request_count(github_double: GitHubDouble) -> None:
    st = github_double.state
    st.add_repo(REPO)
    for _ in range(1000):
        st.add_deployment("production", state="success", created_at="2024-01-01T00:00:00Z")
    github_double.reset_log()
    repo = client(github_double, per_page=100).get_repo(REPO)
    deployments = list(repo.get_deployments(environment="production"))
    assert len(deployments) == 1000
    assert len({d.id for d in deployments}) == 1000
    assert github_double.count("GET", "/repos/*/deployments") == 10
    assert github_double.count() == 11  # + the repository itself
    first = github_double.requests[1]
    assert first.query == {"environment": "production", "per_page": "100"}


def test_per_page_is_capped_at_100(github_double: GitHubDouble) -> None:
    github_double.state.add_repo(REPO)
    for i in range(150):
        github_double.state.add_label(f"label-{i}")
    headers = {"Authorization": f"token {github_double.token}"}
    url = f"{github_double.url}/repos/{REPO}/labels?per_page=500"
    response = requests.get(url, headers=headers, timeout=10)
    assert len(response.json()) == 100
    assert 'rel="next"' in response.headers["Link"]
    assert "page=2" in response.links["next"]["url"]
    assert (
        len(requests.get(response.links["next"]["url"], headers=headers, timeout=10).json()) == 50
    )


# -- tokens, rate limits, failures -------------------------------------------------------------


def test_read_only_token_gets_403_on_writes(github_double: GitHubDouble, gh: Github) -> None:
    github_double.state.add_pull("From a fork")
    token = github_double.add_token("ghs_fork_read_only", write=False)
    issue = client(github_double, token).get_repo(REPO).get_issue(1)  # reads work
    with pytest.raises(GithubException) as err:
        issue.create_comment("hello")
    assert err.value.status == 403
    assert err.value.data["message"] == "Resource not accessible by integration"


def test_token_without_read_org(github_double: GitHubDouble, gh: Github) -> None:
    github_double.state.add_team("octo-org", "releasers", ["alice"])
    token = github_double.add_token("ghs_no_org", read_org=False, org_denied_status=404)
    url = f"{github_double.url}/orgs/octo-org/teams/releasers/memberships/alice"
    response = requests.get(url, headers={"Authorization": f"token {token}"}, timeout=10)
    assert response.status_code == 404
    no_token = requests.get(url, timeout=10)
    assert no_token.status_code == 401
    bad = requests.get(url, headers={"Authorization": "token nope"}, timeout=10)
    assert bad.json()["message"] == "Bad credentials"


def test_rate_limits_and_5xx_injection(github_double: GitHubDouble, gh: Github) -> None:
    url = f"{github_double.url}/repos/{REPO}"
    headers = {"Authorization": f"token {github_double.token}"}
    github_double.rate_limit(status=429, reset_in=30)
    limited = requests.get(url, headers=headers, timeout=10)
    assert limited.status_code == 429
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["x-ratelimit-reset"]) > 0
    github_double.secondary_rate_limit(retry_after=7)
    secondary = requests.get(url, headers=headers, timeout=10)
    assert (secondary.status_code, secondary.headers["retry-after"]) == (403, "7")
    assert "secondary rate limit" in secondary.json()["message"]
    github_double.fail(502, path="/repos/{owner}/{repo}", times=2)
    assert [requests.get(url, headers=headers, timeout=10).status_code for _ in range(3)] == [
        502,
        502,
        200,
    ]
    assert github_double.count("GET", "/repos/octo-org/app") == 5


# -- the contract is enforced ------------------------------------------------------------------


def test_response_not_matching_schema_is_a_violation(
    github_double: GitHubDouble, gh: Github
) -> None:
    github_double.state.add_pull("Change")
    github_double.corrupt(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}", lambda body: body.update(number="1")
    )
    gh.get_repo(REPO).get_pull(1)
    violations = github_double.take_violations()
    assert len(violations) == 1
    assert "GET /repos/{owner}/{repo}/pulls/{pull_number} -> 200" in violations[0]
    assert "'1' is not of type 'integer'" in violations[0]
    # a nullable field may be null, a non-nullable one may not
    github_double.corrupt("/repos/*/pulls/1", lambda body: body.update(merged_at=None))
    gh.get_repo(REPO).get_pull(1)
    assert github_double.take_violations() == []
    github_double.corrupt("/repos/*/pulls/1", lambda body: body.update(title=None))
    gh.get_repo(REPO).get_pull(1)
    assert "None for not nullable" in github_double.take_violations()[0]


def test_violation_fails_the_test_at_teardown(tmp_path: Path) -> None:
    (tmp_path / "test_garbage.py").write_text(
        textwrap.dedent(
            """
            import requests

            def test_sends_garbage(github_double):
                github_double.state.add_repo("octo-org/app")
                github_double.corrupt("/repos/*", lambda body: body.__delitem__("full_name"))
                requests.get(github_double.url + "/repos/octo-org/app",
                             headers={"Authorization": "token " + github_double.token})
            """
        )
    )
    here = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "harness.github", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{here}{os.pathsep}{here.parent}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "1 passed, 1 error" in out
    assert "GitHub contract violations (1)" in out
    assert "GET /repos/{owner}/{repo} -> 200: at <root>: 'full_name' is a required property" in out


def test_unknown_path_and_bad_request_are_violations(
    github_double: GitHubDouble, gh: Github
) -> None:
    headers = {"Authorization": f"token {github_double.token}"}
    unknown = requests.get(f"{github_double.url}/repos/{REPO}/deploys", headers=headers, timeout=10)
    assert unknown.status_code == 404
    wrong_method = requests.put(f"{github_double.url}/repos/{REPO}/deployments", headers=headers)
    assert wrong_method.status_code == 404
    bad_query = requests.get(
        f"{github_double.url}/repos/{REPO}/pulls?state=merged", headers=headers, timeout=10
    )
    assert bad_query.status_code == 422
    bad_body = requests.post(
        f"{github_double.url}/repos/{REPO}/deployments",
        json={"ref": 42},
        headers=headers,
        timeout=10,
    )
    assert bad_body.status_code == 422
    violations = github_double.take_violations()
    assert len(violations) == 4
    assert "GET /repos/octo-org/app/deploys: no such operation" in violations[0]
    assert "PUT /repos/octo-org/app/deployments: no such operation" in violations[1]
    assert "query parameter state='merged'" in violations[2]
    assert "42 is not of type 'string'" in violations[3]


# -- GraphQL -----------------------------------------------------------------------------------

MERGED = """
query($q: String!, $after: String) {
  search(type: ISSUE, query: $q, first: 100, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        number title url mergedAt
        author { login __typename }
        labels(first: 10) { nodes { name } }
        mergeCommit { oid }
      }
    }
  }
}
"""

DEPLOYMENTS = """
query($owner: String!, $name: String!, $envs: [String!], $after: String) {
  repository(owner: $owner, name: $name) {
    deployments(environments: $envs, first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId commitOid task environment createdAt state
        ref { name }
        creator { login }
        latestStatus { state createdAt }
        statuses(first: 5) { nodes { state createdAt } }
      }
    }
  }
}
"""


def test_graphql_search_merged_pull_requests(github_double: GitHubDouble) -> None:
    st = github_double.state
    st.add_repo(REPO)
    for i in range(500):
        st.add_pull(
            f"PR {i}",
            labels=["feature"] if i % 2 else [],
            merged_at=f"2024-01-{1 + i // 100:02d}T{i % 24:02d}:00:00Z",
            user="dependabot[bot]" if i == 3 else "alice",
        )
    st.add_pull("still open")
    github_double.reset_log()
    query = f"repo:{REPO} is:pr is:merged merged:>=2024-01-01T00:00:00Z"
    nodes, after = [], None
    while True:
        data = gql(github_double, MERGED, q=query, after=after)["data"]["search"]
        nodes += data["nodes"]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(nodes) == 500 and data["issueCount"] == 500
    assert github_double.count("POST", "/graphql") == 5
    bot = next(n for n in nodes if n["number"] == 4)
    assert bot["author"] == {"login": "dependabot", "__typename": "Bot"}
    assert bot["labels"]["nodes"] == [{"name": "feature"}]
    assert len(bot["mergeCommit"]["oid"]) == 40
    later = gql(github_double, MERGED, q=f"repo:{REPO} is:pr is:merged merged:>2024-01-05")
    assert later["data"]["search"]["issueCount"] == 0
    ranged = gql(github_double, MERGED, q=f"repo:{REPO} is:pr merged:2024-01-02..2024-01-03")
    assert ranged["data"]["search"]["issueCount"] == 200


def test_graphql_deployments_with_statuses(github_double: GitHubDouble) -> None:
    st = github_double.state
    st.add_repo(REPO)
    st.add_deployment("production", ref="main", statuses=[("in_progress", None), ("success", None)])
    st.add_deployment("production", ref="main", task="rollback", state="failure")
    st.add_deployment("staging", state="success")
    data = gql(github_double, DEPLOYMENTS, owner="octo-org", name="app", envs=["production"])
    deployments = data["data"]["repository"]["deployments"]
    assert deployments["totalCount"] == 2
    first, second = deployments["nodes"]
    assert (first["state"], first["latestStatus"]["state"], first["ref"]) == (
        "ACTIVE",
        "SUCCESS",
        {"name": "main"},
    )
    assert [s["state"] for s in first["statuses"]["nodes"]] == ["SUCCESS", "IN_PROGRESS"]
    assert (second["task"], second["state"]) == ("rollback", "FAILURE")


def test_graphql_unknown_field_and_limits_are_rejected(github_double: GitHubDouble) -> None:
    github_double.state.add_repo(REPO)
    bad = gql(github_double, '{ repository(owner: "octo-org", name: "app") { deploys { id } } }')
    assert "Cannot query field 'deploys' on type 'Repository'" in bad["errors"][0]["message"]
    assert "data" not in bad
    too_many = gql(
        github_double,
        '{ repository(owner: "octo-org", name: "app") { deployments(first: 101) { totalCount } } }',
    )
    assert "exceeds the `first` limit of 100" in too_many["errors"][0]["message"]
    unpaged = gql(
        github_double,
        '{ repository(owner: "octo-org", name: "app") { deployments { totalCount } } }',
    )
    assert "must provide a `first` or `last`" in unpaged["errors"][0]["message"]
    assert len(github_double.take_violations()) == 3
    missing = gql(github_double, '{ repository(owner: "octo-org", name: "gone") { id } }')
    assert missing["errors"][0]["type"] == "NOT_FOUND"  # what GitHub answers: not a violation
    assert github_double.violations == []


# -- webhooks and environment ------------------------------------------------------------------


def test_webhook_examples() -> None:
    assert {"pull_request", "deployment_status", "release", "push"} <= set(webhook_events())
    opened = webhook_example("pull_request", "opened")
    assert opened["action"] == "opened" and opened["pull_request"]["number"] > 0
    opened["number"] = -1
    assert webhook_example("pull_request", "opened")["number"] != -1  # a copy each time
    with pytest.raises(KeyError):
        webhook_example("pull_request", "no-such-action")


def test_github_env_matches_the_runner(github_env: GitHubDouble, github_event) -> None:  # type: ignore[no-untyped-def]
    assert os.environ["GITHUB_API_URL"] == github_env.url
    assert os.environ["GITHUB_GRAPHQL_URL"] == f"{github_env.url}/graphql"
    assert os.environ["GITHUB_REPOSITORY"] == REPO
    repo = github_env.state.repo()
    assert os.environ["GITHUB_SHA"] == github_env.state.resolve(repo, "main")
    payload = github_event("pull_request", "opened", number=7)
    assert Path(os.environ["GITHUB_EVENT_PATH"]).read_text().count('"number": 7') == 1
    assert payload["number"] == 7
    gh = Github(base_url=os.environ["GITHUB_API_URL"], auth=Auth.Token(os.environ["GITHUB_TOKEN"]))
    assert gh.get_repo(os.environ["GITHUB_REPOSITORY"]).id == repo.id


def test_workflow_runs_commits_and_issue_since(github_double: GitHubDouble, gh: Github) -> None:
    st = github_double.state
    old = st.add_commit("fix: old", date="2024-01-01T00:00:00Z")
    new = st.add_commit("feat: new", date="2024-02-01T00:00:00Z")
    st.add_check_run("tests", new, conclusion="failure")
    st.add_workflow_run("CI", head_sha=old, conclusion="success", created_at="2024-01-01T00:00:00Z")
    st.add_workflow_run("CI", head_sha=new, conclusion="failure", created_at="2024-02-01T00:00:00Z")
    st.add_issue("Pager went off", labels=["incident"], created_at="2024-02-02T00:00:00Z")
    repo = gh.get_repo(REPO)
    runs = list(repo.get_workflow_runs(created=">=2024-01-15"))
    assert [(r.head_sha, r.conclusion) for r in runs] == [(new, "failure")]
    from datetime import UTC, datetime

    since = datetime(2024, 1, 15, tzinfo=UTC)
    commits = list(repo.get_commits(since=since))
    assert [c.sha for c in commits] == [new]
    assert [(c.name, c.conclusion) for c in commits[0].get_check_runs()] == [("tests", "failure")]
    issues = list(repo.get_issues(state="all", labels=["incident"], since=since))
    assert [i.title for i in issues] == ["Pager went off"]


@pytest.mark.parametrize("github_double", [{"ghes": True}], indirect=True)
def test_enterprise_server_urls(github_double: GitHubDouble, tmp_path: Path) -> None:
    assert github_double.url.endswith("/api/v3")
    assert github_double.graphql_url.endswith("/api/graphql")
    st = github_double.state
    st.add_repo(REPO)
    for _ in range(3):
        st.add_deployment("production", state="success")
    repo = client(github_double, per_page=2).get_repo(REPO)
    assert len(list(repo.get_deployments())) == 3  # Link headers keep the /api/v3 prefix
    release = repo.create_git_release("v1", "v1", "")
    artifact = tmp_path / "a.txt"
    artifact.write_text("a")
    assert release.upload_asset(str(artifact)).name == "a.txt"
    query = (
        '{ repository(owner: "octo-org", name: "app") { deployments(first: 5) { totalCount } } }'
    )
    assert gql(github_double, query)["data"]["repository"]["deployments"]["totalCount"] == 3
    outside = requests.get(
        f"{github_double.origin}/repos/{REPO}",
        headers={"Authorization": f"token {github_double.token}"},
        timeout=10,
    )
    assert outside.status_code == 404
    assert "no such operation" in github_double.take_violations()[0]


def test_environment_reviews_and_collaborator_permission(
    github_double: GitHubDouble, gh: Github
) -> None:
    st = github_double.state
    st.add_team("octo-org", "releasers", ["carol"])
    run = st.add_workflow_run("deploy", status="waiting")
    st.add_pending_deployment(run.id, "production", ["alice", "team:releasers"])
    st.add_environment_approval(run.id, "bob", "approved", ["staging"], comment="lgtm")
    st.add_collaborator("alice", "maintain")
    headers = {"Authorization": f"token {github_double.token}"}
    base = f"{github_double.url}/repos/{REPO}"
    approvals = requests.get(f"{base}/actions/runs/{run.id}/approvals", headers=headers).json()
    assert [(a["user"]["login"], a["state"], a["environments"][0]["name"]) for a in approvals] == [
        ("bob", "approved", "staging")
    ]
    pending = requests.get(f"{base}/actions/runs/{run.id}/pending_deployments", headers=headers)
    reviewers = [
        (r["type"], r["reviewer"].get("login") or r["reviewer"]["slug"])
        for r in pending.json()[0]["reviewers"]
    ]
    assert reviewers == [("User", "alice"), ("Team", "releasers")]
    env_id = pending.json()[0]["environment"]["id"]
    approved = requests.post(
        f"{base}/actions/runs/{run.id}/pending_deployments",
        json={"environment_ids": [env_id], "state": "approved", "comment": "ship it"},
        headers=headers,
    )
    assert [d["environment"] for d in approved.json()] == ["production"]
    assert (
        requests.get(f"{base}/actions/runs/{run.id}/pending_deployments", headers=headers).json()
        == []
    )
    permission = gh.get_repo(REPO).get_collaborator_permission("alice")
    assert permission == "write"  # the legacy field; role_name carries "maintain"
    role = requests.get(f"{base}/collaborators/alice/permission", headers=headers).json()
    assert role["role_name"] == "maintain"


def test_request_budget_runs_out(github_double: GitHubDouble, gh: Github) -> None:
    github_double.state.add_pull("One")
    github_double.rate_limit_total = 2
    repo = gh.get_repo(REPO)
    assert repo.get_pull(1).number == 1
    with pytest.raises(GithubException) as err:
        repo.get_pull(1)
    assert err.value.status == 403
    assert err.value.headers["x-ratelimit-remaining"] == "0"


def test_rest_search_issues_shares_the_graphql_search(
    github_double: GitHubDouble, gh: Github
) -> None:
    st = github_double.state
    for day in range(1, 6):
        st.add_pull(f"PR {day}", merged_at=f"2024-01-0{day}T12:00:00Z", labels=["fix"])
    st.add_issue("An incident", labels=["incident"])
    found = gh.search_issues("is:pr is:merged merged:>=2024-01-03", repo=REPO)
    assert found.totalCount == 3
    assert sorted(i.number for i in found) == [3, 4, 5]
    assert [i.title for i in gh.search_issues("is:issue label:incident", repo=REPO)] == [
        "An incident"
    ]
    headers = {"Authorization": f"token {github_double.token}"}
    unknown = requests.get(
        f"{github_double.url}/search/issues?q=repo:{REPO}+reactions:>5", headers=headers, timeout=10
    )
    assert unknown.status_code == 422  # an unmodelled qualifier never silently matches all


def test_graphql_pull_requests_connection_and_team_members(github_double: GitHubDouble) -> None:
    st = github_double.state
    st.add_repo(REPO)
    st.add_pull("first", merged_at="2024-01-01T00:00:00Z")
    st.add_pull("open")
    st.add_pull("second", merged_at="2024-01-02T00:00:00Z", labels=["fix"])
    st.add_review(3, "alice", "APPROVED")
    st.add_team("octo-org", "releasers", ["alice", "bob"])
    query = """
    query($after: String) {
      repository(owner: "octo-org", name: "app") {
        pullRequests(states: MERGED, first: 1, after: $after,
                     orderBy: {field: CREATED_AT, direction: DESC}) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { cursor node { number state mergedAt reviews(first: 5) { nodes { state author { login } } } } }
        }
      }
      organization(login: "octo-org") { team(slug: "releasers") { members(first: 10) { nodes { login } } } }
    }
    """
    data = gql(github_double, query)["data"]
    prs = data["repository"]["pullRequests"]
    assert prs["totalCount"] == 2 and prs["pageInfo"]["hasNextPage"] is True
    node = prs["edges"][0]["node"]
    assert (node["number"], node["state"], node["mergedAt"]) == (
        3,
        "MERGED",
        "2024-01-02T00:00:00Z",
    )
    assert node["reviews"]["nodes"] == [{"state": "APPROVED", "author": {"login": "alice"}}]
    after = prs["pageInfo"]["endCursor"]
    rest = gql(github_double, query, after=after)["data"]["repository"]["pullRequests"]
    assert [e["node"]["number"] for e in rest["edges"]] == [1]
    assert rest["pageInfo"]["hasNextPage"] is False
    members = data["organization"]["team"]["members"]["nodes"]
    assert [m["login"] for m in members] == ["alice", "bob"]
    no_org = github_double.add_token("ghs_no_org", read_org=False)
    denied = gql(github_double, query, token=no_org)
    assert denied["errors"][0]["type"] == "FORBIDDEN"


@settings(max_examples=20, deadline=None)
@given(count=st_.integers(min_value=0, max_value=120), per_page=st_.integers(1, 100))
def test_link_pagination_visits_every_item_once(count: int, per_page: int) -> None:
    with GitHubDouble() as double:
        double.state.add_repo(REPO)
        for i in range(count):
            double.state.add_label(f"l{i:03d}")
        headers = {"Authorization": f"token {double.token}"}
        url: str | None = f"{double.url}/repos/{REPO}/labels?per_page={per_page}"
        seen: list[str] = []
        while url:
            response = requests.get(url, headers=headers, timeout=10)
            seen += [label["name"] for label in response.json()]
            url = response.links.get("next", {}).get("url")
        assert seen == [f"l{i:03d}" for i in range(count)]
        assert double.count() == max(1, -(-count // per_page))
        assert double.violations == []


def test_graphql_mutation_with_read_only_token_is_forbidden(github_double: GitHubDouble) -> None:
    github_double.state.add_repo(REPO)
    read_only = github_double.add_token("ghs_ro", write=False)
    mutation = 'mutation { addComment(input: {subjectId: "I_1", body: "x"}) { clientMutationId } }'
    denied = gql(github_double, mutation, token=read_only)
    assert denied["errors"][0] == {
        "type": "FORBIDDEN",
        "message": "Resource not accessible by integration",
    }
