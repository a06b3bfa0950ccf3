"""REST handlers of the GitHub double, keyed by GitHub's own OpenAPI operation templates.

Each handler reads/mutates `double.state` and returns a `Resp`; `github_double` validates the
request before and the response after. Semantics follow GitHub's documentation: list orders,
default filters, 201/204 statuses, 404/422 bodies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import urllib.parse
from typing import Any

from harness import github_state as gs
from harness.github_double import ApiError, GitHubDouble, Req, Resp, node_id, route
from harness.github_state import NotFoundError, to_dt

R = "/repos/{owner}/{repo}"


def _repo(d: GitHubDouble, req: Req) -> gs.Repo:
    r = d.state.find_repo(req.params["owner"], req.params["repo"])
    if r is None:
        raise NotFoundError(req.path)
    return r


def _int(req: Req, name: str) -> int:
    try:
        return int(req.params[name])
    except ValueError as err:
        raise NotFoundError(name) from err


def _body(req: Req) -> dict[str, Any]:
    return req.body if isinstance(req.body, dict) else {}


def _invalid(resource: str, field: str, code: str = "invalid", message: str = "") -> ApiError:
    error = {"resource": resource, "field": field, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", [error])


def _resolve(d: GitHubDouble, r: gs.Repo, ref: str) -> str:
    try:
        return d.state.resolve(r, ref)
    except NotFoundError as err:
        raise ApiError(422, f"No commit found for SHA: {ref}") from err


# -- meta, users, orgs, teams ------------------------------------------------------------------


@route("GET /rate_limit")
def rate_limit(d: GitHubDouble, req: Req) -> Resp:
    used = len(d.requests)
    reset = int(d.state.now().timestamp()) + 3600
    core = {"limit": d.rate_limit_total, "remaining": d.rate_limit_total - used, "reset": reset}
    core["used"] = used
    search = {"limit": 30, "remaining": 30, "reset": reset, "used": 0}
    graphql = {"limit": 5000, "remaining": 5000, "reset": reset, "used": 0}
    return Resp(
        200, {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}
    )


@route("GET /users/{username}")
def get_user(d: GitHubDouble, req: Req) -> Resp:
    if req.params["username"].lower() not in d.state.users:
        raise NotFoundError(req.params["username"])
    return Resp(200, d.user(req.params["username"], "public-user"))


@route("GET /user")
def get_authenticated_user(d: GitHubDouble, req: Req) -> Resp:
    return Resp(200, d.user(req.policy.login, "private-user"))


@route("GET /orgs/{org}")
def get_org(d: GitHubDouble, req: Req) -> Resp:
    return Resp(200, d.org_obj(req.params["org"]))


@route("GET /orgs/{org}/teams")
def list_teams(d: GitHubDouble, req: Req) -> Resp:
    org = req.params["org"].lower()
    d.org_obj(req.params["org"])
    teams = [t for (o, _), t in sorted(d.state.teams.items()) if o == org]
    resp = Resp()
    resp.body = [d.team_obj(t) for t in d.page(req, teams, resp)]
    return resp


@route("GET /orgs/{org}/teams/{team_slug}")
def get_team(d: GitHubDouble, req: Req) -> Resp:
    return Resp(200, d.team_obj(d._team(req.params["org"], req.params["team_slug"]), "team-full"))


@route("GET /orgs/{org}/teams/{team_slug}/members")
def list_team_members(d: GitHubDouble, req: Req) -> Resp:
    team = d._team(req.params["org"], req.params["team_slug"])
    role = req.query.get("role", "all")
    members = [u for u, r in team.members.items() if role in ("all", r)]
    resp = Resp()
    resp.body = [d.user(u) for u in d.page(req, members, resp)]
    return resp


@route("GET /orgs/{org}/teams/{team_slug}/memberships/{username}")
def get_team_membership(d: GitHubDouble, req: Req) -> Resp:
    team = d._team(req.params["org"], req.params["team_slug"])
    user = req.params["username"]
    role = next((r for u, r in team.members.items() if u.lower() == user.lower()), None)
    if role is None:
        raise NotFoundError(user)
    url = d.api(f"/orgs/{team.org}/teams/{team.slug}/memberships/{user}")
    return Resp(200, {"url": url, "role": role, "state": "active"})


@route("GET /orgs/{org}/members/{username}")
def check_org_member(d: GitHubDouble, req: Req) -> Resp:
    org = req.params["org"].lower()
    user = req.params["username"].lower()
    for (o, _), team in d.state.teams.items():
        if o == org and user in (m.lower() for m in team.members):
            return Resp(204)
    raise NotFoundError(user)


# -- repositories, commits, refs, tags -----------------------------------------------------------


@route(f"GET {R}")
def get_repo(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    out = d.repo_obj(r, "full-repository")
    out.update(network_count=0, subscribers_count=0)
    return Resp(200, out)


@route(f"GET {R}/commits/{{ref}}")
def get_commit(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.commit_obj(r, _resolve(d, r, req.params["ref"])))


@route(f"GET {R}/commits")
def list_commits(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    head = _resolve(d, r, req.query.get("sha") or r.default_branch)
    commits = [r.commits[s] for s in d.state.ancestors(r, head)]
    since, until = to_dt(req.query.get("since")), to_dt(req.query.get("until"))
    author = req.query.get("author")
    commits = [
        c
        for c in commits
        if (since is None or c.date >= since)
        and (until is None or c.date <= until)
        and (author is None or c.author.lower() == author.lower())
    ]
    commits.sort(key=lambda c: c.date, reverse=True)
    resp = Resp()
    resp.body = [d.commit_obj(r, c.sha) for c in d.page(req, commits, resp)]
    return resp


@route(f"GET {R}/commits/{{commit_sha}}/pulls")
def list_pulls_for_commit(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    sha = _resolve(d, r, req.params["commit_sha"])
    pulls = [
        i
        for i in r.pulls
        if i.pull and (sha in (i.pull.merge_commit_sha, i.pull.head_sha) or sha in i.pull.commits)
    ]
    resp = Resp()
    resp.body = [d.pull_obj(r, i, full=False) for i in d.page(req, pulls, resp)]
    return resp


@route(f"GET {R}/compare/{{basehead}}")
def compare(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    basehead = req.params["basehead"]
    if "..." in basehead:
        base_ref, head_ref = basehead.split("...", 1)
    elif ".." in basehead:
        base_ref, head_ref = basehead.split("..", 1)
    else:
        raise NotFoundError(basehead)
    try:
        base, head = d.state.resolve(r, base_ref), d.state.resolve(r, head_ref)
    except NotFoundError as err:
        raise NotFoundError(basehead) from err
    above_base = d.state.ancestors(r, base)
    above_head = d.state.ancestors(r, head)
    ahead = [r.commits[s] for s in above_head - above_base]
    behind = above_base - above_head
    ahead.sort(key=lambda c: (c.date, c.sha))  # GitHub lists them oldest first
    merge_base = max(
        (r.commits[s] for s in above_base & above_head),
        key=lambda c: (c.date, c.sha),
        default=r.commits[base],
    )
    status = (
        "identical"
        if not ahead and not behind
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )
    resp = Resp()
    page = d.page(req, ahead, resp)
    compare_url = d.api(f"/repos/{r.full_name}/compare/{basehead}")
    resp.body = {
        "url": compare_url,
        "html_url": f"https://github.com/{r.full_name}/compare/{basehead}",
        "permalink_url": f"https://github.com/{r.full_name}/compare/{base}...{head}",
        "diff_url": f"https://github.com/{r.full_name}/compare/{basehead}.diff",
        "patch_url": f"https://github.com/{r.full_name}/compare/{basehead}.patch",
        "base_commit": d.commit_obj(r, base),
        "merge_base_commit": d.commit_obj(r, merge_base.sha),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [d.commit_obj(r, c.sha) for c in page],
        "files": [],
    }
    return resp


@route(f"GET {R}/tags")
def list_tags(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    names = [k.removeprefix("tags/") for k in r.refs if k.startswith("tags/")][::-1]
    resp = Resp()
    resp.body = [
        {
            "name": n,
            "node_id": d.ref_obj(r, f"tags/{n}")["node_id"],
            "commit": {
                "sha": r.refs[f"tags/{n}"],
                "url": d.api(f"/repos/{r.full_name}/commits/{r.refs[f'tags/{n}']}"),
            },
            "zipball_url": d.api(f"/repos/{r.full_name}/zipball/refs/tags/{n}"),
            "tarball_url": d.api(f"/repos/{r.full_name}/tarball/refs/tags/{n}"),
        }
        for n in d.page(req, names, resp)
    ]
    return resp


@route(f"GET {R}/git/ref/{{ref}}")
def get_ref(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    name = req.params["ref"].removeprefix("refs/")
    if name not in r.refs:
        raise NotFoundError(name)
    return Resp(200, d.ref_obj(r, name))


@route(f"GET {R}/git/matching-refs/{{ref}}")
def matching_refs(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    prefix = req.params["ref"].removeprefix("refs/")
    return Resp(200, [d.ref_obj(r, n) for n in sorted(r.refs) if n.startswith(prefix)])


@route(f"POST {R}/git/refs")
def create_ref(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    body = _body(req)
    ref = str(body["ref"])
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must start with 'refs/' and have at least two slashes.")
    name = ref.removeprefix("refs/")
    if name in r.refs:
        raise ApiError(422, "Reference already exists")
    sha = str(body["sha"])
    if sha not in r.commits:
        raise ApiError(422, "Object does not exist")
    r.refs[name] = sha
    return Resp(201, d.ref_obj(r, name), {"Location": d.api(f"/repos/{r.full_name}/git/{ref}")})


@route(f"PATCH {R}/git/refs/{{ref}}")
def update_ref(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    name = req.params["ref"].removeprefix("refs/")
    if name not in r.refs:
        raise ApiError(422, "Reference does not exist")
    sha = str(_body(req)["sha"])
    if sha not in r.commits:
        raise ApiError(422, "Object does not exist")
    force = bool(_body(req).get("force"))
    if not force and r.refs[name] not in d.state.ancestors(r, sha):
        raise ApiError(422, "Update is not a fast forward")
    r.refs[name] = sha
    return Resp(200, d.ref_obj(r, name))


@route(f"DELETE {R}/git/refs/{{ref}}")
def delete_ref(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    name = req.params["ref"].removeprefix("refs/")
    if name not in r.refs:
        raise ApiError(422, "Reference does not exist")
    del r.refs[name]
    return Resp(204)


# -- issues, comments, labels ------------------------------------------------------------------


def _issue(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.Issue:
    issue = r.issues.get(_int(req, "issue_number"))
    if issue is None:
        raise NotFoundError(req.path)
    return issue


@route(f"GET {R}/issues")
def list_issues(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    state = req.query.get("state", "open")
    wanted = {n.strip().lower() for n in req.query.get("labels", "").split(",") if n.strip()}
    since = to_dt(req.query.get("since"))
    creator = req.query.get("creator")
    issues = [
        i
        for i in r.issues.values()
        if state in ("all", i.state)
        and wanted <= {n.lower() for n in i.labels}
        and (since is None or (i.updated_at or i.created_at) >= since)
        and (creator is None or i.user.lower() == creator.lower())
    ]
    key = req.query.get("sort", "created")
    issues.sort(
        key=lambda i: (i.updated_at or i.created_at) if key == "updated" else i.created_at,
        reverse=req.query.get("direction", "desc") == "desc",
    )
    resp = Resp()
    resp.body = [d.issue_obj(r, i) for i in d.page(req, issues, resp)]
    return resp


@route(f"POST {R}/issues")
def create_issue(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    body = _body(req)
    issue = d.state.add_issue(
        str(body["title"]),
        repo=r,
        user=req.policy.login,
        body=body.get("body"),
        labels=[x if isinstance(x, str) else x["name"] for x in body.get("labels", [])],
        assignees=body.get("assignees", []),
    )
    return Resp(201, d.issue_obj(r, issue))


@route(f"GET {R}/issues/{{issue_number}}")
def get_issue(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.issue_obj(r, _issue(d, req, r)))


@route(f"PATCH {R}/issues/{{issue_number}}")
def update_issue(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _issue(d, req, r)
    body = _body(req)
    now = d.state.now()
    if "title" in body:
        issue.title = str(body["title"])
    if "body" in body:
        issue.body = body["body"]
    if "state" in body and body["state"] != issue.state:
        issue.state = body["state"]
        issue.closed_at = now if issue.state == "closed" else None
        issue.state_reason = body.get("state_reason") or (
            "completed" if issue.state == "closed" else "reopened"
        )
    if "labels" in body:
        names = [x if isinstance(x, str) else x["name"] for x in body["labels"]]
        issue.labels = [d.state.add_label(n, repo=r).name for n in names]
    if "assignees" in body:
        issue.assignees = list(body["assignees"])
    issue.updated_at = now
    return Resp(200, d.issue_obj(r, issue))


@route(f"GET {R}/issues/{{issue_number}}/comments")
def list_issue_comments(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _issue(d, req, r)
    since = to_dt(req.query.get("since"))
    comments = [
        c
        for c in r.comments.values()
        if c.issue_number == issue.number and (since is None or c.updated_at >= since)
    ]
    resp = Resp()
    resp.body = [d.comment_obj(r, c) for c in d.page(req, comments, resp)]
    return resp


@route(f"GET {R}/issues/comments")
def list_repo_comments(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    resp = Resp()
    resp.body = [d.comment_obj(r, c) for c in d.page(req, list(r.comments.values()), resp)]
    return resp


@route(f"POST {R}/issues/{{issue_number}}/comments")
def create_comment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _issue(d, req, r)
    comment = d.state.add_comment(
        issue.number, str(_body(req)["body"]), repo=r, user=req.policy.login
    )
    issue.updated_at = comment.created_at
    return Resp(201, d.comment_obj(r, comment))


def _comment(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.Comment:
    comment = r.comments.get(_int(req, "comment_id"))
    if comment is None:
        raise NotFoundError(req.path)
    return comment


@route(f"GET {R}/issues/comments/{{comment_id}}")
def get_comment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.comment_obj(r, _comment(d, req, r)))


@route(f"PATCH {R}/issues/comments/{{comment_id}}")
def update_comment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    comment = _comment(d, req, r)
    comment.body = str(_body(req)["body"])
    comment.updated_at = d.state.now()
    return Resp(200, d.comment_obj(r, comment))


@route(f"DELETE {R}/issues/comments/{{comment_id}}")
def delete_comment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    del r.comments[_comment(d, req, r).id]
    return Resp(204)


@route(f"GET {R}/labels")
def list_labels(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    resp = Resp()
    names = [label.name for label in r.labels.values()]
    resp.body = [d.label_obj(r, n) for n in d.page(req, names, resp)]
    return resp


@route(f"POST {R}/labels")
def create_label(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    body = _body(req)
    name = str(body["name"])
    if name.lower() in r.labels:
        raise _invalid("Label", "name", "already_exists")
    d.state.add_label(
        name, repo=r, color=str(body.get("color", "ededed")), description=body.get("description")
    )
    return Resp(201, d.label_obj(r, name))


@route(f"GET {R}/labels/{{name}}")
def get_label(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    if req.params["name"].lower() not in r.labels:
        raise NotFoundError(req.params["name"])
    return Resp(200, d.label_obj(r, req.params["name"]))


@route(f"PATCH {R}/labels/{{name}}")
def update_label(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    label = r.labels.get(req.params["name"].lower())
    if label is None:
        raise NotFoundError(req.params["name"])
    body = _body(req)
    if "new_name" in body:
        old = label.name
        del r.labels[old.lower()]
        label.name = str(body["new_name"])
        r.labels[label.name.lower()] = label
        for issue in r.issues.values():
            issue.labels = [label.name if n == old else n for n in issue.labels]
    label.color = str(body.get("color", label.color))
    label.description = body.get("description", label.description)
    return Resp(200, d.label_obj(r, label.name))


@route(f"DELETE {R}/labels/{{name}}")
def delete_label(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    label = r.labels.pop(req.params["name"].lower(), None)
    if label is None:
        raise NotFoundError(req.params["name"])
    for issue in r.issues.values():
        issue.labels = [n for n in issue.labels if n != label.name]
    return Resp(204)


def _label_names(body: Any) -> list[str]:
    if isinstance(body, dict):
        body = body.get("labels", [])
    if isinstance(body, str):
        body = [body]
    return [x if isinstance(x, str) else str(x["name"]) for x in body or []]


@route(f"GET {R}/issues/{{issue_number}}/labels")
def list_issue_labels(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _issue(d, req, r)
    resp = Resp()
    resp.body = [d.label_obj(r, n) for n in d.page(req, issue.labels, resp)]
    return resp


@route(f"POST {R}/issues/{{issue_number}}/labels", f"PUT {R}/issues/{{issue_number}}/labels")
def add_issue_labels(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _issue(d, req, r)
    names = [d.state.add_label(n, repo=r).name for n in _label_names(req.body)]
    if req.method == "PUT":
        issue.labels = []
    for name in names:
        if name.lower() not in {n.lower() for n in issue.labels}:
            issue.labels.append(name)
    issue.updated_at = d.state.now()
    return Resp(200, [d.label_obj(r, n) for n in issue.labels])


@route(f"DELETE {R}/issues/{{issue_number}}/labels/{{name}}")
def remove_issue_label(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _issue(d, req, r)
    name = req.params["name"]
    if name.lower() not in {n.lower() for n in issue.labels}:
        raise ApiError(404, "Label does not exist")
    issue.labels = [n for n in issue.labels if n.lower() != name.lower()]
    issue.updated_at = d.state.now()
    return Resp(200, [d.label_obj(r, n) for n in issue.labels])


@route(f"DELETE {R}/issues/{{issue_number}}/labels")
def clear_issue_labels(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    _issue(d, req, r).labels = []
    return Resp(204)


# -- pull requests and reviews -----------------------------------------------------------------


def _pull(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.Issue:
    issue = r.issues.get(_int(req, "pull_number"))
    if issue is None or issue.pull is None:
        raise NotFoundError(req.path)
    return issue


@route(f"GET {R}/pulls")
def list_pulls(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    state = req.query.get("state", "open")
    base = req.query.get("base")
    head = req.query.get("head")
    pulls = [
        i
        for i in r.pulls
        if i.pull
        and state in ("all", i.state)
        and (base is None or i.pull.base_ref == base)
        and (head is None or head in (f"{r.owner}:{i.pull.head_ref}", i.pull.head_ref))
    ]
    key = req.query.get("sort", "created")
    default_direction = "desc" if key in ("created", "updated") else "asc"
    pulls.sort(
        key=lambda i: (i.updated_at or i.created_at) if key == "updated" else i.created_at,
        reverse=req.query.get("direction", default_direction) == "desc",
    )
    resp = Resp()
    resp.body = [d.pull_obj(r, i, full=False) for i in d.page(req, pulls, resp)]
    return resp


@route(f"GET {R}/pulls/{{pull_number}}")
def get_pull(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.pull_obj(r, _pull(d, req, r)))


@route(f"GET {R}/pulls/{{pull_number}}/commits")
def list_pull_commits(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    pull = _pull(d, req, r).pull
    assert pull is not None
    resp = Resp()
    resp.body = [d.commit_obj(r, s) for s in d.page(req, pull.commits, resp)]
    return resp


@route(f"GET {R}/pulls/{{pull_number}}/files")
def list_pull_files(d: GitHubDouble, req: Req) -> Resp:
    """The paths the PR's commits changed (the double records paths, not patches)."""
    r = _repo(d, req)
    pull = _pull(d, req, r).pull
    assert pull is not None
    paths = sorted({f for s in pull.commits if s in r.commits for f in r.commits[s].files})
    resp = Resp()
    resp.body = [
        {
            "sha": hashlib.sha1(path.encode()).hexdigest(),
            "filename": path,
            "status": "modified",
            "additions": 1,
            "deletions": 0,
            "changes": 1,
            "blob_url": f"https://github.com/{r.full_name}/blob/{pull.head_sha}/{path}",
            "raw_url": f"https://github.com/{r.full_name}/raw/{pull.head_sha}/{path}",
            "contents_url": d.api(f"/repos/{r.full_name}/contents/{path}?ref={pull.head_sha}"),
        }
        for path in d.page(req, paths, resp)
    ]
    return resp


@route(f"GET {R}/pulls/{{pull_number}}/reviews")
def list_reviews(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _pull(d, req, r)
    assert issue.pull is not None
    resp = Resp()
    reviews = sorted(issue.pull.reviews, key=lambda v: (v.submitted_at, v.id))
    resp.body = [d.review_obj(r, issue.number, v) for v in d.page(req, reviews, resp)]
    return resp


@route(f"POST {R}/pulls/{{pull_number}}/reviews")
def create_review(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _pull(d, req, r)
    body = _body(req)
    state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
    review = d.state.add_review(
        issue.number,
        req.policy.login,
        state.get(str(body.get("event", "")), "PENDING"),
        repo=r,
        commit_id=body.get("commit_id"),
        body=str(body.get("body", "")),
    )
    return Resp(200, d.review_obj(r, issue.number, review))


@route(f"PUT {R}/pulls/{{pull_number}}/reviews/{{review_id}}/dismissals")
def dismiss_review(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    issue = _pull(d, req, r)
    assert issue.pull is not None
    review = next((v for v in issue.pull.reviews if v.id == _int(req, "review_id")), None)
    if review is None:
        raise NotFoundError(req.path)
    review.state = "DISMISSED"
    return Resp(200, d.review_obj(r, issue.number, review))


@route(f"GET {R}/pulls/{{pull_number}}/requested_reviewers")
def requested_reviewers(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    pull = _pull(d, req, r).pull
    assert pull is not None
    return Resp(
        200,
        {
            "users": [d.user(u) for u in pull.requested_reviewers],
            "teams": [d.team_obj(d._team(r.owner, t)) for t in pull.requested_teams],
        },
    )


@route(f"GET {R}/pulls/{{pull_number}}/comments")
def list_review_comments(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    _pull(d, req, r)
    return Resp(200, [])


# -- checks and statuses -------------------------------------------------------------------------


@route(f"POST {R}/check-runs")
def create_check_run(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    body = _body(req)
    sha = _resolve(d, r, str(body["head_sha"]))
    status = str(body.get("status", "completed" if body.get("conclusion") else "queued"))
    if body.get("conclusion"):
        status = "completed"
    run = d.state.add_check_run(
        str(body["name"]),
        sha,
        repo=r,
        status=status,
        conclusion=body.get("conclusion"),
        started_at=body.get("started_at"),
        completed_at=body.get("completed_at"),
        output=body.get("output"),
    )
    run.details_url = body.get("details_url")
    run.external_id = body.get("external_id")
    return Resp(201, d.check_run_obj(r, run))


def _check_run(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.CheckRun:
    run = r.check_runs.get(_int(req, "check_run_id"))
    if run is None:
        raise NotFoundError(req.path)
    return run


@route(f"GET {R}/check-runs/{{check_run_id}}")
def get_check_run(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.check_run_obj(r, _check_run(d, req, r)))


@route(f"PATCH {R}/check-runs/{{check_run_id}}")
def update_check_run(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    run = _check_run(d, req, r)
    body = _body(req)
    for key in ("name", "status", "details_url", "external_id"):
        if key in body:
            setattr(run, key, body[key])
    if "output" in body:
        run.output.update(body["output"])
    if body.get("conclusion"):
        run.conclusion = body["conclusion"]
        run.status = "completed"
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = to_dt(body.get("completed_at")) or d.state.now()
    return Resp(200, d.check_run_obj(r, run))


@route(f"GET {R}/commits/{{ref}}/check-runs")
def list_check_runs(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    sha = _resolve(d, r, req.params["ref"])
    runs = [c for c in r.check_runs.values() if c.head_sha == sha]
    if "check_name" in req.query:
        runs = [c for c in runs if c.name == req.query["check_name"]]
    if "status" in req.query:
        runs = [c for c in runs if c.status == req.query["status"]]
    if req.query.get("filter", "latest") == "latest":
        latest: dict[str, gs.CheckRun] = {}
        for c in sorted(runs, key=lambda c: c.id):
            latest[c.name] = c
        runs = list(latest.values())
    runs.sort(key=lambda c: c.id, reverse=True)
    resp = Resp()
    page = d.page(req, runs, resp)
    resp.body = {"total_count": len(runs), "check_runs": [d.check_run_obj(r, c) for c in page]}
    return resp


@route(f"POST {R}/statuses/{{sha}}")
def create_status(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    sha = req.params["sha"]
    if sha not in r.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    body = _body(req)
    status = d.state.add_status(
        str(body["state"]),
        sha,
        repo=r,
        context=str(body.get("context", "default")),
        description=body.get("description"),
        target_url=body.get("target_url"),
        creator=req.policy.login,
    )
    return Resp(201, d.status_obj(r, status))


@route(f"GET {R}/commits/{{ref}}/statuses")
def list_statuses(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    sha = _resolve(d, r, req.params["ref"])
    statuses = [s for s in reversed(r.statuses) if s.sha == sha]
    resp = Resp()
    resp.body = [d.status_obj(r, s) for s in d.page(req, statuses, resp)]
    return resp


@route(f"GET {R}/commits/{{ref}}/status")
def combined_status(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    sha = _resolve(d, r, req.params["ref"])
    latest: dict[str, gs.Status] = {}
    for s in r.statuses:
        if s.sha == sha:
            latest[s.context] = s
    states = {s.state for s in latest.values()}
    if states & {"error", "failure"}:
        state = "failure"
    elif not states or "pending" in states:
        state = "pending"
    else:
        state = "success"
    resp = Resp()
    page = d.page(req, list(latest.values()), resp)
    resp.body = {
        "state": state,
        "statuses": [_simple_status(d, r, s) for s in page],
        "sha": sha,
        "total_count": len(latest),
        "repository": d.repo_obj(r, "minimal-repository"),
        "commit_url": d.api(f"/repos/{r.full_name}/commits/{sha}"),
        "url": d.api(f"/repos/{r.full_name}/commits/{sha}/status"),
    }
    return resp


def _simple_status(d: GitHubDouble, r: gs.Repo, s: gs.Status) -> Any:
    out = d.status_obj(r, s)
    out.pop("creator", None)
    out["required"] = False
    return out


# -- deployments -----------------------------------------------------------------------------


def _deployment(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.Deployment:
    deployment = r.deployments.get(_int(req, "deployment_id"))
    if deployment is None:
        raise NotFoundError(req.path)
    return deployment


@route(f"GET {R}/deployments")
def list_deployments(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    q = req.query
    items = [
        x
        for x in r.deployments.values()
        if ("sha" not in q or x.sha == q["sha"])
        and ("ref" not in q or x.ref == q["ref"])
        and ("task" not in q or x.task == q["task"])
        and ("environment" not in q or x.environment == q["environment"])
    ]
    items.sort(key=lambda x: (x.created_at, x.id), reverse=True)  # newest first, as GitHub
    resp = Resp()
    resp.body = [d.deployment_obj(r, x) for x in d.page(req, items, resp)]
    return resp


@route(f"POST {R}/deployments")
def create_deployment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    body = _body(req)
    ref = str(body["ref"])
    sha = _resolve(d, r, ref)
    payload = body.get("payload", {})
    if isinstance(payload, str) and payload:
        with contextlib.suppress(ValueError):  # GitHub keeps a non-JSON string payload as is
            payload = json.loads(payload)
    deployment = d.state.add_deployment(
        str(body.get("environment", "production")),
        repo=r,
        sha=sha,
        ref=ref,
        task=str(body.get("task", "deploy")),
        creator=req.policy.login,
        description=body.get("description"),
        payload=payload if payload != "" else {},
        transient_environment=bool(body.get("transient_environment", False)),
        production_environment=body.get("production_environment"),
    )
    return Resp(201, d.deployment_obj(r, deployment))


@route(f"GET {R}/deployments/{{deployment_id}}")
def get_deployment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.deployment_obj(r, _deployment(d, req, r)))


@route(f"DELETE {R}/deployments/{{deployment_id}}")
def delete_deployment(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    deployment = _deployment(d, req, r)
    latest = deployment.latest
    if latest is not None and latest.state not in ("inactive", "error", "failure"):
        raise ApiError(
            422,
            "We cannot delete an active deployment unless it is the only "
            "deployment in a given environment.",
        )
    del r.deployments[deployment.id]
    return Resp(204)


@route(f"GET {R}/deployments/{{deployment_id}}/statuses")
def list_deployment_statuses(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    deployment = _deployment(d, req, r)
    resp = Resp()
    statuses = list(reversed(deployment.statuses))  # newest first
    resp.body = [d.deployment_status_obj(r, deployment, s) for s in d.page(req, statuses, resp)]
    return resp


@route(f"GET {R}/deployments/{{deployment_id}}/statuses/{{status_id}}")
def get_deployment_status(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    deployment = _deployment(d, req, r)
    status = next((s for s in deployment.statuses if s.id == _int(req, "status_id")), None)
    if status is None:
        raise NotFoundError(req.path)
    return Resp(200, d.deployment_status_obj(r, deployment, status))


@route(f"POST {R}/deployments/{{deployment_id}}/statuses")
def create_deployment_status(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    deployment = _deployment(d, req, r)
    body = _body(req)
    if body.get("environment"):
        deployment.environment = str(body["environment"])
    status = d.state.add_deployment_status(
        deployment.id,
        str(body["state"]),
        repo=r,
        creator=req.policy.login,
        description=str(body.get("description", "")),
        environment_url=str(body.get("environment_url", "")),
        log_url=str(body.get("log_url") or body.get("target_url") or ""),
        auto_inactive=bool(body.get("auto_inactive", True)),
    )
    return Resp(201, d.deployment_status_obj(r, deployment, status))


# -- releases and assets ---------------------------------------------------------------------


def _release(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.Release:
    release = r.releases.get(_int(req, "release_id"))
    if release is None:
        raise NotFoundError(req.path)
    return release


@route(f"GET {R}/releases")
def list_releases(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    releases = sorted(r.releases.values(), key=lambda x: (x.created_at, x.id), reverse=True)
    resp = Resp()
    resp.body = [d.release_obj(r, x) for x in d.page(req, releases, resp)]
    return resp


@route(f"POST {R}/releases")
def create_release(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    body = _body(req)
    tag = str(body["tag_name"])
    if any(x.tag_name == tag for x in r.releases.values()):
        raise _invalid("Release", "tag_name", "already_exists")
    target = str(body.get("target_commitish") or r.default_branch)
    _resolve(d, r, target)
    release = d.state.add_release(
        tag,
        repo=r,
        name=body.get("name"),
        body=body.get("body"),
        draft=bool(body.get("draft", False)),
        prerelease=bool(body.get("prerelease", False)),
        author=req.policy.login,
        target_commitish=target,
    )
    location = d.api(f"/repos/{r.full_name}/releases/{release.id}")
    return Resp(201, d.release_obj(r, release), {"Location": location})


@route(f"GET {R}/releases/latest")
def latest_release(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    published = [x for x in r.releases.values() if not x.draft and not x.prerelease]
    if not published:
        raise NotFoundError(req.path)
    return Resp(200, d.release_obj(r, max(published, key=lambda x: (x.published_at, x.id))))


@route(f"GET {R}/releases/tags/{{tag}}")
def release_by_tag(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    for release in r.releases.values():
        if release.tag_name == req.params["tag"] and not release.draft:
            return Resp(200, d.release_obj(r, release))
    raise NotFoundError(req.path)


@route(f"GET {R}/releases/{{release_id}}")
def get_release(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.release_obj(r, _release(d, req, r)))


@route(f"PATCH {R}/releases/{{release_id}}")
def update_release(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    release = _release(d, req, r)
    body = _body(req)
    for key in ("tag_name", "target_commitish", "name", "body", "prerelease"):
        if key in body:
            setattr(release, key, body[key])
    if "draft" in body:
        release.draft = bool(body["draft"])
        if not release.draft and release.published_at is None:
            release.published_at = d.state.now()
            if f"tags/{release.tag_name}" not in r.refs:
                r.refs[f"tags/{release.tag_name}"] = _resolve(d, r, release.target_commitish)
    return Resp(200, d.release_obj(r, release))


@route(f"DELETE {R}/releases/{{release_id}}")
def delete_release(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    del r.releases[_release(d, req, r).id]
    return Resp(204)


@route(f"GET {R}/releases/{{release_id}}/assets")
def list_assets(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    release = _release(d, req, r)
    resp = Resp()
    resp.body = [d.asset_obj(r, release, a) for a in d.page(req, release.assets, resp)]
    return resp


@route(f"POST {R}/releases/{{release_id}}/assets")
def upload_asset(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    release = _release(d, req, r)
    name = req.query.get("name")
    if not name:
        raise _invalid("ReleaseAsset", "name", "missing_field")
    if any(a.name == name for a in release.assets):
        raise _invalid("ReleaseAsset", "name", "already_exists")
    asset = d.state.add_asset(
        release.id,
        name,
        req.raw,
        repo=r,
        label=req.query.get("label"),
        content_type=req.headers.get("content-type", "application/octet-stream"),
        uploader=req.policy.login,
    )
    return Resp(201, d.asset_obj(r, release, asset))


def _asset(d: GitHubDouble, req: Req, r: gs.Repo) -> tuple[gs.Release, gs.Asset]:
    wanted = _int(req, "asset_id")
    for release in r.releases.values():
        for asset in release.assets:
            if asset.id == wanted:
                return release, asset
    raise NotFoundError(req.path)


@route(f"GET {R}/releases/assets/{{asset_id}}")
def get_asset(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    release, asset = _asset(d, req, r)
    if "application/octet-stream" in req.headers.get("accept", ""):
        return Resp(200, raw=asset.data, headers={"content-type": asset.content_type})
    return Resp(200, d.asset_obj(r, release, asset))


@route(f"PATCH {R}/releases/assets/{{asset_id}}")
def update_asset(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    release, asset = _asset(d, req, r)
    body = _body(req)
    asset.name = str(body.get("name", asset.name))
    asset.label = body.get("label", asset.label)
    return Resp(200, d.asset_obj(r, release, asset))


@route(f"DELETE {R}/releases/assets/{{asset_id}}")
def delete_asset(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    release, asset = _asset(d, req, r)
    release.assets.remove(asset)
    return Resp(204)


# -- actions -------------------------------------------------------------------------------------


@route(f"GET {R}/actions/runs")
def list_workflow_runs(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    q = req.query
    runs = [
        x
        for x in r.workflow_runs.values()
        if ("branch" not in q or x.head_branch == q["branch"])
        and ("event" not in q or x.event == q["event"])
        and ("status" not in q or q["status"] in (x.status, x.conclusion))
        and ("head_sha" not in q or x.head_sha == q["head_sha"])
        and _in_range(x.created_at, q.get("created"))
    ]
    runs.sort(key=lambda x: (x.created_at, x.id), reverse=True)
    resp = Resp()
    page = d.page(req, runs, resp)
    resp.body = {
        "total_count": len(runs),
        "workflow_runs": [d.workflow_run_obj(r, x) for x in page],
    }
    return resp


def _in_range(when: Any, spec: str | None) -> bool:
    """GitHub search date qualifiers: `>=D`, `<=D`, `>D`, `<D`, `D..D`, `D`."""
    if not spec:
        return True
    spec = urllib.parse.unquote(spec)
    if ".." in spec:
        low, high = spec.split("..", 1)
        return (low in ("*", "") or when >= to_dt(low)) and (
            high in ("*", "") or when <= _end_of(high)
        )
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            # day granularity for a bare date: `>D` is after day D, `<=D` includes all of it
            text = spec[len(op) :]
            bound = _end_of(text) if op in ("<=", ">") else to_dt(text)
            assert bound is not None
            return {
                ">=": when >= bound,
                "<=": when <= bound,
                ">": when > bound,
                "<": when < bound,
            }[op]
    start = to_dt(spec)
    return start is not None and start <= when <= _end_of(spec)


def _end_of(text: str) -> Any:
    from datetime import timedelta

    value = to_dt(text)
    assert value is not None
    if len(text) == 10:  # a bare date covers the whole day
        return value + timedelta(days=1) - timedelta(seconds=1)
    return value


@route("GET /teams/{team_id}/memberships/{username}")
def get_team_membership_legacy(d: GitHubDouble, req: Req) -> Resp:
    team = next((t for t in d.state.teams.values() if t.id == _int(req, "team_id")), None)
    if team is None:
        raise NotFoundError(req.path)
    req.params.update(org=team.org, team_slug=team.slug)
    return get_team_membership(d, req)


@route(f"GET {R}/actions/runs/{{run_id}}")
def get_workflow_run(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    return Resp(200, d.workflow_run_obj(r, _run(d, req, r)))


def _run(d: GitHubDouble, req: Req, r: gs.Repo) -> gs.WorkflowRun:
    run = r.workflow_runs.get(_int(req, "run_id"))
    if run is None:
        raise NotFoundError(req.path)
    return run


def _environment(d: GitHubDouble, r: gs.Repo, name: str) -> dict[str, Any]:
    env_id = d.state.environment_id(name, repo=r)
    return {
        "id": env_id,
        "node_id": node_id("EN", env_id),
        "name": name,
        "url": d.api(f"/repos/{r.full_name}/environments/{urllib.parse.quote(name)}"),
        "html_url": f"https://github.com/{r.full_name}/deployments/activity_log?environments_filter={name}",
    }


@route(f"GET {R}/actions/runs/{{run_id}}/approvals")
def list_run_approvals(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    run = _run(d, req, r)
    return Resp(
        200,
        [
            {
                "environments": [_environment(d, r, e) for e in a.environments],
                "state": a.state,
                "user": d.user(a.user),
                "comment": a.comment,
            }
            for a in run.approvals
        ],
    )


@route(f"GET {R}/actions/runs/{{run_id}}/pending_deployments")
def list_pending_deployments(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    run = _run(d, req, r)
    out = []
    for pending in run.pending:
        reviewers = []
        for reviewer in pending.reviewers:
            if reviewer.startswith("team:"):
                team = d._team(r.owner, reviewer.removeprefix("team:"))
                reviewers.append({"type": "Team", "reviewer": d.team_obj(team)})
            else:
                reviewers.append({"type": "User", "reviewer": d.user(reviewer)})
        out.append(
            {
                "environment": _environment(d, r, pending.environment),
                "wait_timer": pending.wait_timer,
                "wait_timer_started_at": gs.iso(run.created_at),
                "current_user_can_approve": req.policy.login in pending.reviewers,
                "reviewers": reviewers,
            }
        )
    return Resp(200, out)


@route(f"POST {R}/actions/runs/{{run_id}}/pending_deployments")
def review_pending_deployments(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    run = _run(d, req, r)
    body = _body(req)
    ids = set(body.get("environment_ids", []))
    names = [n for n, i in r.environments.items() if i in ids]
    waiting = {p.environment for p in run.pending}
    if not names or not set(names) <= waiting:
        raise ApiError(422, "No pending deployment requests to approve or reject")
    d.state.add_environment_approval(
        run.id,
        req.policy.login,
        str(body["state"]),
        names,
        repo=r,
        comment=str(body.get("comment", "")),
    )
    run.pending = [p for p in run.pending if p.environment not in names]
    created = []
    if body["state"] == "approved":
        for name in names:
            created.append(
                d.state.add_deployment(
                    name, repo=r, sha=run.head_sha, ref=run.head_branch, creator=req.policy.login
                )
            )
    return Resp(200, [d.deployment_obj(r, x) for x in created])


@route(f"GET {R}/collaborators/{{username}}/permission")
def collaborator_permission(d: GitHubDouble, req: Req) -> Resp:
    r = _repo(d, req)
    login = req.params["username"]
    if login.lower() not in d.state.users:
        raise NotFoundError(login)
    permission = r.collaborators.get(login.lower())
    if permission is None:
        permission = (
            "admin" if login.lower() == r.owner.lower() else ("none" if r.private else "read")
        )
    legacy = {"maintain": "write", "triage": "read"}.get(permission, permission)
    user = d.user(login, "collaborator")
    user["permissions"] = {
        "pull": permission != "none",
        "triage": permission in ("triage", "write", "maintain", "admin"),
        "push": permission in ("write", "maintain", "admin"),
        "maintain": permission in ("maintain", "admin"),
        "admin": permission == "admin",
    }
    user["role_name"] = permission
    return Resp(200, {"permission": legacy, "role_name": permission, "user": user})


@route("GET /search/issues")
def search_issues(d: GitHubDouble, req: Req) -> Resp:
    from graphql import GraphQLError

    from harness.github_graphql import SEARCH_LIMIT
    from harness.github_graphql import search_issues as search

    query = req.query.get("q", "")
    if req.query.get("sort"):
        query += f" sort:{req.query['sort']}-{req.query.get('order', 'desc')}"
    try:
        hits = search(d.state, query)
    except GraphQLError as err:
        raise _invalid("Search", "q", "invalid", err.message) from None
    resp = Resp()
    page = d.page(req, hits[:SEARCH_LIMIT], resp)
    items = []
    for r, issue in page:
        item = d.issue_obj(r, issue)
        item["score"] = 1.0
        if item.get("body") is None:
            del item["body"]  # optional here, and not nullable as in `issue`
        items.append(item)
    resp.body = {
        "total_count": len(hits),
        "incomplete_results": False,
        "items": items,
        "search_type": "lexical",
    }
    return resp


# -- dependency graph ----------------------------------------------------------------------------


@route(f"POST {R}/dependency-graph/snapshots")
def create_dependency_snapshot(d: GitHubDouble, req: Req) -> Resp:
    """The request body was validated against the `snapshot` schema before this runs; as GitHub
    does, a snapshot for a commit the repository does not have is accepted, not applied."""
    r = _repo(d, req)
    body = _body(req)
    r.dependency_snapshots.append(body)
    known = body.get("sha") in r.commits
    return Resp(
        201,
        {
            "id": len(r.dependency_snapshots),
            "created_at": gs.iso(d.state.now()),
            "result": "SUCCESS" if known else "ACCEPTED",
            "message": "Dependency results for the repo have been successfully updated."
            if known
            else "Snapshot accepted; the commit is not in this repository.",
        },
    )
