"""Requirements and lock files (hand-written fixtures in tests/sbom/data), through the parsers
and through `lumen sbom`; every SBOM is checked against the official CycloneDX 1.6 schema."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gates.errors import InputError
from lumen.cli import main
from release import lockfiles
from release.sbom import Component, merge

DATA = Path(__file__).parent / "data"
CERTIFI_WHL = "123be5b01e5a31549c3cba610a83c5d31916cf13d1d5d1a0dce697c78b887de7"
CERTIFI_SDIST = "5e1e6c71ccaa1603fac2b9a249db7b40636fb1c67155b54672c5df1fc6e87d8f"
REQUESTS_WHL = "5d3afea1ef9a9ce40e9a5ac897036cafb93b58cd14558e0183af57cfeedcd6fe"
REQUESTS_SDIST = "9f66f60b72fa17698c5f5f2511db1c139eb9fbf3dc52bc60a1d6d79c0a56b038"
IDNA_WHL = "3543cb15f59dc9f74e40a512117a34d0f41a92be06dbfd6aa55b7a4160d08879"
IDNA_SDIST = "583173fe9ad1b3b3b46b18836d939142f0734c8a76fc5f9d15d1563c7dca54c9"


def _parse(name: str) -> lockfiles.Parsed:
    path = DATA / name
    return lockfiles.parse(lockfiles.kind_of(name), path.read_text(), name)


def _summary(parsed: lockfiles.Parsed) -> dict[str, tuple]:
    return {
        c.name: (c.version, tuple(d for _, d in c.hashes), c.requires, c.purl)
        for c in parsed.components
    }


def test_kind_is_chosen_by_file_name():
    assert lockfiles.kind_of("a/poetry.lock") == "poetry"
    assert lockfiles.kind_of("uv.lock") == "uv"
    assert lockfiles.kind_of("pylock.toml") == "pylock"
    assert lockfiles.kind_of("pylock.dev.toml") == "pylock"
    assert lockfiles.kind_of("requirements/prod.txt") == "requirements"


def test_requirements_pins_hashes_and_includes():
    parsed = _parse("requirements.txt")
    assert parsed.includes == ("requirements-base.txt",)
    assert _summary(parsed) == {
        "certifi": ("2024.8.30", (CERTIFI_WHL, CERTIFI_SDIST), (), True),
        "requests": ("2.32.3", (REQUESTS_WHL,), (), True),
        "urllib3": (None, (), (), True),
        "local-tool": (None, (), (), False),
    }
    assert all(alg == "sha256" for c in parsed.components for alg, _ in c.hashes)


def test_requirements_bad_line_names_file_and_line():
    with pytest.raises(InputError) as caught:
        lockfiles.parse_requirements("six==1.17.0\n\n!!! not a requirement\n", "req.txt")
    assert str(caught.value).startswith("req.txt:3: cannot read requirement")


def test_poetry_lock():
    parsed = _parse("poetry.lock")
    assert _summary(parsed) == {
        "certifi": ("2024.8.30", (CERTIFI_WHL, CERTIFI_SDIST), (), True),
        "idna": ("3.10", (IDNA_WHL,), (), True),
        "my-plugin": ("0.3.0", (), (), False),
        "requests": ("2.32.3", (REQUESTS_WHL, REQUESTS_SDIST), ("certifi", "idna"), True),
    }
    assert parsed.components[0].description == "Python package for providing Mozilla's CA Bundle."


def test_uv_lock_root_and_hashes():
    parsed = _parse("uv.lock")
    assert parsed.root is not None
    assert (parsed.root.name, parsed.root.version, parsed.root.requires) == (
        "demo-app",
        "1.4.0",
        ("requests",),
    )
    assert _summary(parsed) == {
        "certifi": ("2024.8.30", (CERTIFI_SDIST, CERTIFI_WHL), (), True),
        "idna": ("3.10", (IDNA_SDIST, IDNA_WHL), (), True),
        "requests": ("2.32.3", (REQUESTS_SDIST, REQUESTS_WHL), ("certifi", "idna"), True),
    }


def test_pylock_toml():
    parsed = _parse("pylock.toml")
    assert _summary(parsed) == {
        "certifi": ("2024.8.30", (CERTIFI_WHL,), (), True),
        "requests": ("2.32.3", (REQUESTS_SDIST, REQUESTS_WHL), ("certifi",), True),
        "demo-lib": (None, (), (), False),
    }


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("poetry.lock", '[[package]\nname = "x"\n', "poetry.lock:1: not valid TOML"),
        ("uv.lock", 'version = 1\n[[package]]\nversion = "1"\n', "uv.lock: package[0].name"),
        ("pylock.toml", 'lock-version = "2.0"\n', "pylock.toml: lock-version: unsupported"),
        ("poetry.lock", 'package = "nope"\n', "poetry.lock: package: must be an array"),
        (
            "uv.lock",
            '[[package]]\nname = "x"\nversion = 3\n',
            "uv.lock: package[0].version: is int",
        ),
    ],
)
def test_lock_errors_name_file_and_field(name, text, expected):
    with pytest.raises(InputError) as caught:
        lockfiles.parse(lockfiles.kind_of(name), text, name)
    assert str(caught.value).startswith(expected)


def test_merge_adds_what_each_source_knows():
    env = Component("Requests", "2.32.3", licenses=("Apache-2.0",), sources=("environment",))
    lock = Component("requests", "2.32.3", hashes=(("sha256", REQUESTS_WHL),), sources=("uv.lock",))
    other = Component("requests", "2.31.0", sources=("old.txt",))
    merged = merge([env, lock, other])
    assert len(merged) == 2
    first = merged[0]
    assert (first.name, first.licenses, first.hashes) == (
        "Requests",
        ("Apache-2.0",),
        (("sha256", REQUESTS_WHL),),
    )
    assert first.sources == ("environment", "uv.lock")


@pytest.mark.parametrize("name", ["requirements.txt", "poetry.lock", "uv.lock", "pylock.toml"])
def test_cli_sbom_from_each_lock_kind(name, tmp_path, valid_cdx):
    for fixture in DATA.iterdir():
        shutil.copy(fixture, tmp_path / fixture.name)
    out = tmp_path / "sbom.json"
    rc = main(["sbom", "--requirements", str(tmp_path / name), "--output", str(out), "--quiet"])
    assert rc == 0
    document = valid_cdx(out)
    comps = {c["name"]: c for c in document["components"]}
    requests = comps["requests"]
    assert requests["purl"] == "pkg:pypi/requests@2.32.3"
    assert {h["content"] for h in requests["hashes"]} <= {REQUESTS_WHL, REQUESTS_SDIST}
    assert {h["alg"] for h in requests["hashes"]} == {"SHA-256"}
    assert not any(
        p["value"] == "environment" for c in comps.values() for p in c.get("properties", ())
    )
    graph = {d["ref"]: set(d.get("dependsOn", ())) for d in document["dependencies"]}
    if name == "requirements.txt":
        assert "idna" in comps  # from the -r include
    else:
        assert "pkg:pypi/certifi@2024.8.30" in graph["pkg:pypi/requests@2.32.3"]
    if name == "uv.lock":
        assert document["metadata"]["component"]["name"] == "demo-app"
        assert graph["pkg:pypi/demo-app@1.4.0"] == {"pkg:pypi/requests@2.32.3"}


def test_invalid_document_is_not_written(tmp_path, capsys):
    """A hash the schema refuses (too short) stops the run with the validator's message."""
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.17.0 --hash=sha256:abcd\n")
    out = tmp_path / "sbom.json"
    rc = main(["sbom", "--requirements", str(req), "--output", str(out)])
    assert rc == 1
    err = capsys.readouterr().err
    assert "generated SBOM is not valid CycloneDX 1.6 JSON" in err
    assert "components[0].hashes[0].content" in err
    assert "'abcd' does not match" in err
    assert not out.exists()


def test_missing_requirements_file(tmp_path, capsys):
    rc = main(["sbom", "--requirements", "nope.txt", "--output", str(tmp_path / "x.json")])
    assert rc == 1
    assert "nope.txt: file not found" in capsys.readouterr().err
