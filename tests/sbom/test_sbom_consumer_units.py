"""Known answers and properties of the pure parts: dependency snapshot, Dependency-Track checks,
SPDX relationships."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gates.result import Verdict
from release.dependency_snapshot import snapshot
from release.dependency_track_gate import findings_checks
from release.spdx import dependency_edges, spdx_document, spdx_id


def _cdx(edges: dict[str, list[str]], root: bool) -> dict:
    components = [
        {
            "type": "library",
            "bom-ref": f"pkg:pypi/{n}@1.0",
            "name": n,
            "version": "1.0",
            "purl": f"pkg:pypi/{n}@1.0",
        }
        for n in edges
    ]
    deps = [
        {"ref": f"pkg:pypi/{n}@1.0", "dependsOn": sorted(f"pkg:pypi/{t}@1.0" for t in targets)}
        for n, targets in edges.items()
    ]
    metadata: dict = {}
    if root:
        metadata["component"] = {
            "type": "application",
            "bom-ref": "pkg:pypi/app@9",
            "name": "app",
            "version": "9",
        }
        deps.append(
            {"ref": "pkg:pypi/app@9", "dependsOn": [f"pkg:pypi/{n}@1.0" for n in list(edges)[:1]]}
        )
    return {"metadata": metadata, "components": components, "dependencies": deps}


names = st.sampled_from(["a", "b", "c", "d", "e", "f"])
graphs = st.dictionaries(names, st.lists(names, max_size=4, unique=True), min_size=1)


@settings(max_examples=60, deadline=None)
@given(graphs, st.booleans())
def test_spdx_depends_on_is_exactly_the_cyclonedx_graph(edges, root):
    edges = {n: [t for t in ts if t in edges] for n, ts in edges.items()}
    cdx = _cdx(edges, root)
    document = spdx_document(
        cdx, created="2026-01-01T00:00:00Z", namespace="https://x.example/1", tool="t-1"
    )
    expected = {
        (spdx_id("Package", d["ref"]), spdx_id("Package", t))
        for d in cdx["dependencies"]
        for t in d["dependsOn"]
    }
    assert dependency_edges(document) == expected


def test_snapshot_known_answer():
    cdx = _cdx({"a": ["b"], "b": [], "c": []}, root=True)
    cdx["components"].append(
        {"type": "library", "bom-ref": "local==1", "name": "local", "version": "1"}
    )
    body = snapshot(
        cdx,
        manifest="pyproject.toml",
        source_location="pyproject.toml",
        sha="a" * 40,
        ref="refs/heads/main",
        job_id="42",
        correlator="ci_sbom_pyproject.toml",
        scanned="2026-01-01T00:00:00Z",
        detector_version="1.0",
    )
    resolved = body["manifests"]["pyproject.toml"]["resolved"]
    assert resolved == {
        "a@1.0": {
            "package_url": "pkg:pypi/a@1.0",
            "relationship": "direct",
            "scope": "runtime",
            "dependencies": ["pkg:pypi/b@1.0"],
        },
        "b@1.0": {
            "package_url": "pkg:pypi/b@1.0",
            "relationship": "indirect",
            "scope": "runtime",
            "dependencies": [],
        },
        "c@1.0": {
            "package_url": "pkg:pypi/c@1.0",
            "relationship": "indirect",
            "scope": "runtime",
            "dependencies": [],
        },
    }  # `local` has no purl: GitHub could not match it, so it is left out
    assert body["manifests"]["pyproject.toml"]["file"] == {"source_location": "pyproject.toml"}
    assert (body["sha"], body["ref"], body["job"]) == (
        "a" * 40,
        "refs/heads/main",
        {"id": "42", "correlator": "ci_sbom_pyproject.toml"},
    )
    # No root: what nothing else requires is direct.
    no_root = snapshot(
        _cdx({"a": ["b"], "b": []}, root=False),
        manifest="environment",
        source_location=None,
        sha="a" * 40,
        ref="refs/heads/main",
        job_id="1",
        correlator="c",
        scanned="2026-01-01T00:00:00Z",
        detector_version="1",
    )
    rel = {k: v["relationship"] for k, v in no_root["manifests"]["environment"]["resolved"].items()}
    assert rel == {"a@1.0": "direct", "b@1.0": "indirect"}
    assert "file" not in no_root["manifests"]["environment"]


def test_findings_checks_known_answers():
    severities = {"critical": 2, "high": 1, "medium": 0, "low": 5, "unassigned": 0}
    violations = {"FAIL": 1, "WARN": 0, "INFO": 3}
    listed = [
        {
            "type": "LICENSE",
            "policyCondition": {"policy": {"name": "no-gpl", "violationState": "FAIL"}},
            "component": {"name": "x", "version": "1"},
        },
        {
            "type": "OPERATIONAL",
            "policyCondition": {"policy": {"name": "old", "violationState": "INFO"}},
            "component": {"name": "y", "version": "2"},
        },
    ]
    limits = {
        "max-critical": 2,
        "max-high": 0,
        "max-low": None,
        "max-policy-fail": 0,
        "max-policy-info": 5,
    }
    checks = {
        c.name: c for c in findings_checks(severities, violations, limits, violation_list=listed)
    }
    assert set(checks) == {
        "dependency-track:critical",
        "dependency-track:high",
        "dependency-track:policy-fail",
        "dependency-track:policy-info",
    }
    assert checks["dependency-track:critical"].verdict is Verdict.PASS  # 2 <= 2
    assert checks["dependency-track:high"].verdict is Verdict.FAIL
    assert checks["dependency-track:policy-fail"].verdict is Verdict.FAIL
    assert checks["dependency-track:policy-fail"].reason.endswith("no-gpl (LICENSE) on x 1")
    assert checks["dependency-track:policy-info"].verdict is Verdict.PASS
    assert all(c.key for c in checks.values())


@given(st.integers(0, 50), st.integers(0, 50))
def test_a_count_fails_exactly_when_it_passes_its_limit(count, limit):
    [check] = findings_checks({"critical": count}, {}, {"max-critical": limit})
    assert (check.verdict is Verdict.FAIL) == (count > limit)
