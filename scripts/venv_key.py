"""Where a composite action keeps its virtual environment, and the cache key that names it.

Run by every composite action with the interpreter from actions/setup-python (stdlib only,
because the venv does not exist yet). Writes `path=`, `key=` and `ready=` to GITHUB_OUTPUT (or
prints them outside Actions).

The venv holds only the locked runtime dependencies (requirements/runtime.txt); Lumen itself is
read from the action's own checkout through a .pth file (scripts/install-action-env.sh), so the
key is what decides that content: a hash of the lock and of the install script, the exact
Python version, the OS/architecture, and a hash of the interpreter, venv and action paths (a
venv hard-codes those in its scripts, pyvenv.cfg and the .pth file). Lumen's own sources are
not in it: a new commit of the action with the same lock reuses the cached environment.

`ready=true` when that venv already exists here for this key (an earlier Lumen action of the
same job made it): the action then neither restores, installs nor saves it again.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the environment is built from.
INPUTS = ("requirements/runtime.txt", "scripts/install-action-env.sh")


def inputs_digest(root: Path = ROOT) -> str:
    """SHA-256 over the relative path and bytes of the files the environment is built from."""
    digest = hashlib.sha256()
    for name in INPUTS:
        path = root / name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
        digest.update(b"\0")
    return digest.hexdigest()


def venv_path_and_key(environ: dict[str, str] | None = None, root: Path = ROOT) -> tuple[str, str]:
    env = dict(os.environ if environ is None else environ)
    temp = env.get("RUNNER_TEMP") or tempfile.gettempdir()
    os_name = (env.get("RUNNER_OS") or platform.system()).lower()
    arch = (env.get("RUNNER_ARCH") or platform.machine()).lower()
    python = ".".join(str(part) for part in sys.version_info[:3])
    built_from = inputs_digest(root)[:16]
    # One directory per lock state, so an old venv is never half-reused.
    path = str(Path(temp) / "lumen-ci" / f"venv-{built_from}-py{python}")
    where = hashlib.sha256(f"{sys.executable}\0{path}\0{root}".encode()).hexdigest()[:12]
    key = f"lumen-ci-venv-{built_from}-py{python}-{os_name}-{arch}-{where}"
    return path, key


def is_ready(path: str, key: str) -> bool:
    """The venv at `path` was completely built for `key` (the marker is written last)."""
    venv = Path(path)
    try:
        marker = (venv / ".lumen-key").read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return marker == key and (venv / "bin" / "python").exists()


def main() -> int:
    path, key = venv_path_and_key()
    ready = "true" if is_ready(path, key) else "false"
    lines = f"path={path}\nkey={key}\nready={ready}\n"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
