"""The environment probe started by the CLI before parsing is the one the command uses."""

from __future__ import annotations

import sys

import pytest

from lumen.adapters import python_env
from lumen.cli import _environment_argument


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["sbom", "--output", "x.json"], ""),
        (["sbom", "--environment", "--output", "x.json"], ""),
        (["sbom", "--environment", ".venv/bin/python", "--output", "x.json"], ".venv/bin/python"),
        (["sbom", "--environment"], ""),
        (["sbom", "--requirements", "uv.lock", "--output", "x.json"], None),
        (["sbom", "--artifact=dist/a.whl", "--output", "x.json"], None),
        (["sbom", "--environment=.venv", "--output", "x.json"], None),
        (["--inputs-from-env", "sbom"], None),
    ],
)
def test_environment_argument(arguments, expected):
    assert _environment_argument(arguments) == expected


def test_start_takes_the_prestarted_probe_of_the_same_interpreter():
    python_env.prestart(None)
    [early] = python_env._prestarted
    pending = python_env.start(sys.executable)
    assert pending is early and not python_env._prestarted
    assert pending.result()["executable"]


def test_a_probe_of_another_interpreter_is_stopped_not_used(tmp_path):
    python_env.prestart(None)
    [early] = python_env._prestarted
    other = tmp_path / "python"
    other.symlink_to(sys.executable)
    pending = python_env.start(str(other))
    assert pending is not early and early.process.poll() is not None
    pending.result()
