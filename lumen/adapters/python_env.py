"""Inventory of an installed Python environment, read by its own interpreter.

The target may be any interpreter (the user's venv, another Python version), so we do not
import its packages into ours: we run a short stdlib-only script in it (`-I`: no user site, no
PYTHONPATH, no current directory, so the answer is that environment and nothing else) and read
its JSON. `start()` returns at once so the caller can do other work (imports, lock files,
hashing) while the target walks its site-packages on the other core.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from gates.errors import SourceError, UsageError

# Runs inside the target interpreter (Python 3.8+ stdlib). Markers are evaluated there, against
# that interpreter's platform, with `packaging` when the environment has it (or pip's vendored
# copy, which nearly every venv has); without either, a requirement guarded only by `extra ==`
# markers is treated as optional and every other one as live.
SCRIPT = r"""
import json, re, sys
from importlib import metadata as md
try:
    from packaging.requirements import Requirement
except Exception:
    try:
        from pip._vendor.packaging.requirements import Requirement
    except Exception:
        Requirement = None
norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
name_re = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
extra_re = re.compile(r"extra\s*==\s*['\"]([^'\"]+)['\"]")
def parse(text, provided):
    if Requirement is not None:
        try:
            req = Requirement(text)
            out = {"name": req.name, "extras": sorted(norm(e) for e in req.extras)}
            if req.marker is not None:
                out["base"] = bool(req.marker.evaluate({"extra": ""}))
                if not out["base"]:
                    out["extras_when"] = [e for e in provided if req.marker.evaluate({"extra": e})]
            return out
        except Exception:
            pass
    m = name_re.match(text)
    if not m:
        return None
    extras = [norm(e) for e in (m.group(2) or "").split(",") if e.strip()]
    out = {"name": m.group(1), "extras": extras}
    marker = text.split(";", 1)[1] if ";" in text else ""
    when = [norm(e) for e in extra_re.findall(marker)]
    if when:
        out["base"] = False
        out["extras_when"] = when
    return out
seen = set()
packages = []
for dist in md.distributions():
    meta = dist.metadata
    name = meta["Name"] if meta is not None else None
    if not name or norm(name) in seen:
        continue
    seen.add(norm(name))
    provided = [norm(e) for e in (meta.get_all("Provides-Extra") or [])]
    requires = [r for r in (parse(t, provided) for t in (meta.get_all("Requires-Dist") or [])) if r]
    local = False
    try:
        direct = dist.read_text("direct_url.json")
        if direct:
            local = "dir_info" in json.loads(direct)
    except Exception:
        pass
    packages.append({
        "name": name,
        "version": meta["Version"],
        "summary": meta["Summary"],
        "license_expression": meta["License-Expression"],
        "license": meta["License"],
        "classifiers": [
            c for c in (meta.get_all("Classifier") or []) if c.startswith("License ::")
        ],
        "author": meta["Author"],
        "author_email": meta["Author-email"],
        "maintainer": meta["Maintainer"],
        "maintainer_email": meta["Maintainer-email"],
        "requires": requires,
        "local": local,
    })
json.dump({"python": sys.version.split()[0], "executable": sys.executable,
           "prefix": sys.prefix, "packages": packages}, sys.stdout)
"""


@dataclass
class Pending:
    """A running introspection; `result()` waits for it and parses its report."""

    python: str
    process: subprocess.Popen[bytes]

    def result(self, timeout: float = 300.0) -> dict[str, Any]:
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise SourceError(
                f"inventory did not finish within {timeout:g}s", file=self.python
            ) from None
        if self.process.returncode != 0:
            last = (err.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            raise SourceError(
                f"interpreter failed to list its distributions (exit {self.process.returncode}): "
                f"{last}",
                file=self.python,
            )
        try:
            report = json.loads(out)
        except ValueError:
            raise SourceError(
                "interpreter printed something that is not the inventory JSON", file=self.python
            ) from None
        if not isinstance(report, dict):
            raise SourceError("inventory is not a JSON object", file=self.python)
        return report


def resolve_python(python: str | None) -> str:
    """The interpreter to inventory: the given path or command, else the one running lumen."""
    if not python:
        return sys.executable
    found = shutil.which(python)
    if found is None:
        raise UsageError(
            f"--environment: no Python interpreter at {python!r}",
            expected="a path to python (for example .venv/bin/python) or a command on PATH",
        )
    return found


def start(python: str | None) -> Pending:
    """Start inventorying `python` (None: the current interpreter) in the background."""
    exe = resolve_python(python)
    try:
        process = subprocess.Popen(
            [exe, "-I", "-c", SCRIPT],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise UsageError(
            f"--environment: cannot run {exe!r}: {exc.strerror}", expected="a Python interpreter"
        ) from None
    return Pending(exe, process)


def inventory(python: str | None) -> dict[str, Any]:
    """Inventory `python` and wait for the answer."""
    return start(python).result()
