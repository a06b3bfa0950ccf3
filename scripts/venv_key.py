"""Where a composite action keeps its virtual environment, and the cache key that names it.

Run by every composite action with the interpreter from actions/setup-python (any Python 3.8+,
stdlib only, because the venv does not exist yet). Writes `path=` and `key=` to GITHUB_OUTPUT
(or prints them outside Actions).

The key is the action's own version: the lumen version, a hash of the sources that get
installed (lumen/, gates/, release/, policy/, workflows/, pyproject.toml), the exact Python
version, the OS/architecture, and a hash of the interpreter and venv paths. A venv hard-codes
those paths in its scripts and pyvenv.cfg, so a cached venv is only ever restored where it works.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("lumen", "gates", "release", "policy", "workflows", "pyproject.toml")


def source_digest(root: Path = ROOT) -> str:
    """SHA-256 over the relative path and bytes of every file that `pip install` would ship."""
    digest = hashlib.sha256()
    files: list[Path] = []
    for name in SOURCES:
        top = root / name
        if top.is_file():
            files.append(top)
        elif top.is_dir():
            files.extend(
                p
                for p in top.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            )
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def lumen_version(root: Path = ROOT) -> str:
    init = root / "lumen" / "__init__.py"
    text = init.read_text(encoding="utf-8") if init.exists() else ""
    match = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    return match.group(1) if match else "0"


def venv_path_and_key(environ: dict[str, str] | None = None) -> tuple[str, str]:
    env = dict(os.environ if environ is None else environ)
    temp = env.get("RUNNER_TEMP") or tempfile.gettempdir()
    os_name = (env.get("RUNNER_OS") or platform.system()).lower()
    arch = (env.get("RUNNER_ARCH") or platform.machine()).lower()
    python = ".".join(str(part) for part in sys.version_info[:3])
    sources = source_digest()[:16]
    # One directory per source state, so an old venv is never half-reused.
    path = str(Path(temp) / "lumen-ci" / f"venv-{sources}-py{python}")
    where = hashlib.sha256(f"{sys.executable}\0{path}".encode()).hexdigest()[:12]
    key = f"lumen-ci-venv-{lumen_version()}-{sources}-py{python}-{os_name}-{arch}-{where}"
    return path, key


def main() -> int:
    path, key = venv_path_and_key()
    lines = f"path={path}\nkey={key}\n"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(lines)
    else:
        sys.stdout.write(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
