"""Suite-wide pytest configuration. Fixture plugins live in tests/harness/."""

from __future__ import annotations

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
