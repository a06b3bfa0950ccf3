"""Fixtures of the SBOM tests: a real virtual environment with packages from the registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lumen.fileio import locked

# Small, pure-Python, and between them: an SPDX id (six: MIT), a PEP 639 expression
# (packaging: Apache-2.0 OR BSD-2-Clause), a dependency graph (requests -> certifi,
# charset-normalizer, idna, urllib3).
PACKAGES = ("requests==2.32.3", "six==1.17.0", "packaging==26.3")


@pytest.fixture(scope="session")
def test_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the python of a venv built once per session (shared by xdist workers)."""
    root = tmp_path_factory.getbasetemp().parent / "lumen-sbom-venv"
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / ".lock"):
        python = root / "venv" / "bin" / "python"
        stamp = root / "ready.json"
        if not (stamp.exists() and json.loads(stamp.read_text()) == list(PACKAGES)):
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(root / "venv")], check=True
            )
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *PACKAGES,
                ],
                check=True,
            )
            stamp.write_text(json.dumps(list(PACKAGES)))
    return python


@pytest.fixture(scope="session")
def venv_pip_list(test_venv: Path) -> dict[str, str]:
    """What pip itself says is installed: the oracle the SBOM is checked against."""
    out = subprocess.run(
        [str(test_venv), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {row["name"].lower().replace("_", "-"): row["version"] for row in json.loads(out)}


def _validate(path: Path) -> dict:
    """Validate with cyclonedx-python-lib's strict 1.6 validator, directly (not via lumen)."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.validation.xml import XmlValidator

    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        error = XmlValidator(SchemaVersion.V1_6).validate_str(text)
        assert error is None, f"{path} is not valid CycloneDX 1.6 XML: {error}"
        return {}
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, f"{path} is not valid CycloneDX 1.6: {error}"
    document = json.loads(text)
    assert document["specVersion"] == "1.6"
    return document


@pytest.fixture
def valid_cdx():
    """`valid_cdx(path)`: the parsed SBOM, after asserting it is valid CycloneDX 1.6."""
    return _validate


@pytest.fixture(autouse=True)
def _outside_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test in its own folder: the checkout's pyproject.toml must not become the root."""
    monkeypatch.chdir(tmp_path)
