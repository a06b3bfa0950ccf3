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


def test_init_writes_the_starter_workflows(tmp_path: Path) -> None:
    from lumen.resources import shipped_path

    assert main(["init", "--dir", str(tmp_path), "--quiet"]) == 0
    starters = sorted(p.name for p in shipped_path("workflows", "starters").glob("*.yml"))
    written = sorted(p.name for p in (tmp_path / ".github/workflows").glob("*.yml"))
    assert starters and written == starters
    for name in written:
        shipped = shipped_path("workflows", "starters", name).read_text()
        assert (tmp_path / ".github/workflows" / name).read_text() == shipped
