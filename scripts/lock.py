"""The hashed lock of Lumen's runtime dependencies, which every action installs.

    python scripts/lock.py            # (re)write the locks with the pinned uv
    python scripts/lock.py --check    # exit 1 when the lock no longer matches pyproject.toml
    python scripts/lock.py --wheels   # ask PyPI which runner each locked file serves (network)

requirements/build.txt is the same for `[build-system] requires` (from requirements/build.in,
which this script writes): the release workflow builds Lumen with exactly those.

The lock is `uv pip compile --universal --generate-hashes` over pyproject.toml's
`[project] dependencies` (no extras): one file for every supported runner (Linux x86-64 and
arm64, macOS arm64) and Python 3.11-3.13, markers where a package is conditional. The actions
install it with `--require-hashes --only-binary :all:` (scripts/install-action-env.sh), so a
tampered, missing or sdist-only file fails the install instead of running. Dependabot keeps it
fresh (.github/dependabot.yml); tests/actions/test_lock.py checks it against pyproject.toml.

--check is offline: every runtime dependency of pyproject.toml is in the lock, annotated
`via lumen-ci (pyproject.toml)`, at a version its specifier allows; every locked package is
pinned with `==` and carries at least one sha256; nothing is locked that nothing needs.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "runtime.txt"
BUILD_IN = ROOT / "requirements" / "build.in"
BUILD_LOCK = ROOT / "requirements" / "build.txt"
# The uv that writes the lock: its output format is part of the lock, so it is pinned here,
# in pyproject.toml's test extra, and in the actions (scripts/gen_actions.py UV_VERSION).
UV_VERSION = "0.13.9"
PYTHON_FLOOR = "3.11"
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
SELF = "lumen-ci (pyproject.toml)"


@dataclass
class Locked:
    name: str
    version: str
    marker: str
    hashes: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)
    line: int = 0


def parse_lock(text: str) -> dict[str, Locked]:
    """The packages of a `uv pip compile --generate-hashes` file, by canonical name."""
    out: dict[str, Locked] = {}
    current: Locked | None = None
    in_via = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if not raw.startswith((" ", "\t", "#")):
            spec = line.rstrip("\\").strip()
            requirement, _, marker = spec.partition(";")
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s]+)", requirement.strip())
            if not match:
                raise ValueError(f"{LOCK.name}:{number}: expected NAME==VERSION, got {spec!r}")
            current = Locked(canonicalize_name(match[1]), match[2], marker.strip(), line=number)
            out[current.name] = current
            in_via = False
            continue
        if current is None:
            continue
        if line.startswith("--hash="):
            current.hashes.append(line.removeprefix("--hash=").rstrip("\\").strip())
        elif line == "# via":
            in_via = True
        elif line.startswith("# via "):
            current.via.append(line.removeprefix("# via ").strip())
            in_via = False
        elif in_via and line.startswith("#   "):
            current.via.append(line.removeprefix("#   ").strip())
    return out


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return [Requirement(text) for text in data["project"]["dependencies"]]


def drift(lock_text: str, requirements: list[Requirement]) -> list[str]:
    """What makes the lock disagree with pyproject.toml (empty: it agrees)."""
    problems: list[str] = []
    try:
        locked = parse_lock(lock_text)
    except ValueError as error:
        return [str(error)]
    wanted = {canonicalize_name(r.name): r for r in requirements}
    for name, requirement in sorted(wanted.items()):
        entry = locked.get(name)
        if entry is None:
            problems.append(f"{requirement} is a runtime dependency but is not in the lock")
            continue
        if not SpecifierSet(str(requirement.specifier)).contains(entry.version, prereleases=True):
            problems.append(f"{name}=={entry.version} (lock) does not satisfy {requirement}")
        if SELF not in entry.via:
            problems.append(f"{name}: the lock does not say it comes from pyproject.toml")
    for name, entry in sorted(locked.items()):
        if not entry.hashes or any(not h.startswith("sha256:") for h in entry.hashes):
            problems.append(f"{name}: no sha256 hash in the lock (line {entry.line})")
        if SELF in entry.via and name not in wanted:
            problems.append(f"{name}: locked as a direct dependency, but pyproject.toml lost it")
        if not entry.via:
            problems.append(f"{name}: nothing needs it (no `# via` line)")
        unknown = [v for v in entry.via if v != SELF and canonicalize_name(v) not in locked]
        if unknown:
            problems.append(f"{name}: needed by {unknown}, which the lock does not hold")
    return problems


def uv_binary() -> str:
    """uv from PATH, else the one installed beside this interpreter (the dev venv's)."""
    beside = Path(sys.executable).parent / "uv"
    return shutil.which("uv") or (str(beside) if beside.exists() else "")


def build_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["build-system"]["requires"])


def build_drift() -> list[str]:
    """The build lock pins exactly what [build-system] requires (which is pinned itself)."""
    wanted = build_requirements()
    problems = []
    if not BUILD_IN.exists() or BUILD_IN.read_text(encoding="utf-8").split() != wanted:
        problems.append(f"{BUILD_IN.name} is not [build-system] requires {wanted}")
    locked = parse_lock(BUILD_LOCK.read_text(encoding="utf-8")) if BUILD_LOCK.exists() else {}
    for text in wanted:
        requirement = Requirement(text)
        entry = locked.get(canonicalize_name(requirement.name))
        if entry is None or not requirement.specifier.contains(entry.version, prereleases=True):
            problems.append(f"{BUILD_LOCK.name} does not pin {text}")
        elif not entry.hashes:
            problems.append(f"{BUILD_LOCK.name}: {entry.name} has no hash")
    return problems


def compile_command(output: Path, source: str = "pyproject.toml") -> list[str]:
    return [
        uv_binary(),
        "pip",
        "compile",
        "--universal",
        "--generate-hashes",
        "--python-version",
        PYTHON_FLOOR,
        "--no-config",
        "--quiet",
        source,
        "-o",
        str(output.relative_to(ROOT)),
    ]


def uv_version() -> str:
    if not uv_binary():
        return ""
    done = subprocess.run([uv_binary(), "--version"], capture_output=True, text=True, check=False)
    return done.stdout.split()[1] if done.returncode == 0 else ""


def write_lock(upgrade: bool) -> int:
    found = uv_version()
    if found != UV_VERSION:
        print(
            f"scripts/lock.py needs uv {UV_VERSION} on PATH (found {found or 'none'}): "
            f"pip install uv=={UV_VERSION}",
            file=sys.stderr,
        )
        return 1
    LOCK.parent.mkdir(exist_ok=True)
    extra = ["--upgrade"] if upgrade else []
    subprocess.run(compile_command(LOCK) + extra, cwd=ROOT, check=True)
    BUILD_IN.write_text("\n".join(build_requirements()) + "\n", encoding="utf-8")
    source = BUILD_IN.relative_to(ROOT).as_posix()
    subprocess.run(compile_command(BUILD_LOCK, source) + extra, cwd=ROOT, check=True)
    problems = drift(LOCK.read_text(encoding="utf-8"), runtime_requirements()) + build_drift()
    for problem in problems:
        print("lock:", problem, file=sys.stderr)
    return 1 if problems else 0


# ------------------------------------------------------------------ wheels per runner


def _manylinux(arch: str, glibc_minor: int) -> list[str]:
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 16, -1)]
    return [*tags, f"manylinux2014_{arch}", *(f"manylinux_2_{m}_{arch}" for m in range(16, 4, -1))]


def _macos_arm64(major: int) -> list[str]:
    out = []
    for version in range(major, 10, -1):
        out += [f"macosx_{version}_0_arm64", f"macosx_{version}_0_universal2"]
    return out + [f"macosx_10_{minor}_universal2" for minor in range(16, 8, -1)]


# The oldest runner image of each kind GitHub hosts: ubuntu-22.04 (glibc 2.35) and macos-14.
# runner: (wheel platform tags it accepts, sys_platform, platform_machine)
RUNNERS: dict[str, tuple[list[str], str, str]] = {
    "Linux x64": (_manylinux("x86_64", 35), "linux", "x86_64"),
    "Linux arm64": (_manylinux("aarch64", 35), "linux", "aarch64"),
    "macOS arm64 (14+)": (_macos_arm64(14), "darwin", "arm64"),
}


def marker_applies(marker: str, sys_platform: str, machine: str, python: str) -> bool:
    if not marker:
        return True
    environment = {
        "sys_platform": sys_platform,
        "platform_system": {"linux": "Linux", "darwin": "Darwin"}[sys_platform],
        "platform_machine": machine,
        "os_name": "posix",
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }
    return Marker(marker).evaluate(environment)


def wheel_serves(filename: str, python: str, platforms: list[str]) -> bool:
    _name, _version, _build, tags = parse_wheel_filename(filename)
    nodot = python.replace(".", "")
    interpreters = {f"cp{nodot}", "py3", f"py{nodot}"}
    abis = {f"cp{nodot}", "abi3", "none"}
    for tag in tags:
        if tag.platform != "any" and tag.platform not in platforms:
            continue
        if tag.interpreter not in interpreters and not (
            tag.abi == "abi3" and tag.interpreter.startswith("cp3")
        ):
            continue
        if tag.abi == "abi3" and int(tag.interpreter[3:] or 0) > int(nodot[1:]):
            continue
        if tag.abi in abis:
            return True
    return False


def wheel_gaps(locked: dict[str, Locked]) -> list[str]:
    """`package version: runner, Python` for every combination no locked wheel serves."""
    gaps = []
    for entry in locked.values():
        # The Simple API's JSON form (PEP 691): file names and their sha256.
        request = urllib.request.Request(
            f"https://pypi.org/simple/{entry.name}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (https)
            files = json.load(response)["files"]
        allowed = {h.removeprefix("sha256:") for h in entry.hashes}
        wheels = [
            f["filename"]
            for f in files
            if f["filename"].endswith(".whl") and f["hashes"].get("sha256") in allowed
        ]
        for runner, (platforms, sys_platform, machine) in RUNNERS.items():
            missing = [
                python
                for python in SUPPORTED_PYTHONS
                if marker_applies(entry.marker, sys_platform, machine, python)
                and not any(wheel_serves(w, python, platforms) for w in wheels)
            ]
            if missing:
                gaps.append(f"{entry.name} {entry.version}: {runner}, Python {', '.join(missing)}")
    return gaps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="offline drift check")
    mode.add_argument("--wheels", action="store_true", help="wheel coverage per runner (PyPI)")
    mode.add_argument("--upgrade", action="store_true", help="re-resolve to the newest versions")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift(LOCK.read_text(encoding="utf-8"), runtime_requirements())
        problems = [f"{LOCK.relative_to(ROOT)}: {p}" for p in problems] + build_drift()
        for problem in problems:
            print(f"{problem} (run python scripts/lock.py)")
        return 1 if problems else 0
    if args.wheels:
        gaps = wheel_gaps(parse_lock(LOCK.read_text(encoding="utf-8")))
        print("\n".join(gaps) if gaps else "every locked package has a wheel for every runner")
        return 1 if gaps else 0
    return write_lock(args.upgrade)


if __name__ == "__main__":
    raise SystemExit(main())
