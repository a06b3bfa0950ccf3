"""Lumen CI: release-readiness gates, supply-chain evidence and flipback for GitHub Actions."""

import os


def _read_version() -> str:
    """The version the build wrote from the git tag (hatch-vcs, lumen/VERSION); a checkout
    that was never built or installed, as the actions run from, says 0+unknown. A plain file
    read: importlib.metadata would cost every command tens of milliseconds."""
    try:
        with open(os.path.join(os.path.dirname(__file__), "VERSION"), encoding="utf-8") as file:
            return file.read().strip() or "0+unknown"
    except OSError:
        return "0+unknown"


__version__ = _read_version()
