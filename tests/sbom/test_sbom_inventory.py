"""The interpreter probe on a hand-built site-packages (known answers), and properties of the
licence-expression and diff logic."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import product
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from lumen.adapters import python_env
from release.environment import components_from_report
from release.license_gate import satisfiable
from release.sbom_diff import diff


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def _dist(site: Path, folder: str, metadata: str, files: dict[str, str] | None = None) -> None:
    target = site / folder
    target.mkdir(parents=True)
    (target / ("PKG-INFO" if folder.endswith(".egg-info") else "METADATA")).write_text(metadata)
    for name, text in (files or {}).items():
        (target / name).write_text(text)


def test_probe_reads_metadata_headers_known_answer(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = _site_packages(venv)
    _dist(
        site,
        "Alpha_Pkg-1.2.dist-info",
        "Metadata-Version: 2.4\nName: Alpha_Pkg\nVersion: 1.2\nSummary: first\n"
        "License-Expression: MIT OR Apache-2.0\nAuthor-email: Ann <ann@example.org>\n"
        "Provides-Extra: fast\n"
        'Requires-Dist: beta>=1\nRequires-Dist: gamma; extra == "fast"\n'
        'Requires-Dist: winonly; sys_platform == "win32"\n'
        "\nLong description\nLicense: not a header, the body\n",
    )
    _dist(
        site,
        "beta-2.0.dist-info",
        "Metadata-Version: 2.1\nName: beta\nVersion: 2.0\nLicense: Copyright (c) 2020 Beta\n"
        "        Permission is hereby granted...\n"
        # A continuation line of blanks (sigstore-rekor-types' pasted Apache text has them):
        # the fields after it still belong to the header.
        "        \n"
        "        THE SOFTWARE IS PROVIDED AS IS\n"
        "Classifier: License :: OSI Approved :: BSD License\nMaintainer: Bea\n",
        {"direct_url.json": '{"url": "file:///src/beta", "dir_info": {"editable": true}}'},
    )
    _dist(site, "gamma-0.1.egg-info", "Metadata-Version: 1.1\nName: gamma\nVersion: 0.1\n")
    (site / "gamma-0.1.egg-info" / "requires.txt").write_text("beta\n\n[docs]\nsphinx\n")
    # A later sys.path entry (added by a .pth file) with another copy: shadowed, not listed.
    extra = tmp_path / "extra-path"
    _dist(extra, "alpha_pkg-9.9.dist-info", "Name: alpha-pkg\nVersion: 9.9\n")
    _dist(extra, "delta-1.0.dist-info", "Name: delta\nVersion: 1.0\n")  # this one is listed
    (site / "extra.pth").write_text(str(extra) + "\n")
    report = python_env.inventory(str(venv / "bin" / "python"))
    assert report["prefix"] == str(venv)
    packages = {p["name"]: p for p in report["packages"]}
    # The first copy of a name on sys.path wins, as for imports.
    assert set(packages) == {"Alpha_Pkg", "beta", "gamma", "delta"}
    alpha = packages["Alpha_Pkg"]
    assert (alpha["version"], alpha["summary"], alpha["license"]) == ("1.2", "first", None)
    assert alpha["requires"] == [
        {"name": "beta", "extras": []},
        {"name": "gamma", "extras": [], "base": False, "extras_when": ["fast"]},
        {"name": "winonly", "extras": [], "base": False, "extras_when": []},
    ]
    assert packages["beta"]["local"] is True
    # The value as importlib.metadata reads it (email.parser, continuation lines kept).
    assert packages["beta"]["license"] == (
        "Copyright (c) 2020 Beta\nPermission is hereby granted...\n\nTHE SOFTWARE IS PROVIDED AS IS"
    )
    assert packages["beta"]["classifiers"] == ["License :: OSI Approved :: BSD License"]
    assert packages["beta"]["maintainer"] == "Bea"

    comps = {
        c.name: c for c in components_from_report(report, root_requires=[("Alpha-Pkg", ["fast"])])
    }
    assert comps["Alpha_Pkg"].licenses == ("MIT OR Apache-2.0",)
    assert comps["Alpha_Pkg"].requires == ("beta", "gamma")  # the root asks for [fast]
    assert comps["Alpha_Pkg"].supplier == "Ann"
    assert comps["beta"].licenses == ("License :: OSI Approved :: BSD License",)  # text dropped
    assert (comps["beta"].purl, comps["beta"].supplier) == (False, "Bea")
    assert comps["gamma"].requires == ("beta",)  # sphinx: docs extra, not installed anyway
    without_extra = {c.name: c for c in components_from_report(report)}
    assert without_extra["Alpha_Pkg"].requires == ("beta",)
    assert json.dumps(report)  # plain JSON all the way


# --- properties ------------------------------------------------------------------------------

IDS = ["MIT", "Apache-2.0", "GPL-3.0-only", "BSD-3-Clause"]


@st.composite
def expressions(draw, depth=0):
    if depth >= 3 or draw(st.booleans()):
        ident = draw(st.sampled_from(IDS))
        return ident, [[ident]]
    op = draw(st.sampled_from(["AND", "OR"]))
    left, lchoices = draw(expressions(depth=depth + 1))
    right, rchoices = draw(expressions(depth=depth + 1))
    if op == "OR":
        choices = lchoices + rchoices
    else:
        choices = [a + b for a, b in product(lchoices, rchoices)]
    return f"({left} {op} {right})", choices


@settings(max_examples=300, deadline=None)
@given(expressions(), st.sets(st.sampled_from(IDS)))
def test_satisfiable_equals_brute_force_over_choices(expression, allowed):
    """Some way to comply (a set of licences one must accept) uses allowed ids only."""
    text, choices = expression
    expected = any(all(i in allowed for i in choice) for choice in choices)
    assert satisfiable(text, lambda i: i in allowed) is expected


components = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["1", "2", "3"])),
    unique_by=lambda t: t[0],
    max_size=4,
)


def _doc(pairs):
    return {
        "components": [{"name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"} for n, v in pairs]
    }


@given(components, components)
def test_diff_is_antisymmetric(old, new):
    forward, backward = diff(_doc(old), _doc(new)), diff(_doc(new), _doc(old))
    assert [c.name for c in forward.added] == [c.name for c in backward.removed]
    assert [(c.name, c.old, c.new) for c in forward.bumped] == [
        (c.name, c.new, c.old) for c in backward.bumped
    ]
    assert diff(_doc(old), _doc(old)).empty
