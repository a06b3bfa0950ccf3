"""`lumen sbom --environment` against the peer `cyclonedx-py environment` (cyclonedx-bom) on the
same interpreter: wall time from process start to a validated CycloneDX 1.6 JSON file (both
tools validate against the 1.6 schema before writing). Setup also proves component parity:
every component the peer lists, lumen lists with the same purl (tests/sbom asserts it too)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchlib import Case, Subject, venv_bin

# The small environment of tests/sbom: requests and its four dependencies, six, packaging.
SMALL = ("requests==2.32.3", "six==1.17.0", "packaging==26.3")


def _parity(python: str, work: Path) -> None:
    """Fail the case (before any timing) if lumen misses a component the peer lists."""
    peer_out, ours_out = work / "parity-peer.json", work / "parity-lumen.json"
    subprocess.run(
        [venv_bin("cyclonedx-py"), "environment", "--of", "JSON", "-o", str(peer_out), python],
        check=True,
    )
    subprocess.run(
        [venv_bin("lumen"), "sbom", "--environment", python, "--output", str(ours_out), "--quiet"],
        check=True,
    )
    peer = {c["purl"] for c in json.loads(peer_out.read_text())["components"] if "purl" in c}
    ours = {c.get("purl") for c in json.loads(ours_out.read_text())["components"]}
    missing = sorted(peer - ours)
    if not peer or missing:
        raise SystemExit(f"sbom parity: lumen misses {missing} of {len(peer)} peer purls")
    (work / "parity.txt").write_text(f"{len(peer)} peer purls, all present in lumen's SBOM\n")


def _small_venv(work: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(work / "venv")], check=True)
    python = str(work / "venv" / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *SMALL],
        check=True,
    )
    _parity(python, work)


def _large_env(work: Path) -> None:
    _parity(sys.executable, work)


def _case(name: str, description: str, python: str, setup) -> Case:  # type: ignore[no-untyped-def]
    return Case(
        name=name,
        description=description,
        subject=Subject(
            "lumen sbom --environment",
            [
                venv_bin("lumen"),
                "sbom",
                "--environment",
                python,
                "--output",
                "{work}/lumen.cdx.json",
                "--quiet",
            ],
        ),
        peer=Subject(
            "cyclonedx-py environment",
            [
                venv_bin("cyclonedx-py"),
                "environment",
                "--of",
                "JSON",
                "-o",
                "{work}/peer.cdx.json",
                python,
            ],
        ),
        setup=setup,
        repeat=11,
        warmup=2,
        budget=1.0,
    )


CASES = [
    _case(
        "environment-small",
        "A fresh venv with requests (+4 dependencies), six, packaging, pip and setuptools "
        "(9 distributions): fixed costs (start-up, imports, schema) dominate.",
        "{work}/venv/bin/python",
        _small_venv,
    ),
    _case(
        "environment-large",
        "The bench venv itself (lumen with its test and bench extras: ~100 distributions).",
        sys.executable,
        _large_env,
    ),
]
