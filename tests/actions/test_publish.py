"""Lumen CI's own release (.github/workflows/publish.yml), its scripts, and the version.

The dry run is the workflow itself in the workflow runner (harness.workflow_runner), offline:
a git clone of this tree tagged v1.2.0 with its CHANGELOG section, the GitHub double for the
release and the tag move, the loopback Sigstore instance for the bundles. It produces the
wheel and sdist (version from the tag), the SBOM, the bundles and the notes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from harness.action_runner import dev_venv, snapshot_repo
from harness.actions import double_env
from harness.workflow_runner import WorkflowRunner

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import changelog  # noqa: E402
import move_major_tag  # noqa: E402

PUBLISH = ROOT / ".github" / "workflows" / "publish.yml"
REPOSITORY = "lumen-ci/lumen-ci"
SECTION = "### Fixed\n\n- The flipback lock is released when the plan fails.\n"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def tagged_clone(dest: Path, tag: str) -> Path:
    """This tree as a fresh git repository whose CHANGELOG has `tag`'s section, tagged."""
    repo = snapshot_repo(dest)
    for name in ("requirements", "examples"):
        shutil.copytree(ROOT / name, repo / name, dirs_exist_ok=True)
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = tag.removeprefix("v")
    text = text.replace(
        "## [Unreleased]\n", f"## [Unreleased]\n\n## [{version}] - 2026-12-06\n\n{SECTION}", 1
    )
    text += f"[{version}]: https://github.com/{REPOSITORY}/releases/tag/{tag}\n"
    (repo / "CHANGELOG.md").write_text(text, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release")
    git(repo, "tag", tag)
    return repo


@pytest.fixture
def lumen_repo(github_double: Any) -> tuple[Any, dict[str, str]]:
    state = github_double.state
    repo = state.add_repo(REPOSITORY)
    before = datetime(2026, 11, 1, tzinfo=UTC)
    old = state.add_commit("release 1.1.0", repo=repo, date=before)
    state.add_tag("v1.1.0", old, repo=repo)
    state.add_tag("v1", old, repo=repo)
    state.add_release("v1.1.0", repo=repo, target_commitish=old, published_at=before)
    state.add_pull("fix: flipback lock", repo=repo, user="bob", merged_at=before + timedelta(1))
    cut = state.add_commit("cut 1.2.0", repo=repo, date=before + timedelta(2))
    state.add_tag("v1.2.0", cut, repo=repo)
    env = double_env(github_double, REPOSITORY, cut)
    env.update(GITHUB_REF="refs/tags/v1.2.0", GITHUB_REF_NAME="v1.2.0", GITHUB_REF_TYPE="tag")
    return github_double, env


@pytest.mark.slow
@pytest.mark.sigstore
@pytest.mark.github
def test_dry_run_builds_sboms_signs_publishes_and_moves_v1(
    tmp_path: Path, lumen_repo: tuple[Any, dict[str, str]], sigstore_instance: Any
) -> None:
    from harness.sigstore import GitHubIdentity, serve_actions_id_token

    double, env = lumen_repo
    workspace = tagged_clone(tmp_path / "clone", "v1.2.0")
    identity = GitHubIdentity(
        repository=REPOSITORY, ref="refs/tags/v1.2.0", workflow="Publish Lumen CI"
    )
    with serve_actions_id_token(sigstore_instance.github_token(identity)) as endpoint:
        run = WorkflowRunner(
            PUBLISH,
            workdir=tmp_path / "run",
            workspace=workspace,
            inputs={"dry-run": True},
            env={**env, **endpoint.environ()},
            event_name="workflow_dispatch",
            action_venv=dev_venv(),
            pin_inputs={"trust-config": str(sigstore_instance.trust_config)},
        )
        for job in ("build", "sbom", "sign", "publish"):
            result = run.run_job(job)
            assert result.conclusion == "success", (job, result.run.log if result.run else "")
        assert run.run_job("pypi").conclusion == "skipped"  # off unless asked for

    assert run.jobs["build"].outputs["version"] == "1.2.0"
    dist = {p.name for p in (run.artifacts / "lumen-dist").iterdir()}
    assert dist == {"lumen_ci-1.2.0.tar.gz", "lumen_ci-1.2.0-py3-none-any.whl"}
    sbom = json.loads((run.artifacts / "lumen-sbom" / "lumen-ci.cdx.json").read_text("utf-8"))
    names = {c["name"] for c in sbom["components"]}
    assert {"lumen_ci-1.2.0-py3-none-any.whl", "sigstore", "pyyaml"} <= {n.lower() for n in names}
    signed = {p.name for p in (run.artifacts / "lumen-signed").iterdir()}
    assert {
        "lumen_ci-1.2.0.tar.gz.sigstore.json",
        "lumen_ci-1.2.0-py3-none-any.whl.sigstore.json",
        "lumen-ci.cdx.json.sigstore.json",
    } <= signed
    notes = (run.artifacts / "lumen-notes" / "notes.md").read_text(encoding="utf-8")
    assert "The flipback lock is released when the plan fails." in notes  # from CHANGELOG.md
    assert "lumen verify" in notes  # lumen notes' verification block
    (release,) = [
        r for r in double.state.repo(REPOSITORY).releases.values() if r.tag_name == "v1.2.0"
    ]
    assert not release.draft and not release.prerelease
    assert "lumen_ci-1.2.0-py3-none-any.whl.sigstore.json" in {a.name for a in release.assets}
    refs = double.state.repo(REPOSITORY).refs
    assert refs["tags/v1"] == refs["tags/v1.2.0"]  # the major tag moved after publishing


def test_a_tag_without_its_changelog_section_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    with pytest.raises(changelog.ChangelogError, match=r"no section `## \[9.9.9\]"):
        changelog.template(text, "v9.9.9")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "changelog.py"), "template", "v9.9.9"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "move the entries of [Unreleased]" in done.stderr


def test_the_changelog_keeps_the_keep_a_changelog_format() -> None:
    assert changelog.check((ROOT / "CHANGELOG.md").read_text(encoding="utf-8")) == []
    broken = "# Changelog\n\n## [Unreleased]\n\n### Stuff\n\n## 1.0 - yesterday\n"
    problems = changelog.check(broken)
    assert any("### Stuff" in p for p in problems)
    assert any("expected `## [X.Y.Z] - YYYY-MM-DD`" in p for p in problems)
    assert any("no link reference `[Unreleased]" in p for p in problems)


def test_template_keeps_the_section_and_what_lumen_notes_adds() -> None:
    text = f"# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-12-06\n\n{SECTION}\n"
    out = changelog.template(text, "v1.2.0")
    assert out.startswith(SECTION.strip())
    for variable in ("$DEPLOYMENT", "$CONTRIBUTORS", "$FULL_CHANGELOG", "ROI_SNAPSHOT_BLOCK"):
        assert variable in out


@pytest.mark.parametrize(
    ("tag", "major"),
    [("v1.2.0", "v1"), ("v12.0.3", "v12"), ("v1.3.0-rc.1", None), ("1.2.0", None)],
)
def test_only_release_tags_move_the_major_tag(tag: str, major: str | None) -> None:
    assert move_major_tag.major_tag(tag) == major


def test_version_comes_from_the_tag_with_a_fallback(tmp_path: Path) -> None:
    """A clone without tags still installs and reports a version (0.0.1.devN+g…); a clone
    tagged v3.4.5 builds 3.4.5. hatch-vcs writes lumen/VERSION, which lumen reads."""
    import lumen

    # "0+unknown" only where lumen was never built or installed since the version moved to
    # the tag (an old editable install: `pip install -e .` again writes lumen/VERSION)
    assert lumen.__version__
    repo = tagged_clone(tmp_path / "clone", "v3.4.5")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "version"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "3.4.5"
    untagged = tmp_path / "untagged"
    shutil.copytree(repo, untagged)
    git(untagged, "tag", "-d", "v3.4.5")
    done = subprocess.run(
        [sys.executable, "-m", "hatchling", "version"],
        cwd=untagged,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip().startswith("0.")
