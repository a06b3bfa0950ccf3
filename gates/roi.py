"""ROI gate and DORA figures over deployment events (docs/reference.md#roi).

Pure functions over plain data: the readers in `lumen.sources.deploys` turn JSONL lines, GitHub
deployments or Prometheus samples into `DeployEvent`s (or straight into `DeployCounts` when the
source only has rates), and everything here is arithmetic on those.

Definitions (the product's contract):
- deploys = `action: deploy` events in the window (success or failure);
- success_rate = successful deploys / deploys;
- rollback_rate = min(1, (rollback + flipback events) / deploys);
- fewer than `min-deploys` deploys is NO_DATA, never a verdict;
- `statistic: wilson` judges the 95% Wilson score interval instead of the point estimate:
  PASS when the whole interval is on the good side of the threshold, FAIL when it is entirely on
  the bad side, WARN ("inconclusive") when it straddles it.
"""

from __future__ import annotations

import math
import statistics
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gates.result import Check, OnNoData, Verdict

ACTIONS = ("deploy", "rollback", "flipback")
RESULTS = ("success", "failure")
Z95 = 1.96  # two-sided 95%


@dataclass(frozen=True, slots=True)
class DeployEvent:
    """One deployment outcome. `commit_ts` (when the commit was made) enables lead time."""

    ts: datetime
    env: str
    service: str
    action: str
    version: str
    result: str
    author: str | None = None
    commit: str | None = None
    commit_ts: datetime | None = None
    id: str | None = None
    duration_s: float | None = None
    notes: str | None = None
    digest: str | None = None
    bundle: str | None = None

    @property
    def ok(self) -> bool:
        return self.result == "success"


@dataclass
class DeployCounts:
    """The counts the rates need; sources that only know rates fill them in directly."""

    deploys: int = 0
    successes: int = 0
    rollbacks: int = 0
    # Rate-only sources (Prometheus gauges) set the rates themselves; `deploys_known` is False
    # when the source has no deploy count either, so min-deploys cannot be applied.
    given_success_rate: float | None = None
    given_rollback_rate: float | None = None
    deploys_known: bool = True

    @classmethod
    def from_rates(
        cls, success_rate: float | None, rollback_rate: float | None, deploys: float | None
    ) -> DeployCounts:
        """Counts as far as a rate-only source can tell them."""
        n = 0 if deploys is None else round(deploys)
        return cls(
            deploys=n,
            successes=0 if success_rate is None else round(success_rate * n),
            rollbacks=0 if rollback_rate is None else round(rollback_rate * n),
            given_success_rate=success_rate,
            given_rollback_rate=None if rollback_rate is None else min(1.0, rollback_rate),
            deploys_known=deploys is not None,
        )

    @property
    def success_rate(self) -> float | None:
        if self.given_success_rate is not None or not self.deploys_known:
            return self.given_success_rate
        return self.successes / self.deploys if self.deploys else None

    @property
    def rollback_rate(self) -> float | None:
        if self.given_rollback_rate is not None or not self.deploys_known:
            return self.given_rollback_rate
        return min(1.0, self.rollbacks / self.deploys) if self.deploys else None


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (Wilson 1927).

    Unlike the normal approximation it stays inside [0, 1] and is honest at 0/n and n/n, which
    is exactly where small deploy counts live.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must be within [0, n]")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # At 0/n and n/n the bound is exactly 0 or 1; floating point leaves a few ulps otherwise.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def wilson_verdict(
    successes: int, n: int, comparator: str, threshold: float, z: float = Z95
) -> tuple[Verdict, tuple[float, float]]:
    """Three-way decision from the interval: PASS when it lies entirely on the good side,
    FAIL when entirely on the bad side, WARN otherwise. `comparator` is `>=` (a minimum, the
    good side is above) or `<=` (a maximum)."""
    low, high = wilson_interval(successes, n, z)
    if comparator == ">=":
        if low >= threshold:
            return Verdict.PASS, (low, high)
        if high < threshold:
            return Verdict.FAIL, (low, high)
        return Verdict.WARN, (low, high)
    if comparator == "<=":
        if high <= threshold:
            return Verdict.PASS, (low, high)
        if low > threshold:
            return Verdict.FAIL, (low, high)
        return Verdict.WARN, (low, high)
    raise ValueError(f"wilson needs >= or <=, not {comparator!r}")


@dataclass(frozen=True)
class RoiSettings:
    """Resolved `roi:` thresholds for one scope (flags > env×service > env > default)."""

    min_success_rate: float
    max_rollback_rate: float
    min_deploys: int
    statistic: str
    on_no_data: OnNoData
    key: bool = False  # a key objective vetoes the integrated score


def roi_checks(counts: DeployCounts, settings: RoiSettings, *, suffix: str = "") -> list[Check]:
    """The two ROI checks (success_rate, rollback_rate) for one scope.

    `suffix` names the scope in a matrix (`@prod/api`), so every check name stays unique.
    """
    names = ("success_rate" + suffix, "rollback_rate" + suffix)
    specs = (
        (names[0], counts.success_rate, ">=", settings.min_success_rate, counts.successes),
        (
            names[1],
            counts.rollback_rate,
            "<=",
            settings.max_rollback_rate,
            min(counts.rollbacks, counts.deploys),
        ),
    )
    checks: list[Check] = []
    enough = counts.deploys >= max(1, settings.min_deploys)
    if not counts.deploys_known:
        enough = counts.success_rate is not None or counts.rollback_rate is not None
    if not enough:
        verdict = settings.on_no_data.verdict()
        for name, value, comparator, threshold, _ in specs:
            checks.append(
                Check(
                    name,
                    value,
                    comparator,
                    threshold,
                    verdict,
                    f"{counts.deploys} deploys in the window, fewer than min-deploys "
                    f"{settings.min_deploys} (on-no-data: {settings.on_no_data.value})",
                    key=settings.key,
                    extra={"objective": name.split("@")[0], "n": counts.deploys},
                )
            )
        return checks
    for name, value, comparator, threshold, hits in specs:
        extra: dict[str, Any] = {"objective": name.split("@")[0], "n": counts.deploys}
        if value is None:
            checks.append(
                Check(
                    name,
                    None,
                    comparator,
                    threshold,
                    settings.on_no_data.verdict(),
                    f"the source has no {name.split('@')[0]} "
                    f"(on-no-data: {settings.on_no_data.value})",
                    key=settings.key,
                    extra=extra,
                )
            )
            continue
        if counts.deploys_known:
            what = f"{name.split('@')[0]} {value:.3f} ({hits}/{counts.deploys})"
        else:
            what = f"{name.split('@')[0]} {value:.3f} (deploy count unknown)"
            extra.pop("n")
        if settings.statistic == "wilson" and counts.deploys_known:
            verdict, (low, high) = wilson_verdict(hits, counts.deploys, comparator, threshold)
            extra["interval"] = [round(low, 6), round(high, 6)]
            interval = f"95% interval [{low:.3f}, {high:.3f}]"
            if verdict is Verdict.PASS:
                reason = f"{what}: {interval} entirely {comparator} {threshold:g}"
            elif verdict is Verdict.FAIL:
                reason = f"{what}: {interval} entirely outside {comparator} {threshold:g}"
            else:
                reason = (
                    f"{what}: {interval} straddles {threshold:g}; inconclusive, more deploys needed"
                )
        else:
            ok = value >= threshold if comparator == ">=" else value <= threshold
            verdict = Verdict.PASS if ok else Verdict.FAIL
            reason = (
                f"{what} {comparator} {threshold:g}"
                if ok
                else (f"{what} is not {comparator} {threshold:g}")
            )
        checks.append(
            Check(
                name, value, comparator, threshold, verdict, reason, key=settings.key, extra=extra
            )
        )
    return checks


# --- DORA and the streaming tally ----------------------------------------------------------

# Event codes in the compact per-stream arrays.
DEPLOY_OK, DEPLOY_FAIL, ROLLBACK_OK, ROLLBACK_FAIL = 0, 1, 2, 3


@dataclass(frozen=True)
class Dora:
    """The four DORA figures over one window. None where the data cannot say."""

    deployment_frequency: float | None  # successful deploys per day
    change_failure_rate: float | None  # failed changes / deploys
    time_to_restore_s: float | None  # median, failure -> next success in the same env/service
    restores: int
    lead_time_s: float | None  # median, commit -> successful deploy
    lead_time_samples: int

    @property
    def deploys_per_week(self) -> float | None:
        return None if self.deployment_frequency is None else self.deployment_frequency * 7

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_frequency": _r(self.deployment_frequency),
            "deploys_per_week": _r(self.deploys_per_week),
            "change_failure_rate": _r(self.change_failure_rate),
            "time_to_restore_s": _r(self.time_to_restore_s),
            "restores": self.restores,
            "lead_time_s": _r(self.lead_time_s),
            "lead_time_samples": self.lead_time_samples,
        }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


class _Stream:
    """One env/service's events in compact arrays (1M events cost ~17 MB, not ~400 MB)."""

    __slots__ = ("codes", "leads", "ordered", "ts")

    def __init__(self) -> None:
        self.leads = array("d")
        self.ts = array("d")
        self.codes = array("b")
        self.ordered = True

    def in_order(self) -> tuple[Sequence[float], Sequence[int]]:
        if self.ordered:
            return self.ts, self.codes
        # Stable: events with equal timestamps keep their file order.
        order = sorted(range(len(self.ts)), key=self.ts.__getitem__)
        return [self.ts[i] for i in order], [self.codes[i] for i in order]


class RoiTally:
    """Everything the ROI gate and DORA need from the events of one window, in one pass.

    Streaming and order-independent for the counts; DORA sorts each env/service stream only
    when its events arrived out of order. Timestamps are epoch seconds (UTC).
    """

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start = start
        self.end = end
        self._start_s = start.timestamp()
        self._end_s = end.timestamp()
        self.by_scope: dict[tuple[str, str], DeployCounts] = {}
        self.streams: dict[tuple[str, str], _Stream] = {}
        self.seen_ids: set[str] = set()
        self._walked: dict[tuple[str, str], tuple[int, list[float]]] = {}
        self.duplicates = 0
        self.outside = 0

    def add(
        self,
        ts: float,
        env: str,
        service: str,
        action: str,
        ok: bool,
        *,
        commit_ts: float | None = None,
        event_id: str | None = None,
    ) -> bool:
        """Count one event; False when it is outside the window or a duplicate `id`.

        The reader calls this a million times a second: no helper calls inside.
        """
        if self._walked:
            self._walked.clear()
        if not self._start_s < ts <= self._end_s:
            self.outside += 1
            return False
        if event_id is not None:
            seen = self.seen_ids
            if event_id in seen:
                self.duplicates += 1
                return False
            seen.add(event_id)
        scope = (env, service)
        counts = self.by_scope.get(scope)
        if counts is None:
            counts = self.by_scope[scope] = DeployCounts()
            self.streams[scope] = _Stream()
        stream = self.streams[scope]
        if action == "deploy":
            counts.deploys += 1
            if ok:
                counts.successes += 1
                code = DEPLOY_OK
                if commit_ts is not None and commit_ts <= ts:
                    stream.leads.append(ts - commit_ts)
            else:
                code = DEPLOY_FAIL
        else:
            counts.rollbacks += 1
            code = ROLLBACK_OK if ok else ROLLBACK_FAIL
        times = stream.ts
        if times and ts < times[-1]:
            stream.ordered = False
        times.append(ts)
        stream.codes.append(code)
        return True

    def add_event(self, event: DeployEvent) -> bool:
        return self.add(
            event.ts.timestamp(),
            event.env,
            event.service,
            event.action,
            event.ok,
            commit_ts=None if event.commit_ts is None else event.commit_ts.timestamp(),
            event_id=event.id,
        )

    def counts(self, env: str | None = None, service: str | None = None) -> DeployCounts:
        total = DeployCounts()
        for (scope_env, scope_service), counts in self.by_scope.items():
            if env is not None and scope_env != env:
                continue
            if service is not None and scope_service != service:
                continue
            total.deploys += counts.deploys
            total.successes += counts.successes
            total.rollbacks += counts.rollbacks
        return total

    def scopes(self) -> list[tuple[str, str]]:
        """Every (env, service) pair present, sorted: the rows of the matrix."""
        return sorted(self.by_scope)

    def dora(self, env: str | None = None, service: str | None = None) -> Dora:
        """DORA figures over the window, for all events or one env and/or service.

        - deployment frequency: successful deploys per day of the window;
        - change failure rate: deploys that failed, or that the next event of the same
          env/service rolled back, over all deploys;
        - time to restore: in each env/service stream, from the first failure (a failed
          deploy, or a rollback: the deploy before it was bad) to the next successful event
          (a successful rollback restores by itself); the median over all restores;
        - lead time: commit time to successful deploy, median over deploys whose commit time
          is known.
        """
        days = (self.end - self.start) / timedelta(days=1)
        counts = self.counts(env, service)
        failed_changes = 0
        restores: list[float] = []
        leads: list[float] = []
        for (scope_env, scope_service), stream in self.streams.items():
            if env is not None and scope_env != env:
                continue
            if service is not None and scope_service != service:
                continue
            cached = self._walked.get((scope_env, scope_service))
            if cached is None:
                # Walked once per stream: the matrix asks for every scope after the total.
                cached = _stream_dora(*stream.in_order())
                self._walked[(scope_env, scope_service)] = cached
            failed, restored = cached
            failed_changes += failed
            restores.extend(restored)
            leads.extend(stream.leads)
        return Dora(
            deployment_frequency=counts.successes / days if days > 0 else None,
            change_failure_rate=failed_changes / counts.deploys if counts.deploys else None,
            time_to_restore_s=statistics.median(restores) if restores else None,
            restores=len(restores),
            lead_time_s=statistics.median(leads) if leads else None,
            lead_time_samples=len(leads),
        )


def _stream_dora(ts: Sequence[float], codes: Sequence[int]) -> tuple[int, list[float]]:
    """(failed changes, restore durations) of one time-ordered env/service stream."""
    failed = 0
    restores: list[float] = []
    down_since: float | None = None
    last = len(codes) - 1
    for index, code in enumerate(codes):
        if code in (DEPLOY_OK, DEPLOY_FAIL):
            rolled_back = index < last and codes[index + 1] in (ROLLBACK_OK, ROLLBACK_FAIL)
            if code == DEPLOY_FAIL or rolled_back:
                failed += 1
        if code != DEPLOY_OK and down_since is None:
            # A rollback says the deploy before it was bad: the outage started then.
            if code in (ROLLBACK_OK, ROLLBACK_FAIL) and index > 0:
                down_since = ts[index - 1]
            else:
                down_since = ts[index]
        if code in (DEPLOY_OK, ROLLBACK_OK) and down_since is not None:
            restores.append(ts[index] - down_since)
            down_since = None
    return failed, restores


def tally_events(events: Iterable[DeployEvent], *, start: datetime, end: datetime) -> RoiTally:
    tally = RoiTally(start, end)
    for event in events:
        tally.add_event(event)
    return tally


# --- GitHub deployments -------------------------------------------------------------------

ROLLBACK_TASKS = {"rollback": "rollback", "flipback": "flipback", "deploy:rollback": "rollback"}


@dataclass(frozen=True)
class GitHubDeployment:
    """What the GitHub source reads of one deployment and its latest status."""

    id: int
    created_at: datetime
    env: str
    service: str
    task: str
    sha: str
    state: str | None  # latest status state, lower case; None when it has none
    creator: str | None = None
    commit_ts: datetime | None = None
    ref: str | None = None


# Latest status -> outcome. `inactive` only ever follows `success` (GitHub marks the previous
# successful deployment inactive); unfinished states have no outcome yet.
_OUTCOMES = {"success": "success", "inactive": "success", "failure": "failure", "error": "failure"}


def classify_deployments(deployments: Iterable[GitHubDeployment]) -> list[DeployEvent]:
    """Deploy events from GitHub deployments, with rollbacks detected (docs/reference.md#roi).

    A deployment is a rollback (or flipback) when its task says so, or when it deploys a SHA
    that went to the same env/service earlier *before a different SHA*: the previous deployment
    there had another SHA. Re-running the same SHA right after it (a retry, e.g. after a failed
    deploy) is not a rollback. Deployments without a finished status are skipped.
    """
    ordered = sorted(deployments, key=lambda d: (d.created_at, d.id))
    seen: dict[tuple[str, str], set[str]] = {}
    last: dict[tuple[str, str], str] = {}
    events: list[DeployEvent] = []
    for deployment in ordered:
        scope = (deployment.env, deployment.service)
        earlier = seen.setdefault(scope, set())
        previous = last.get(scope)
        task = deployment.task.lower()
        if task in ROLLBACK_TASKS:
            action = ROLLBACK_TASKS[task]
        elif deployment.sha in earlier and previous is not None and previous != deployment.sha:
            action = "rollback"
        else:
            action = "deploy"
        earlier.add(deployment.sha)
        last[scope] = deployment.sha
        outcome = _OUTCOMES.get((deployment.state or "").lower())
        if outcome is None:
            continue
        events.append(
            DeployEvent(
                ts=deployment.created_at,
                env=deployment.env,
                service=deployment.service,
                action=action,
                version=deployment.ref or deployment.sha[:12],
                result=outcome,
                author=deployment.creator,
                commit=deployment.sha,
                commit_ts=deployment.commit_ts,
                id=f"github-deployment-{deployment.id}",
                notes="detected: redeploy of an earlier SHA"
                if action == "rollback" and task not in ROLLBACK_TASKS
                else None,
            )
        )
    return events
