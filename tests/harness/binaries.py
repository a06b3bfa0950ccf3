"""Finding the real server binaries a test needs. Under CI=true a missing one fails the test."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_binary(name: str) -> str:
    """Path of `name` on PATH; missing: fail under CI, skip (with the install hint) elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (run `make test`, which installs it)"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)
    raise AssertionError("unreachable")
