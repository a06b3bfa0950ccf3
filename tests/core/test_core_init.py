"""`lumen init` writes a config that validates, and refuses to overwrite without --force."""

from __future__ import annotations

from pathlib import Path

from lumen.cli import main
from lumen.config import load_config


def test_init_writes_valid_config(tmp_path: Path, capsys) -> None:
    assert main(["init", "--dir", str(tmp_path), "--no-workflows"]) == 0
    config = load_config(str(tmp_path / ".github/lumen.yml"))
    assert config.env() == "prod"
    assert config.section("roi", env="production")["min-success-rate"] == 0.90
    assert "wrote" in capsys.readouterr().out


def test_init_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    assert main(["init", "--dir", str(tmp_path), "--no-workflows"]) == 0
    target = tmp_path / ".github/lumen.yml"
    target.write_text("env: dev\n")
    assert main(["init", "--dir", str(tmp_path), "--no-workflows"]) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_text() == "env: dev\n"
    assert main(["init", "--dir", str(tmp_path), "--no-workflows", "--force"]) == 0
    assert target.read_text().startswith("# Lumen CI configuration")


def test_init_bad_dir(tmp_path: Path) -> None:
    assert main(["init", "--dir", str(tmp_path / "missing")]) == 1


def test_init_writes_the_pr_gate_by_default_and_says_what_comes_next(
    tmp_path: Path, capsys
) -> None:
    assert main(["init", "--dir", str(tmp_path)]) == 0
    written = sorted(p.name for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert written == ["lumen-pr-gate.yml"]
    out = capsys.readouterr().out
    assert "Next steps:" in out
    assert "actions: read" in out and "deployments: read" in out  # the permissions
    assert '"Lumen gates"' in out  # the required check's name
    assert '"lumen/integrated"' in out  # the one a fork cannot forge
    assert "lumen-data" in out  # the data branch


def test_init_workflows_on_request_and_unknown_names_refused(tmp_path: Path, capsys) -> None:
    assert main(["init", "--dir", str(tmp_path), "--workflows", "nightly,comment", "--quiet"]) == 0
    written = sorted(p.name for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert written == ["lumen-comment.yml", "lumen-nightly.yml"]
    assert main(["init", "--dir", str(tmp_path), "--workflows", "nightly,deploy"]) == 1
    assert "deploy" in capsys.readouterr().err
    # the config exists now: a second init refuses without --force, and writes nothing
    assert main(["init", "--dir", str(tmp_path), "--workflows", "release", "--quiet"]) == 1
    assert not (tmp_path / ".github/workflows/lumen-release.yml").exists()


def test_init_writes_the_starter_workflows(tmp_path: Path) -> None:
    from lumen.commands.init import STARTERS
    from lumen.resources import shipped_path

    every = ",".join(STARTERS)
    assert main(["init", "--dir", str(tmp_path), "--workflows", every, "--quiet"]) == 0
    starters = sorted(p.name for p in shipped_path("workflows", "starters").glob("*.yml"))
    written = sorted(p.name for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert starters and written == starters
    for name in written:
        shipped = shipped_path("workflows", "starters", name).read_text()
        assert (tmp_path / ".github/workflows" / name).read_text() == shipped
