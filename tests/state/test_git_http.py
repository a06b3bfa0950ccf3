"""The data branch over real git HTTP (`git http-backend` on loopback behind a server that
demands the token), as a job checked out with `persist-credentials: false` sees github.com:
the token reaches git through the environment of its subprocesses only."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bare_origin import LUMEN, all_exit_0, record_args
from git_http import GitServer, git_http_server
from harness.git_origin import clone, git

from lumen import ledger
from lumen.adapters import git_state
from lumen.adapters.git_state import StateLocation
from lumen.cli import main

TOKEN = "ghs_0123456789abcdefSECRETtoken"


@pytest.fixture
def server(remote: Path) -> Iterator[GitServer]:
    with git_http_server(remote.parent, TOKEN) as running:
        yield running


def job(remote_repo: Path, server: GitServer, where: Path) -> Path:
    """A checkout like actions/checkout with persist-credentials: false: an https-style
    remote on the server, no credentials in the repository's config."""
    work = clone(remote_repo, where)
    git(work, "remote", "set-url", "origin", server.repo_url(remote_repo.name))
    return work


@pytest.fixture
def http_job(
    remote: Path, server: GitServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The job's checkout on the server, the current directory."""
    work = job(remote, server, tmp_path / "job")
    monkeypatch.chdir(work)
    return work


def record(version: str, *extra: str) -> list[str]:
    files = ["--deploys", "deploys.jsonl", "--ledger", "ledger.jsonl"]
    return record_args(version, *files, "--state", "lumen-data", *extra)


def token_env(monkeypatch: pytest.MonkeyPatch, server: GitServer, token: str | None) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", server.url)
    monkeypatch.delenv("INPUT_GITHUB_TOKEN", raising=False)
    if token is None:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    else:
        monkeypatch.setenv("GITHUB_TOKEN", token)


def files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def test_the_token_goes_through_the_environment_only(
    remote: Path, server: GitServer, http_job: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_env(monkeypatch, server, TOKEN)
    argvs: list[list[str]] = []
    real_run = subprocess.run

    def spy(argv: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(argv, list) and argv and argv[0] == "git":
            argvs.append([str(a) for a in argv])
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    assert main(record("1.0.0")) == 0
    assert main(record("1.0.1")) == 0
    monkeypatch.setattr(subprocess, "run", real_run)
    # it went over HTTP, every request authorised
    assert server.requests and all(ok for _, _, ok in server.requests)
    assert any("git-receive-pack" in path for _, path, _ in server.requests)
    deploys = git(remote, "show", "lumen-data:deploys.jsonl")
    assert [json.loads(line)["version"] for line in deploys.splitlines()] == ["1.0.0", "1.0.1"]
    # never on disk (the checkout's .git, its config), never in a command line
    assert files_holding(http_job / ".git", TOKEN) == []
    assert "extraheader" not in git(http_job, "config", "--list")
    assert argvs and not any(TOKEN in " ".join(argv) for argv in argvs)
    assert not any("extraheader" in " ".join(argv) for argv in argvs)


def test_without_a_token_the_reader_says_it_cannot_fetch(
    server: GitServer,
    http_job: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token_env(monkeypatch, server, None)
    assert main(record("1.0.0")) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "cannot fetch branch 'lumen-data' from remote 'origin'" in err
    assert "the token needs contents: read" in err
    assert "Traceback" not in err
    assert not (http_job / "deploys.jsonl").exists()


@pytest.mark.usefixtures("http_job")
def test_a_wrong_token_is_refused_and_never_printed(
    remote: Path,
    server: GitServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = "ghs_wrongWRONGwrong0000"
    token_env(monkeypatch, server, wrong)
    assert main(record("1.0.0")) == 1
    err = capsys.readouterr().err
    assert "'lumen-data'" in err and "'origin'" in err
    assert wrong not in err and "x-access-token" not in err
    assert server.requests and not any(ok for _, _, ok in server.requests)
    assert "lumen-data" not in git(remote, "branch", "--list")


def test_a_read_only_token_reads_but_cannot_write(
    remote: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A fork's PR gate: fetching works, a push is refused, and the gate says so in one line
    rather than reporting a result it could not record."""
    with git_http_server(remote.parent, TOKEN) as server:
        work = job(remote, server, tmp_path / "writer")
        monkeypatch.chdir(work)
        token_env(monkeypatch, server, TOKEN)
        assert main(record("1.0.0")) == 0
    # the same repository served read-only: receive-pack is refused
    git(remote, "config", "http.receivepack", "false")
    with git_http_server(remote.parent, TOKEN) as server:
        reader = job(remote, server, tmp_path / "fork")
        monkeypatch.chdir(reader)
        token_env(monkeypatch, server, TOKEN)
        out = tmp_path / "comment.md"
        result = tmp_path / "result.json"
        result.write_text(json.dumps({"gate": "roi", "verdict": "PASS", "checks": []}))
        args = ["comment", "--result", str(result), "--markdown", str(out), "--quiet"]
        assert main([*args, "--history", "ledger.jsonl", "--state", "lumen-data"]) == 0
        capsys.readouterr()
        assert main(record("1.0.1", "--json", str(tmp_path / "r.json"))) == 1
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert err.count("cannot push") == 1 and "'lumen-data'" in err, err
        assert "the token needs contents: write" in err, err
        assert not (tmp_path / "r.json").exists()
    assert len(git(remote, "show", "lumen-data:deploys.jsonl").splitlines()) == 1


def test_auth_env_only_for_the_server_and_with_a_token(tmp_path: Path) -> None:
    work = tmp_path / "job"
    subprocess.run(["git", "init", "--quiet", str(work)], check=True)
    git(work, "remote", "add", "origin", "https://github.com/o/r.git")
    git(work, "remote", "add", "elsewhere", "https://gitlab.example/o/r.git")
    env = {"GITHUB_TOKEN": "t0k", "GITHUB_SERVER_URL": "https://github.com"}
    auth = git_state.auth_env(StateLocation(repo=work), env)
    assert auth["GIT_CONFIG_COUNT"] == "2"
    assert (
        auth["GIT_CONFIG_KEY_0"]
        == auth["GIT_CONFIG_KEY_1"]
        == ("http.https://github.com/.extraheader")
    )
    assert auth["GIT_CONFIG_VALUE_0"] == ""  # clears a header configured for the server
    assert auth["GIT_CONFIG_VALUE_1"] == "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46dDBr"
    assert git_state.auth_env(StateLocation(repo=work, remote="elsewhere"), env) == {}
    assert git_state.auth_env(StateLocation(repo=work), {"GITHUB_SERVER_URL": "x"}) == {}
    # a caller's own GIT_CONFIG_* entries are kept: ours are numbered after them
    more = git_state.auth_env(StateLocation(repo=work), {**env, "GIT_CONFIG_COUNT": "1"})
    assert more["GIT_CONFIG_COUNT"] == "3" and "GIT_CONFIG_KEY_2" in more


@pytest.mark.slow
def test_writers_over_http_at_once_lose_nothing(
    remote: Path,
    server: GitServer,
    tmp_path: Path,
) -> None:
    per_writer = int(os.environ.get("LUMEN_STATE_HTTP_RECORDS", "6"))
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_SERVER_URL": server.url}
    script = 'for i in $(seq 1 "$2"); do "$0" ' + " ".join(record("$1.$i")) + " || exit 1; done"
    procs = [
        subprocess.Popen(
            ["bash", "-c", script, LUMEN, name, str(per_writer)],
            cwd=job(remote, server, tmp_path / name),
            env=env,
        )
        for name in ("a", "b", "c")
    ]
    all_exit_0(procs)
    chain = git(remote, "show", "lumen-data:ledger.jsonl").encode()
    assert len(chain.splitlines()) == 3 * per_writer
    (tmp_path / "ledger.jsonl").write_bytes(chain)
    assert ledger.verify(tmp_path / "ledger.jsonl").ok
    versions = [
        json.loads(line)["version"]
        for line in git(remote, "show", "lumen-data:deploys.jsonl").splitlines()
    ]
    assert sorted(versions) == sorted(f"{w}.{i}" for w in "abc" for i in range(1, per_writer + 1))
