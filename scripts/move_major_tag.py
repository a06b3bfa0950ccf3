"""Move the major tag (v1) to a release's commit, after the release is published.

    python scripts/move_major_tag.py v1.4.2

Reads GITHUB_API_URL, GITHUB_REPOSITORY and GITHUB_TOKEN (contents: write). Resolves the
release tag to its commit (peeling an annotated tag), then points `refs/tags/vMAJOR` at it
(force-updated, or created the first time). A pre-release tag (`v1.5.0-rc.1`) never moves the
major tag; nor does a tag that is not `vX.Y.Z`. Stdlib only: it runs before any environment.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from typing import Any

RELEASE = re.compile(r"v(?P<major>\d+)\.\d+\.\d+")


def major_tag(tag: str) -> str | None:
    match = RELEASE.fullmatch(tag)
    return f"v{match['major']}" if match else None


def call(method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    if not api.startswith(("https://", "http://")):
        raise SystemExit(f"error: GITHUB_API_URL={api} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
        f"{api}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (API URL)
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def commit_of(repository: str, tag: str) -> str:
    status, ref = call("GET", f"/repos/{repository}/git/ref/tags/{tag}")
    if status != 200:
        raise SystemExit(f"error: tag {tag} not found in {repository} (HTTP {status})")
    target = ref["object"]
    while target["type"] == "tag":  # annotated: peel to the commit
        status, annotated = call("GET", f"/repos/{repository}/git/tags/{target['sha']}")
        if status != 200:
            raise SystemExit(f"error: cannot read the annotated tag {tag} (HTTP {status})")
        target = annotated["object"]
    return str(target["sha"])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: move_major_tag.py vX.Y.Z", file=sys.stderr)
        return 1
    tag = args[0]
    major = major_tag(tag)
    if major is None:
        print(f"{tag} is not a vX.Y.Z release: the major tag stays where it is")
        return 0
    repository = os.environ["GITHUB_REPOSITORY"]
    sha = commit_of(repository, tag)
    status, _ = call(
        "PATCH", f"/repos/{repository}/git/refs/tags/{major}", {"sha": sha, "force": True}
    )
    if status == 422:  # no such tag yet: the first release of this major version
        status, _ = call(
            "POST", f"/repos/{repository}/git/refs", {"ref": f"refs/tags/{major}", "sha": sha}
        )
    if status not in (200, 201):
        print(f"error: could not move {major} to {sha} (HTTP {status})", file=sys.stderr)
        return 1
    print(f"{major} -> {sha} ({tag})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
