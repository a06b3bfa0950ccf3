"""State that outlives the runner: files kept on a data branch of the user's repository.

The decision ledger, the deploy-event log, the results history and the sampler's history and
spool are small append-mostly files. A runner is thrown away after each job, so they live on a
branch of the repository itself (default `lumen-data`), as github-action-benchmark keeps its
data: durable, auditable in `git log`, and free.

Everything here is git plumbing run in the user's repository (the job's checkout), so the
credentials that `actions/checkout` configured are the ones used, and neither the work tree nor
the index is touched:

- read: `git fetch <remote> +refs/heads/<branch>:<private ref>` (`--depth=1` in a shallow
  checkout, as CI's are: the tip is all a reader or a writer needs), then `git cat-file`;
- write: the caller's update runs on a temporary copy of the file, the new content becomes a
  blob, a temporary index builds the tree, `git commit-tree` the commit on top of what was
  fetched, and `git push <remote> <commit>:refs/heads/<branch>`.

A push that is not a fast-forward means another job wrote first. The writer then fetches again
and *re-runs the update on the new content* (for the ledger that re-chains the entry onto the new
head), so concurrent writers lose nothing and the hash chain still verifies.
"""

from __future__ import annotations

import base64
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from gates.errors import LumenError, SourceError, UsageError
from lumen.fileio import atomic_write

DEFAULT_BRANCH = "lumen-data"
DEFAULT_REMOTE = "origin"
# Enough for a handful of jobs finishing at once; each retry waits a little longer, with jitter.
DEFAULT_ATTEMPTS = 30
GIT_TIMEOUT_SECONDS = 60.0

_IDENTITY = {
    "GIT_AUTHOR_NAME": "lumen",
    "GIT_AUTHOR_EMAIL": "lumen@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "lumen",
    "GIT_COMMITTER_EMAIL": "lumen@users.noreply.github.com",
}


class StateError(SourceError):
    """The data branch could not be read or written."""


@dataclass(frozen=True)
class StateLocation:
    """Where state lives: a branch of a remote of the repository at `repo`."""

    repo: Path
    branch: str = DEFAULT_BRANCH
    remote: str = DEFAULT_REMOTE


_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")


def check_branch(name: str, *, field: str = "state.branch") -> str:
    """A data branch name git accepts and that cannot be taken for an option or a path trick."""
    text = name.strip()
    bad = (
        not _BRANCH.fullmatch(text)
        or ".." in text
        or "//" in text
        or text.endswith(("/", ".", ".lock"))
        or "/." in text
    )
    if bad:
        raise UsageError(
            f"{field}: {name!r} is not a usable branch name "
            "(letters, digits, '.', '_', '-' and '/', e.g. lumen-data)"
        )
    return text


def branch_path(path: str) -> str:
    """A file's path on the data branch: relative, POSIX, and never outside the branch root."""
    text = path.strip().replace("\\", "/")
    if not text:
        raise UsageError("a state path must not be empty")
    pure = PurePosixPath(text)
    if pure.is_absolute() or ".." in pure.parts:
        raise UsageError(f"state path {path!r} must stay inside the data branch (no '..', no '/')")
    parts = [part for part in pure.parts if part not in ("", ".")]
    if not parts:
        raise UsageError(f"state path {path!r} names no file")
    return "/".join(parts)


def branch_file(path: str, location: StateLocation) -> str:
    """How a file on the data branch is named to the user: the path, the branch, the remote."""
    return f"{path} on branch {location.branch!r} of remote {location.remote!r}"


def remote_url(location: StateLocation) -> str:
    """The URL git uses for the remote (the remote itself when it is a URL, not a name)."""
    proc = _git(location, "remote", "get-url", "--push", location.remote, check=False)
    if proc.returncode == 0:
        return proc.stdout.decode("utf-8", "replace").strip()
    return location.remote


def auth_env(location: StateLocation, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment that lets git authenticate to the GitHub server with the run's token,
    for fetch and push only: the workflows check out with `persist-credentials: false`, so the
    repository's config holds no credentials, and none must be written to disk or to a
    command line (both are readable by other processes and end up in logs).

    Empty when there is no token (`GITHUB_TOKEN`, the action's `github-token` input) or the
    remote is not on the server (`GITHUB_SERVER_URL`): a remote elsewhere keeps git's own
    credentials. The header is given through git's environment config (`GIT_CONFIG_COUNT`,
    `GIT_CONFIG_KEY_<n>`, `GIT_CONFIG_VALUE_<n>`), first an empty value that clears any header
    configured for the server, then the one with the token, as actions/checkout writes it."""
    env = os.environ if environ is None else environ
    token = _token(env)
    if not token:
        return {}
    server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    if not remote_url(location).startswith(server + "/"):
        return {}
    try:
        base = int(env.get("GIT_CONFIG_COUNT") or "0")
    except ValueError:
        base = 0
    key = f"http.{server}/.extraheader"
    return {
        "GIT_CONFIG_COUNT": str(base + 2),
        f"GIT_CONFIG_KEY_{base}": key,
        f"GIT_CONFIG_VALUE_{base}": "",
        f"GIT_CONFIG_KEY_{base + 1}": key,
        f"GIT_CONFIG_VALUE_{base + 1}": f"AUTHORIZATION: basic {_basic(token)}",
    }


def _redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` without the token, plain or inside the basic-auth header (git's messages do not
    carry it, but an error message is the last place it could leak from)."""
    token = _token(os.environ if environ is None else environ)
    if not token:
        return text
    return text.replace(_basic(token), "***").replace(token, "***")


def _token(env: Mapping[str, str]) -> str | None:
    """The run's token: `GITHUB_TOKEN`, else the action's `github-token` input."""
    return env.get("GITHUB_TOKEN") or env.get("INPUT_GITHUB_TOKEN")


def _basic(token: str) -> str:
    """The basic-auth credentials git sends to GitHub with the token."""
    return base64.b64encode(f"x-access-token:{token}".encode()).decode()


def _git(
    location: StateLocation,
    *argv: str,
    input_bytes: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    environ = {**os.environ, **_IDENTITY, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    try:
        proc = subprocess.run(
            ["git", "-C", str(location.repo), *argv],
            input=input_bytes,
            capture_output=True,
            env=environ,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError:
        raise StateError("git is not installed; the data branch needs it") from None
    except subprocess.TimeoutExpired:
        raise StateError(
            f"git {argv[0]} did not finish within {GIT_TIMEOUT_SECONDS:.0f}s "
            f"(remote {location.remote!r}, branch {location.branch!r})"
        ) from None
    if check and proc.returncode != 0:
        message = _redact(proc.stderr.decode("utf-8", "replace")).strip().splitlines()
        raise StateError(
            f"git {argv[0]} failed for branch {location.branch!r} of remote "
            f"{location.remote!r}: {message[-1] if message else 'exit ' + str(proc.returncode)}"
        )
    return proc


_SHALLOW: dict[Path, bool] = {}


def _depth(location: StateLocation) -> list[str]:
    """`--depth=1` when the repository is shallow already (a CI checkout: actions/checkout
    fetches one commit): reading the tip and `commit-tree` on top of it need no history, and
    the push then sends the new commit only, so a long-lived data branch is not downloaded whole
    on every run. A full clone fetches as before: a depth fetch would make it shallow (an entry
    in its `shallow` file), a change to the user's repository beyond the private ref. Asked
    once per repository and process."""
    repo = location.repo.resolve()
    shallow = _SHALLOW.get(repo)
    if shallow is None:
        proc = _git(location, "rev-parse", "--is-shallow-repository", check=False)
        shallow = _SHALLOW[repo] = proc.returncode == 0 and proc.stdout.strip() == b"true"
    return ["--depth=1"] if shallow else []


@contextmanager
def _fetched(
    location: StateLocation, auth: Mapping[str, str] | None = None
) -> Iterator[str | None]:
    """Fetch the branch into a private ref; yield its commit, or None when it does not exist.
    `auth` is `auth_env(location)` when the caller has it already."""
    ref = f"refs/lumen/state/{uuid.uuid4().hex}"
    try:
        proc = _git(
            location,
            "fetch",
            "--quiet",
            "--no-tags",
            *_depth(location),
            location.remote,
            f"+refs/heads/{location.branch}:{ref}",
            env=auth_env(location) if auth is None else auth,
            check=False,
        )
        if proc.returncode != 0:
            stderr = _redact(proc.stderr.decode("utf-8", "replace"))
            if "couldn't find remote ref" in stderr or "could not find remote ref" in stderr:
                yield None
                return
            lines = stderr.strip().splitlines()
            raise StateError(
                f"cannot fetch branch {location.branch!r} from remote {location.remote!r}: "
                f"{lines[-1] if lines else 'git fetch exit ' + str(proc.returncode)}",
                hint=_auth_hint(stderr, "contents: read"),
            )
        yield _git(location, "rev-parse", ref).stdout.decode().strip()
    finally:
        _git(location, "update-ref", "-d", ref, check=False)


def _read_blob(location: StateLocation, commit: str | None, path: str) -> bytes | None:
    if commit is None:
        return None
    proc = _git(location, "cat-file", "blob", f"{commit}:{path}", check=False)
    return proc.stdout if proc.returncode == 0 else None


def read_file(location: StateLocation, path: str) -> bytes | None:
    """The file's content on the data branch, or None when the branch or the file is absent."""
    name = branch_path(path)
    with _fetched(location) as commit:
        return _read_blob(location, commit, name)


def list_files(location: StateLocation) -> dict[str, int]:
    """Every file on the data branch with its size in bytes (empty when there is no branch)."""
    with _fetched(location) as commit:
        if commit is None:
            return {}
        out = _git(location, "ls-tree", "-r", "-l", "-z", commit).stdout.decode()
    files: dict[str, int] = {}
    for record in out.split("\0"):
        if not record:
            continue
        meta, name = record.split("\t", 1)
        size = meta.split()[3]
        files[name] = int(size) if size.isdigit() else 0
    return files


Update = Callable[[Path], None]


def update_files(
    location: StateLocation,
    updates: Mapping[str, Update],
    *,
    message: str,
    attempts: int = DEFAULT_ATTEMPTS,
) -> str:
    """Apply `updates` (branch path → function that edits a local copy of that file, which may
    not exist yet) in one commit on the data branch and push it. Returns the pushed commit.

    On a rejected push the branch is fetched again and every update re-runs on the new content.
    """
    names = {branch_path(path): update for path, update in updates.items()}
    auth = auth_env(location)
    for attempt in range(1, attempts + 1):
        with _fetched(location, auth) as parent, tempfile.TemporaryDirectory() as scratch:
            index = Path(scratch) / "index"
            env = {"GIT_INDEX_FILE": str(index)}
            if parent is not None:
                _git(location, "read-tree", parent, env=env)
            for name, update in names.items():
                local = Path(scratch) / "files" / name
                local.parent.mkdir(parents=True, exist_ok=True)
                current = _read_blob(location, parent, name)
                if current is not None:
                    local.write_bytes(current)
                try:
                    update(local)
                except LumenError as exc:
                    # The scratch copy's path means nothing to the user: name the branch file.
                    if exc.file in (None, str(local)):
                        exc.file = branch_file(name, location)
                    raise
                if not local.exists():
                    _git(location, "update-index", "--force-remove", "--", name, env=env)
                    continue
                blob = _git(location, "hash-object", "-w", "--", str(local)).stdout.decode().strip()
                _git(
                    location,
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    f"100644,{blob},{name}",
                    env=env,
                )
            tree = _git(location, "write-tree", env=env).stdout.decode().strip()
            parents = ["-p", parent] if parent is not None else []
            commit = (
                _git(location, "commit-tree", tree, *parents, "-m", message).stdout.decode().strip()
            )
            lease = parent or ""
            push = _git(
                location,
                "push",
                "--quiet",
                "--porcelain",
                f"--force-with-lease=refs/heads/{location.branch}:{lease}",
                location.remote,
                f"{commit}:refs/heads/{location.branch}",
                env=auth,
                check=False,
            )
            if push.returncode == 0:
                return commit
            text = _redact((push.stdout + push.stderr).decode("utf-8", "replace"))
            if not _is_race(text):
                lines = text.strip().splitlines()
                raise StateError(
                    f"cannot push {', '.join(sorted(names))} to branch {location.branch!r} of "
                    f"remote {location.remote!r}: "
                    f"{lines[-1] if lines else 'git push exit ' + str(push.returncode)}",
                    hint=_auth_hint(text, "contents: write"),
                )
        time.sleep(min(2.0, 0.05 * attempt) * (0.5 + random.random()))  # noqa: S311 (jitter)
    raise StateError(
        f"gave up writing {', '.join(sorted(names))} to branch {location.branch!r} of remote "
        f"{location.remote!r} after {attempts} attempts: other jobs kept writing first"
    )


_AUTH_FAILURES = (
    "could not read Username",
    "Authentication failed",
    "returned error: 401",
    "returned error: 403",
    "Permission to",
    "denied to",
    "terminal prompts disabled",
)


def _auth_hint(git_output: str, permission: str) -> str | None:
    """What to do when git was refused for want of credentials or permission."""
    if not any(marker in git_output for marker in _AUTH_FAILURES):
        return None
    return (
        f"the token needs {permission} on the repository (in Actions: the job's permissions, "
        "the action's github-token input or GITHUB_TOKEN)"
    )


def _is_race(push_output: str) -> bool:
    """Another writer moved the branch between our fetch and our push."""
    markers = ("stale info", "non-fast-forward", "fetch first", "[rejected]", "cannot lock ref")
    return any(marker in push_output for marker in markers)


def append_bytes(data: bytes) -> Update:
    """An update that appends `data` (adding the missing final newline of the old content)."""

    def update(local: Path) -> None:
        prefix = b""
        if local.exists() and local.stat().st_size:
            with local.open("rb") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    prefix = b"\n"
        with local.open("ab") as handle:
            handle.write(prefix + data)

    return update


def remove() -> Update:
    """An update that deletes the file from the branch (nothing when it is already gone)."""

    def update(local: Path) -> None:
        local.unlink(missing_ok=True)

    return update


def replace_with(source: Path) -> Update:
    """An update that replaces the file with a copy of `source`."""

    def update(local: Path) -> None:
        shutil.copyfile(source, local)

    return update


def pull(
    location: StateLocation, destination: Path, only: Sequence[str] | None = None
) -> list[str]:
    """Copy every file of the data branch under `destination` (with `only`, the files that are
    one of those paths or under one of them); return the paths written."""
    written: list[str] = []
    wanted = None if only is None else [branch_path(path) for path in only]
    with _fetched(location) as commit:
        if commit is None:
            return written
        out = _git(location, "ls-tree", "-r", "-z", "--name-only", commit).stdout.decode()
        for name in filter(None, out.split("\0")):
            if wanted is not None and not any(
                name == path or name.startswith(path + "/") for path in wanted
            ):
                continue
            target = destination / branch_path(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, _read_blob(location, commit, name) or b"")
            written.append(name)
    return written
