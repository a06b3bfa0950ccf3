"""Suite-wide pytest configuration. Fixture plugins live in tests/harness/."""

from __future__ import annotations

# Each harness module registers its fixtures here (one line each).
pytest_plugins: list[str] = [
    "harness.actions",
    "harness.github",
    "harness.prometheus",
    "harness.sigstore",
    "harness.webhook_receiver",
]
