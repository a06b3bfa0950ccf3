"""Hashes where they are known: lock files, PEP 610 archive hashes, a wheel's RECORD."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from lumen.adapters import python_env
from lumen.cli import main
from release.environment import components_from_report
from release.sbom import record_entries

DATA = Path(__file__).parent / "data"


def _expected_sha256(kind: str) -> dict[str, set[str]]:
    """Every SHA-256 the lock file states, by package name (read here independently)."""
    text = (DATA / kind).read_text()
    out: dict[str, set[str]] = {}
    if kind.startswith("requirements"):
        for line in text.replace("\\\n", " ").splitlines():
            if "--hash=sha256:" in line:
                name = line.split("==", 1)[0].split("[", 1)[0].strip().lower()
                out[name] = {
                    p.split(":", 1)[1] for p in line.split() if p.startswith("--hash=sha256:")
                }
        return out
    doc = tomllib.loads(text)
    for package in doc.get("package") or doc.get("packages") or []:
        found = set()
        tables = [package.get("sdist"), package.get("archive"), *(package.get("wheels") or [])]
        tables += package.get("files") or []
        for table in tables:
            if not isinstance(table, dict):
                continue
            if isinstance(table.get("hash"), str) and table["hash"].startswith("sha256:"):
                found.add(table["hash"].split(":", 1)[1])
            if "sha256" in (table.get("hashes") or {}):
                found.add(table["hashes"]["sha256"])
        if found:
            out[package["name"].lower()] = found
    return out


@pytest.mark.parametrize("kind", ["requirements.txt", "poetry.lock", "uv.lock", "pylock.toml"])
def test_a_lock_file_with_hashes_gives_sha256_components(kind, tmp_path, valid_cdx):
    expected = _expected_sha256(kind)
    assert expected, f"{kind} states no SHA-256: the test would prove nothing"
    out = tmp_path / "sbom.json"
    assert main(["sbom", "--requirements", str(DATA / kind), "--output", str(out), "--quiet"]) == 0
    components = {c["name"].lower(): c for c in valid_cdx(out)["components"]}
    for name, digests in expected.items():
        got = {h["content"] for h in components[name].get("hashes", []) if h["alg"] == "SHA-256"}
        assert got == digests, name


def test_archive_hashes_from_pep_610(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    dist = site / "demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    digest = hashlib.sha256(b"demo wheel").hexdigest()
    (dist / "direct_url.json").write_text(
        json.dumps(
            {
                "url": "file:///w/demo-1.0-py3-none-any.whl",
                "archive_info": {"hash": f"sha256={digest}"},
            }
        )
    )
    [demo] = components_from_report(python_env.inventory(str(venv / "bin" / "python")))
    assert demo.hashes == (("sha256", digest),)


def _wheel(path: Path, files: dict[str, bytes], *, tamper: str | None = None) -> Path:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = [
        f"{name},sha256={b64(b'x' if name == tamper else data)},{len(data)}"
        for name, data in files.items()
    ]
    record.append("demo-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("demo-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return path


FILES = {
    "demo/__init__.py": b"VERSION = '1.0'\n",
    "demo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
}


def test_wheel_artifact_lists_its_files_with_record_hashes(tmp_path, valid_cdx):
    wheel = _wheel(tmp_path / "demo-1.0-py3-none-any.whl", FILES)
    out = tmp_path / "sbom.json"
    assert main(["sbom", "--artifact", str(wheel), "--output", str(out), "--quiet"]) == 0
    [artifact] = valid_cdx(out)["components"]
    assert artifact["version"] == "1.0"
    assert {h["alg"] for h in artifact["hashes"]} == {"SHA-256", "SHA-512"}
    inner = {c["name"]: c["hashes"] for c in artifact["components"]}
    assert inner == {
        name: [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}]
        for name, data in FILES.items()
    }


def test_a_record_that_lies_is_an_error_and_nothing_is_written(tmp_path, capsys):
    wheel = _wheel(tmp_path / "demo-1.0-py3-none-any.whl", FILES, tamper="demo/__init__.py")
    out = tmp_path / "sbom.json"
    assert main(["sbom", "--artifact", str(wheel), "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "demo/__init__.py: RECORD says sha256" in err and "Traceback" not in err
    assert not out.exists()


def test_record_entries_known_answer_and_bad_hash():
    data = b"hello"
    encoded = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    text = f"a/b.py,sha256={encoded},5\nx.dist-info/RECORD,,\n"
    assert record_entries(text) == (("a/b.py", "sha256", hashlib.sha256(data).hexdigest()),)
    from gates.errors import InputError

    with pytest.raises(InputError, match="RECORD:1: hash"):
        record_entries("a/b.py,sha256,5\n")
