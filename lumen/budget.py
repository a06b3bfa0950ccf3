"""Wall-time budgets: one per outside service per command (spec: "Budgets").

A `Budget` is a deadline on the monotonic clock. Everything that waits on a service (connect,
read, a retry's backoff, a `Retry-After` sleep) asks the budget how long it may still wait, so
the sum of those waits cannot pass the deadline. Past it, `BudgetExceeded` ends the command with
exit 1; its message says "connection timed out", which `lumen classify` files under `network`.

`for_service` hands out the command's budget for a service, created on first use; `cli.main`
calls `reset` when a command starts, so in-process callers (tests) get fresh budgets. The seconds
are the run's `budget:` settings (`lumen.settings.run_settings`), or the service's variable.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping

from gates.errors import SourceError, UsageError
from gates.timeutil import parse_duration

# The services whose budget is a setting: their key in `budget:` (policy/defaults/budget.yml,
# the config), the name errors give them, and the variable that overrides both for one run. The
# Pushgateway's budget is the sampler's `push-deadline`.
SERVICES: dict[str, tuple[str, str]] = {
    "prometheus": ("Prometheus", "LUMEN_PROMETHEUS_BUDGET"),
    "webhook": ("webhook", "LUMEN_WEBHOOK_BUDGET"),
    "github": ("GitHub", "LUMEN_GITHUB_MAX_WAIT"),
    "dependency-track": ("Dependency-Track", "LUMEN_DEPENDENCY_TRACK_BUDGET"),
}


class BudgetExceeded(SourceError):
    """A service took longer than the command's budget for it (failure class `network`)."""


class Budget:
    """A deadline for one service; `setting` names what changes it (for the error's hint)."""

    def __init__(
        self,
        service: str,
        seconds: float,
        *,
        setting: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not math.isfinite(seconds) or seconds <= 0:
            raise UsageError(
                f"the {service} budget must be a positive number of seconds, got {seconds!r}",
                field=setting or None,
            )
        self.service = service
        self.seconds = seconds
        self.setting = setting
        self._clock = clock
        self.deadline = clock() + seconds
        # Requests sent again after a transient failure (5xx, 429, a connection cut on a
        # read): what the service saw beyond the calls a command made (`inputs.github.requests`).
        self.resent = 0

    def extend(self, seconds: float) -> None:
        """Allow `seconds` more: for a command whose work is spread over a set time (the
        sampler's `--hz` mode queries for its whole `--duration`)."""
        self.seconds += seconds
        self.deadline += seconds

    def remaining(self) -> float:
        return self.deadline - self._clock()

    def until(self, per_call: float | None = None) -> float:
        """The deadline of one call allowed `per_call` seconds, never past the budget's."""
        if per_call is None:
            return self.deadline
        return min(self.deadline, self._clock() + per_call)

    def exceeded(self, what: str, *, detail: str = "") -> BudgetExceeded:
        hint = f"raise it with {self.setting}" if self.setting else None
        extra = f": {detail}" if detail else ""
        return BudgetExceeded(
            f"{self.service}: connection timed out: {what} did not finish within the "
            f"{self.seconds:g}s budget{extra}",
            hint=hint,
        )

    def check(self, what: str) -> float:
        """Seconds left; BudgetExceeded when none are."""
        left = self.remaining()
        if left <= 0:
            raise self.exceeded(what)
        return left

    def sleep(
        self, seconds: float, what: str, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        """Wait `seconds` (a backoff or a `Retry-After`) unless that would pass the deadline:
        then fail at once instead of sleeping into a certain timeout."""
        seconds = max(0.0, seconds)
        left = self.remaining()
        if seconds >= left:
            raise self.exceeded(
                what, detail=f"asked to wait {seconds:g}s with {max(left, 0):.1f}s left"
            )
        sleep(seconds)


_lock = threading.Lock()
_budgets: dict[str, Budget] = {}


def reset() -> None:
    """A command starts: every service gets its whole budget again."""
    with _lock:
        _budgets.clear()


def seconds_of(key: str, environ: Mapping[str, str] | None = None) -> float:
    """A service's budget: its variable, else the run's `budget:` setting (config over the
    shipped default)."""
    from lumen.settings import run_settings

    _name, variable = SERVICES[key]
    settings, scope = run_settings()
    return seconds_setting(variable, settings.budget(scope).seconds[key], environ)


def for_setting(key: str) -> Budget:
    """The command's budget for the service with `key` in `budget:`."""
    name, variable = SERVICES[key]
    return for_service(name, seconds_of(key), setting=variable)


def seconds_setting(name: str, default: float, environ: Mapping[str, str] | None = None) -> float:
    """A duration from the environment (`90`, `90s`, `2m`), else `default`."""
    env = os.environ if environ is None else environ
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = parse_duration(raw, field=name).total_seconds()
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name} must be a positive duration, got {raw!r}", field=name)
    return value


def for_service(service: str, seconds: float, *, setting: str = "") -> Budget:
    """The command's budget for `service`, started by its first caller."""
    with _lock:
        budget = _budgets.get(service)
        if budget is None:
            budget = _budgets[service] = Budget(service, seconds, setting=setting)
        return budget


def prometheus() -> Budget:
    return for_setting("prometheus")


def github() -> Budget:
    return for_setting("github")


def webhooks() -> Budget:
    return for_setting("webhook")
