"""Core metadata as the standard library reads it, on every distribution of the test environment.

The oracle is `importlib.metadata` (email.parser underneath) and `packaging` for requirements
and markers; the subject is the probe `lumen.adapters.python_env` runs in the inventoried
interpreter, and the SBOM `lumen sbom --environment` makes from it.
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from lumen.adapters import python_env
from lumen.cli import main


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def report() -> dict:
    return python_env.inventory(sys.executable)


@pytest.fixture(scope="module")
def installed() -> dict[str, metadata.Distribution]:
    """Distributions importlib.metadata finds, first on the path wins (as for imports)."""
    out: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            out.setdefault(_norm(name), dist)
    return out


def test_every_distribution_reads_as_importlib_metadata_reads_it(report, installed):
    packages = {_norm(p["name"]): p for p in report["packages"]}
    assert set(packages) == set(installed)
    assert len(packages) > 50, "the test environment should be the full one"
    for key, dist in installed.items():
        meta = dist.metadata
        got = packages[key]
        assert got["name"] == meta["Name"], key
        assert got["version"] == meta["Version"], key
        assert got["summary"] == meta["Summary"], key
        assert got["license"] == meta["License"], key
        assert got["license_expression"] == meta["License-Expression"], key
        assert got["license_files"] == (meta.get_all("License-File") or []), key
        licence_classifiers = [
            c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")
        ]
        assert got["classifiers"] == licence_classifiers, key
        assert [r["name"] for r in got["requires"]] == [
            Requirement(r).name for r in dist.requires or []
        ], key


def test_markers_evaluate_as_packaging_evaluates_them(report, installed):
    """Every Requires-Dist marker of the environment, with no extra and with each extra the
    distribution provides, gives packaging's answer."""
    checked = 0
    packages = {_norm(p["name"]): p for p in report["packages"]}
    for key, dist in installed.items():
        provided = [_norm(e) for e in dist.metadata.get_all("Provides-Extra") or []]
        for text, got in zip(dist.requires or [], packages[key]["requires"], strict=True):
            req = Requirement(text)
            assert got["extras"] == sorted(_norm(e) for e in req.extras), text
            if req.marker is None:
                assert got.get("base", True), text
                continue
            checked += 1
            base = req.marker.evaluate({**default_environment(), "extra": ""})
            assert got["base"] is base, text
            if not base:
                when = [e for e in provided if req.marker.evaluate({"extra": e})]
                assert got["extras_when"] == when, text
    assert checked > 100


def _expected_edges(installed: dict[str, metadata.Distribution]) -> set[tuple[str, str]]:
    """(from, to) edges importlib.metadata + packaging report for this interpreter: base
    requirements whose marker holds, plus those of every extra something installed asks for."""
    reqs = {key: [Requirement(r) for r in dist.requires or []] for key, dist in installed.items()}
    requested: dict[str, set[str]] = {}
    pending = [
        (_norm(r.name), r.extras)
        for rs in reqs.values()
        for r in rs
        if r.extras and (r.marker is None or r.marker.evaluate({"extra": ""}))
    ]
    while pending:
        key, extras = pending.pop()
        new = {_norm(e) for e in extras} - requested.setdefault(key, set())
        if not new:
            continue
        requested[key] |= new
        for r in reqs.get(key, []):
            if r.marker is not None and any(r.marker.evaluate({"extra": e}) for e in new):
                pending.append((_norm(r.name), r.extras))
    edges = set()
    for key, rs in reqs.items():
        for r in rs:
            target = _norm(r.name)
            if target not in installed or target == key:
                continue
            live = r.marker is None or any(
                r.marker.evaluate({"extra": e}) for e in ["", *requested.get(key, ())]
            )
            if live:
                edges.add((key, target))
    return edges


def test_environment_sbom_has_every_edge_importlib_metadata_reports(installed, tmp_path):
    out = tmp_path / "env.cdx.json"
    assert main(["sbom", "--environment", sys.executable, "--output", str(out), "--quiet"]) == 0
    document = json.loads(out.read_text())
    name_of = {c["bom-ref"]: _norm(c["name"]) for c in document["components"]}
    edges = {
        (name_of[d["ref"]], name_of[t])
        for d in document["dependencies"]
        if d["ref"] in name_of
        for t in d.get("dependsOn", ())
    }
    expected = _expected_edges(installed)
    assert expected - edges == set(), "edges missing from the SBOM"
    assert edges - expected == set(), "edges importlib.metadata does not report"
    # The case that started it: a multi-line License field hid everything after it.
    assert ("sigstore-rekor-types", "pydantic") in edges
    assert ("pydantic", "email-validator") in edges  # pydantic[email], asked for by rekor-types
    rekor = next(c for c in document["components"] if c["name"] == "sigstore-rekor-types")
    assert rekor["licenses"] == [
        {
            "license": {
                "name": "License :: OSI Approved :: Apache Software License",
                "acknowledgement": "declared",
            }
        }
    ]
    assert {"name": "lumen:license-file", "value": "LICENSE"} in rekor["properties"]
