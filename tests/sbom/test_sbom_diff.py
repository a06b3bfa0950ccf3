"""`lumen sbom diff` and release.sbom_diff: known answers from two hand-written SBOMs."""

from __future__ import annotations

import json

from lumen.cli import main
from release.sbom_diff import diff, render_markdown, render_text


def _c(name, version, licence=None, purl=True, **extra):
    comp = {"type": "library", "name": name, "version": version, **extra}
    if purl:
        comp["purl"] = f"pkg:pypi/{name.lower()}@{version}"
    if licence:
        comp["licenses"] = [{"license": {"id": licence}}]
    return comp


OLD = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "components": [
        _c("Alpha", "1.0", "MIT"),
        _c("beta", "2.0", "Apache-2.0"),
        _c("gamma", "1.0", "BSD-3-Clause"),
        _c("local_thing", "0.1", purl=False),
        {"type": "file", "name": "app.whl", "hashes": []},
    ],
}
NEW = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "components": [
        _c("alpha", "1.1", "MIT"),
        _c("gamma", "1.0", "BSD-3-Clause"),
        _c("delta", "0.1", "GPL-3.0-only"),
        _c("Local-Thing", "0.2", purl=False),
        {"type": "file", "name": "app.whl", "hashes": []},
        {
            "type": "library",
            "name": "eps",
            "version": "1",
            "purl": "pkg:pypi/eps@1",
            "licenses": [{"expression": "MIT OR LGPL-2.1-only"}],
        },
    ],
}


def test_diff_known_answer():
    change = diff(OLD, NEW)
    assert [(c.name, c.new) for c in change.added] == [("delta", "0.1"), ("eps", "1")]
    assert [(c.name, c.old) for c in change.removed] == [("beta", "2.0")]
    # Matched across spellings: purl names are normalized, purl-less names PEP 503-normalized.
    assert [(c.name, c.old, c.new) for c in change.bumped] == [
        ("alpha", "1.0", "1.1"),
        ("Local-Thing", "0.1", "0.2"),
    ]
    assert dict(change.new_licenses) == {
        "GPL-3.0-only": ("delta@0.1",),
        "MIT OR LGPL-2.1-only": ("eps@1",),
    }
    assert diff(NEW, NEW).empty


def test_renderings():
    change = diff(OLD, NEW)
    assert render_text(change).splitlines()[0] == ("added 2, removed 1, bumped 2, new licences 2")
    markdown = render_markdown(change)
    assert (
        "#### Dependencies bumped\n\n- `alpha` 1.0 → 1.1\n- `Local-Thing` 0.1 → 0.2\n" in markdown
    )
    assert "- GPL-3.0-only: delta@0.1" in markdown
    assert render_markdown(diff(OLD, OLD)) == ""


def test_several_versions_of_one_name():
    old = {"components": [_c("x", "1"), _c("x", "2")]}
    new = {"components": [_c("x", "2"), _c("x", "3"), _c("x", "4")]}
    change = diff(old, new)
    assert [(c.old, c.new) for c in change.bumped] == []
    assert [c.old for c in change.removed] == ["1"]
    assert [c.new for c in change.added] == ["3", "4"]


def test_cli_diff(tmp_path, capsys):
    old, new, out = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "diff.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    assert main(["sbom", "diff", str(old), str(new), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "  ~ alpha 1.0 -> 1.1" in printed and "  - beta 2.0" in printed
    written = json.loads(out.read_text())
    assert written["bumped"][0] == {
        "name": "alpha",
        "identity": "pkg:pypi/alpha",
        "old": "1.0",
        "new": "1.1",
        "licenses": ["MIT"],
    }
    assert written["new_licenses"]["GPL-3.0-only"] == ["delta@0.1"]


def test_cli_diff_of_real_sboms(test_venv, tmp_path, capsys, valid_cdx):
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.16.0\nattrs==23.1.0\n")
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert main(["sbom", "--requirements", str(req), "--output", str(old), "--quiet"]) == 0
    assert main(["sbom", "--environment", str(test_venv), "--output", str(new), "--quiet"]) == 0
    valid_cdx(old)
    valid_cdx(new)
    capsys.readouterr()
    assert main(["sbom", "diff", str(old), str(new)]) == 0
    printed = capsys.readouterr().out
    assert "  ~ six 1.16.0 -> 1.17.0" in printed
    assert "  - attrs 23.1.0" in printed
    assert "  + requests 2.32.3" in printed


def test_cli_diff_errors(tmp_path, capsys):
    assert main(["sbom", "diff", "only-one.json"]) == 1
    assert "takes two SBOMs, got 1" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"spdxVersion": "SPDX-2.3"}')
    assert main(["sbom", "diff", str(bad), str(bad)]) == 1
    assert "bad.json: bomFormat: not a CycloneDX JSON document" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{\n  nope\n}")
    assert main(["sbom", "diff", str(broken), str(bad)]) == 1
    assert "broken.json:2: not valid JSON" in capsys.readouterr().err
    assert main(["sbom", "extra-word"]) == 1
    assert "invalid choice" in capsys.readouterr().err


def test_diff_through_action_inputs(tmp_path, monkeypatch, capsys):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    monkeypatch.setenv("INPUT_SUBCOMMAND", "diff")
    monkeypatch.setenv("INPUT_FILES", f"{old}\n{new}\n")
    assert main(["--inputs-from-env", "sbom"]) == 0
    assert "added 2, removed 1, bumped 2" in capsys.readouterr().out
