"""Suite-wide pytest configuration. Fixture plugins live in tests/harness/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests check values, not speed. On a 2-core runner shared with real servers, a
# microsecond example can still miss hypothesis's default 200 ms deadline and fail as "flaky";
# speed goals live in bench/ instead.
hypothesis_settings.register_profile("lumen", deadline=None, print_blob=True)
hypothesis_settings.load_profile("lumen")

# Each harness module registers its fixtures here (one line each).
pytest_plugins: list[str] = [
    "harness.actions",
    "harness.dependency_track",
    "harness.github",
    "harness.prometheus",
    "harness.sigstore",
    "harness.webhook_receiver",
]


@pytest.fixture(autouse=True)
def fresh_command_state() -> Iterator[None]:
    """What one `lumen` command keeps in the process (its wall-time budgets, the resolver of its
    config) starts fresh for each test, as it does for each command: a test that calls an
    adapter directly must not inherit a budget an earlier test's command started (it may have
    run out since) or that command's config (its file may be gone)."""
    from lumen import budget
    from lumen.settings import start_run

    budget.reset()
    start_run(None)
    yield
    budget.reset()
    start_run(None)
