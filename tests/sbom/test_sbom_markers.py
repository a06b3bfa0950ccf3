"""The PEP 508 marker evaluator that runs inside the inventoried interpreter."""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from lumen.adapters.python_env import SCRIPT


@pytest.fixture(scope="module")
def script_ns():
    """The script's functions, without running its inventory loop."""
    namespace: dict = {}
    exec(SCRIPT.split("seen = set(); packages = []")[0], namespace)
    return namespace


LINUX_311 = {
    "python_version": "3.11",
    "python_full_version": "3.11.7",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "platform_release": "6.1.0",
    "platform_version": "#1 SMP",
    "platform_python_implementation": "CPython",
    "implementation_name": "cpython",
    "implementation_version": "3.11.7",
}


@pytest.mark.parametrize(
    ("marker", "extra", "expected"),
    [
        ('python_version < "3.8"', "", False),
        ('python_version >= "3.10"', "", True),
        ('python_version > "3.9"', "", True),  # 3.11 > 3.9 as versions, not as strings
        ('python_full_version >= "3.11.4"', "", True),
        ('sys_platform == "win32"', "", False),
        ('sys_platform != "win32" and implementation_name == "cpython"', "", True),
        ('platform_machine in "x86_64 aarch64"', "", True),
        ('platform_machine not in "arm64"', "", True),
        ('extra == "socks"', "", False),
        ('extra == "socks"', "socks", True),
        ('extra == "Socks_Proxy"', "socks-proxy", True),  # extras are normalized
        ('(os_name == "nt" or python_version >= "3.9") and extra == "x"', "x", True),
        ('python_version == "3.11.*"', "", True),
        ('python_version == "3.1"', "", False),  # not a string prefix
        ('python_version < "3.11.0"', "", False),  # 3.11 is 3.11.0
        ('python_version >= "3.11.0"', "", True),
        ('python_full_version == "3.11.*"', "", True),
        ('python_version ~= "3.9"', "", True),
        ('platform_python_implementation == "PyPy"', "", False),
    ],
)
def test_known_answers(script_ns, marker, extra, expected):
    script_ns["ENV"].update(LINUX_311)
    assert script_ns["evaluate"](marker, extra) is expected
    assert Marker(marker).evaluate({**LINUX_311, "extra": extra}) is expected


def test_agrees_with_packaging_on_every_marker_installed_here(script_ns):
    """Every Requires-Dist marker of the dev environment, without and with each extra."""
    fresh: dict = {}
    exec(SCRIPT.split("seen = set(); packages = []")[0], fresh)
    checked = 0
    for dist in metadata.distributions():
        extras = dist.metadata.get_all("Provides-Extra") or []
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None:
                continue
            marker = text.split(";", 1)[1]
            for extra in ["", *extras]:
                expected = requirement.marker.evaluate({"extra": extra})
                assert fresh["evaluate"](marker, extra) is expected, (dist.name, text, extra)
                checked += 1
    assert checked > 100


def test_unreadable_marker_keeps_the_requirement(script_ns):
    parsed = script_ns["parse_req"]('foo>=1; python_version <> "3"', [])
    assert parsed["name"] == "foo"
    assert "base" not in parsed  # live: an edge too many beats a missing one
    assert parsed["marker_unreadable"] == 'python_version <> "3"'


def test_egg_info_requires_become_markers(script_ns):
    text = "six\n\n[socks]\nPySocks>=1.5\n\n[:sys_platform == 'win32']\ncolorama\n"
    assert script_ns["egg_requires"](text) == [
        "six",
        "PySocks>=1.5; extra == 'socks'",
        "colorama; (sys_platform == 'win32')",
    ]
