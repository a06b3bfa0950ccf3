"""`bom_document` writes the CycloneDX 1.6 JSON document itself, without importing the library's
model; these tests hold it to what cyclonedx-python-lib makes of the same document: loaded with
`Bom.from_json` and written again with `JsonV1Dot6`, nothing may be lost, added or spelled
differently (purls, hash names, licences, timestamps), and the strict 1.6 validator accepts it.
Plus a hand-written known answer and determinism under reordering."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from release.sbom import Component, Inventory, bom_document, library_bom, merge

VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)


def canonical(value: Any) -> Any:
    """Order-free form: the library sorts its sets its own way; the content must be equal."""
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted(
            (canonical(item) for item in value), key=lambda v: json.dumps(v, sort_keys=True)
        )
    return value


def library_rewrite(document: dict[str, Any]) -> dict[str, Any]:
    return json.loads(JsonV1Dot6(library_bom(document)).output_as_string())


def test_known_answer() -> None:
    inventory = Inventory(
        components=(
            Component(
                name="Requests",
                version="2.32.3",
                licenses=("Apache-2.0",),
                requires=("idna", "not-installed"),
                description="HTTP",
                supplier="Kenneth Reitz",
                sources=("environment",),
            ),
            Component(
                name="idna",
                version="3.7+local",
                licenses=("BSD License", "mit"),
                hashes=(("sha256", "AB" * 32), ("whirlpool", "00")),
                sources=("requirements.txt",),
            ),
            Component(
                name="app-1.0-py3-none-any.whl",
                version="1.0",
                kind="file",
                hashes=(("sha512", "cd" * 64), ("sha256", "ef" * 32)),
                purl=False,
                sources=("dist/app-1.0-py3-none-any.whl",),
            ),
        ),
        root=Component(
            name="demo_app",
            kind="application",
            licenses=("MIT OR Apache-2.0", "MIT"),
            requires=("requests",),
            authors=("Ada",),
            sources=("pyproject.toml",),
        ),
    )
    document = bom_document(
        inventory,
        tool_version="9.9.9",
        timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        serial_number="6cd65e62-41bd-421c-806d-78790b2fac01",
    )
    declared = "declared"
    assert document == {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:6cd65e62-41bd-421c-806d-78790b2fac01",
        "version": 1,
        "metadata": {
            "timestamp": "2026-01-02T03:04:05+00:00",
            "tools": {
                "components": [{"type": "application", "name": "lumen-ci", "version": "9.9.9"}]
            },
            "authors": [{"name": "Ada"}],
            "component": {
                "type": "application",
                "bom-ref": "pkg:pypi/demo-app",
                "name": "demo_app",
                "licenses": [{"expression": "MIT OR Apache-2.0", "acknowledgement": declared}],
                "purl": "pkg:pypi/demo-app",
                "properties": [{"name": "lumen:source", "value": "pyproject.toml"}],
            },
        },
        "components": [
            {
                "type": "file",
                "bom-ref": "file:dist/app-1.0-py3-none-any.whl",
                "name": "app-1.0-py3-none-any.whl",
                "version": "1.0",
                "hashes": [
                    {"alg": "SHA-256", "content": "ef" * 32},
                    {"alg": "SHA-512", "content": "cd" * 64},
                ],
                "properties": [{"name": "lumen:source", "value": "dist/app-1.0-py3-none-any.whl"}],
            },
            {
                "type": "library",
                "bom-ref": "pkg:pypi/requests@2.32.3",
                "name": "Requests",
                "version": "2.32.3",
                "description": "HTTP",
                "supplier": {"name": "Kenneth Reitz"},
                "licenses": [{"license": {"id": "Apache-2.0", "acknowledgement": declared}}],
                "purl": "pkg:pypi/requests@2.32.3",
            },
            {
                "type": "library",
                "bom-ref": "pkg:pypi/idna@3.7%2Blocal",
                "name": "idna",
                "version": "3.7+local",
                "licenses": [
                    {"license": {"name": "BSD License", "acknowledgement": declared}},
                    {"license": {"id": "MIT", "acknowledgement": declared}},
                ],
                "hashes": [{"alg": "SHA-256", "content": "ab" * 32}],
                "purl": "pkg:pypi/idna@3.7%2Blocal",
                "properties": [{"name": "lumen:source", "value": "requirements.txt"}],
            },
        ],
        "dependencies": [
            {"ref": "file:dist/app-1.0-py3-none-any.whl"},
            {"ref": "pkg:pypi/demo-app", "dependsOn": ["pkg:pypi/requests@2.32.3"]},
            {"ref": "pkg:pypi/idna@3.7%2Blocal"},
            {"ref": "pkg:pypi/requests@2.32.3", "dependsOn": ["pkg:pypi/idna@3.7%2Blocal"]},
        ],
    }
    assert VALIDATOR.validate_str(json.dumps(document)) is None
    assert canonical(library_rewrite(document)) == canonical(document)


def test_reproducible_document_has_no_timestamp_or_serial() -> None:
    inventory = Inventory(components=(Component(name="six", version="1.17.0"),))
    document = bom_document(inventory, tool_version="1", timestamp=None, serial_number=None)
    assert "serialNumber" not in document
    assert "timestamp" not in document["metadata"]
    assert document["metadata"]["properties"] == [{"name": "cdx:reproducible", "value": "true"}]
    assert VALIDATOR.validate_str(json.dumps(document)) is None
    assert canonical(library_rewrite(document)) == canonical(document)


# --- properties ------------------------------------------------------------------------------

NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}([-_.][A-Za-z0-9]{1,4})?", fullmatch=True)
VERSIONS = st.from_regex(
    r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}(rc[0-9])?(\+[a-z0-9]{1,4})?", fullmatch=True
)
LICENCES = st.sampled_from(
    [
        "MIT",
        "apache-2.0",
        "BSD License",
        "MIT OR Apache-2.0",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "GPL-2.0+",
        "LicenseRef-Custom",
        "License :: OSI Approved :: BSD License",
        "Dual License",
    ]
)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
HEX = st.from_regex(r"[0-9a-fA-F]{64}", fullmatch=True)


@st.composite
def inventories(draw: st.DrawFn) -> Inventory:
    names = draw(st.lists(NAMES, min_size=0, max_size=8, unique_by=lambda n: n.lower()))
    components = [
        Component(
            name=name,
            version=draw(st.none() | VERSIONS),
            licenses=tuple(draw(st.lists(LICENCES, max_size=3, unique=True))),
            hashes=tuple(
                draw(st.lists(st.tuples(st.sampled_from(["sha256", "SHA256"]), HEX), max_size=2))
            ),
            requires=tuple(draw(st.lists(st.sampled_from(names), max_size=3))) if names else (),
            description=draw(st.none() | TEXT),
            supplier=draw(st.none() | TEXT),
            purl=draw(st.booleans()),
            sources=tuple(
                draw(
                    st.lists(
                        st.sampled_from(["environment", "uv.lock", "req.txt"]),
                        max_size=2,
                        unique=True,
                    )
                )
            ),
            properties=tuple(
                draw(
                    st.lists(
                        st.tuples(st.just("cdx:python:package:required-extra"), NAMES), max_size=2
                    )
                )
            ),
        )
        for name in names
    ]
    files = [
        Component(
            name=f"{name}.whl",
            kind="file",
            hashes=(("sha256", draw(HEX)), ("sha512", draw(HEX) * 2)),
            purl=False,
            sources=(f"dist/{name}.whl",),
        )
        for name in draw(st.lists(NAMES, max_size=2, unique=True))
    ]
    root = draw(
        st.none()
        | st.builds(
            Component,
            name=st.just("the-root"),
            version=st.none() | VERSIONS,
            kind=st.just("application"),
            licenses=st.lists(LICENCES, max_size=2, unique=True).map(tuple),
            requires=st.lists(st.sampled_from(names or ["x"]), max_size=2).map(tuple),
            authors=st.lists(TEXT, max_size=2).map(tuple),
        )
    )
    return Inventory(components=merge([*components, *files]), root=root)


# The library warns about a root without dependencies (generated roots may have none).
@pytest.mark.filterwarnings("ignore:The Component this BOM is describing")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inventory=inventories(),
    timestamp=st.none() | st.datetimes(timezones=st.just(UTC)),
    serial=st.none() | st.uuids().map(str),
)
def test_the_library_reads_and_writes_back_the_same_document(inventory, timestamp, serial):
    document = bom_document(
        inventory, tool_version="1.0", timestamp=timestamp, serial_number=serial
    )
    text = json.dumps(document, ensure_ascii=False)
    assert VALIDATOR.validate_str(text) is None
    assert canonical(library_rewrite(document)) == canonical(document)


@settings(max_examples=40, deadline=None)
@given(inventory=inventories(), seed=st.randoms())
def test_one_inventory_one_document_whatever_the_order(inventory, seed):
    shuffled = list(inventory.components)
    seed.shuffle(shuffled)
    first = bom_document(inventory, tool_version="1", timestamp=None, serial_number=None)
    second = bom_document(
        Inventory(components=tuple(shuffled), root=inventory.root),
        tool_version="1",
        timestamp=None,
        serial_number=None,
    )
    assert json.dumps(first) == json.dumps(second)


def test_the_document_is_built_without_the_library_model() -> None:
    code = (
        "import sys; from release.sbom import Component, Inventory, bom_document; "
        "bom_document(Inventory(components=(Component(name='six', version='1', "
        "licenses=('MIT', 'BSD License')),)), tool_version='1', timestamp=None, "
        "serial_number=None); "
        "print(sorted(m for m in sys.modules if m.startswith(('cyclonedx.model', 'py_serializable'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
