"""Typed, frozen settings per gate, built one way from the merged config
(docs/reference.md#contract).

Precedence: flag > env×service > env > top-level section > shipped `policy/defaults/<section>.yml`.
The shipped defaults are the only place a default value is written: the builders here read
every key from the merged mapping and never fall back to a number of their own, and help texts
show a default through `default_of`, which reads the same files.

Flag values are checked by the rules the config file is checked by (the section's JSON schema in
`policy/schemas/config/`, plus: numbers are finite), so `--min-overall -1`, `nan` or `inf` are
refused with one line naming the flag.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates.errors import ConfigError, UsageError
from gates.result import OnNoData
from lumen import config as _config
from lumen.config import Config, file_key

if TYPE_CHECKING:
    from gates.integrated import IntegratedSettings as IntegratedCheckSettings
    from gates.integrated import QaSettings
    from gates.maturity import Thresholds as MaturityThresholds
    from gates.resonance import Thresholds as ResonanceThresholds
    from gates.roi import RoiSettings as RoiCheckSettings
    from gates.slo import BurnRule
    from gates.trend import TrendSettings

# Flag values of one section: config key -> value; None means "not given".
Flags = Mapping[str, object]


@dataclass(frozen=True)
class Scope:
    """Whose thresholds: the env (canonical: dev, stage, prod, ...) and service, either unset."""

    env: str | None
    service: str | None


# ------------------------------------------------------------------------------ defaults


def defaults_dir() -> Path:
    """`policy/defaults` (looked up on each call, so a test can point lumen.config at a copy)."""
    return _config.defaults_dir()


@functools.cache
def _default_nodes(name: str, size: int, mtime_ns: int) -> dict[str, Any]:
    """Top-level key -> YAML node of a shipped defaults file (keeps the text as written)."""
    import yaml

    path = Path(name)
    if size < 0:
        return {}
    root = yaml.compose(path.read_text(encoding="utf-8"))
    if not isinstance(root, yaml.MappingNode):
        return {}
    return {str(k.value): v for k, v in root.value if isinstance(k, yaml.ScalarNode)}


def _node_text(node: Any) -> str:
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    if isinstance(node, yaml.SequenceNode):
        return ", ".join(_node_text(item) for item in node.value)
    if isinstance(node, yaml.MappingNode):
        return ", ".join(f"{_node_text(k)}: {_node_text(v)}" for k, v in node.value)
    return ""


def default_text(section: str, key: str) -> str:
    """The shipped default of `section.key` as written in `policy/defaults/<section>.yml`
    (`0.60`, `24h`, `24h, 6h`)."""
    node = _default_nodes(*file_key(defaults_dir() / f"{section}.yml")).get(key)
    if node is None:
        raise ConfigError(
            f"no shipped default for {key!r}",
            file=str(defaults_dir().joinpath(f"{section}.yml")),
            field=key,
        )
    return _node_text(node)


def default_of(section: str, key: str) -> str:
    """`default 0.60`: the phrase help texts use, read from the shipped defaults."""
    return f"default {default_text(section, key)}"


# ------------------------------------------------------------------------------ flags


def _flag_name(key: str, names: Mapping[str, str] | None) -> str:
    return (names or {}).get(key) or f"--{key}"


def _non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list | tuple):
        return any(_non_finite(item) for item in value)
    return False


def validate_flags(section: str, flags: Flags, names: Mapping[str, str] | None = None) -> None:
    """Refuse a flag value the config file could not hold: the section schema's rules for the
    key (type, range, enum, pattern) and finite numbers. One error, naming the flag."""
    given = {key: value for key, value in flags.items() if value is not None}
    if not given:
        return
    for key, value in given.items():
        if _non_finite(value):
            raise UsageError(f"{value!r} is not a finite number", field=_flag_name(key, names))
    from lumen.resources import load_schema

    schema_name = f"config/{section}.schema.json"
    try:
        properties = load_schema(schema_name).get("properties") or {}
    except FileNotFoundError:
        return
    from lumen.schema import describe, iter_errors

    # Repeatable flags (lists) are checked item by item where they are parsed, with messages
    # that show the expected form; here the single values: numbers, choices, durations.
    known = {
        key: value
        for key, value in given.items()
        if key in properties and not isinstance(value, list | tuple)
    }
    for error in iter_errors(schema_name, known):
        key = str(error.absolute_path[0]) if error.absolute_path else ""
        _, message = describe(error)
        raise UsageError(message, field=_flag_name(key, names))


# ------------------------------------------------------------------------------ sections


def required(values: Mapping[str, Any], section: str, key: str) -> Any:
    value = values.get(key)
    if value is None:
        raise ConfigError(
            f"{section}.{key} has no value and no shipped default",
            file=str(defaults_dir().joinpath(f"{section}.yml")),
            field=key,
        )
    return value


def number(values: Mapping[str, Any], section: str, key: str) -> float:
    return float(required(values, section, key))


def optional_number(values: Mapping[str, Any], key: str) -> float | None:
    value = values.get(key)
    return None if value is None else float(value)


def _labels(raw: object, field_name: str) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError("severity-labels must map names to numbers", field=field_name)
    return {str(k): float(v) for k, v in raw.items()}


def _strings(raw: object) -> tuple[str, ...]:
    """A setting that is one string or a list of them, as a tuple."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(item) for item in raw)  # type: ignore[attr-defined]


def _windows(raw: object, section: str) -> tuple[str, ...]:
    labels = _strings(raw)
    if not labels:
        raise ConfigError(f"{section}.window has no value and no shipped default", field="window")
    from gates.timeutil import parse_duration

    for label in labels:
        parse_duration(label, field="--window")
    return tuple(dict.fromkeys(labels))


def _seconds(values: Mapping[str, Any], section: str, key: str) -> float:
    """A duration setting in seconds; `0s` (no wait, where the schema allows it) is 0."""
    from gates.timeutil import parse_duration

    raw = str(required(values, section, key)).strip()
    if re.fullmatch(r"(0+(ms|[smhdwy]))+", raw):
        return 0.0
    return parse_duration(raw, field=f"{section}.{key}").total_seconds()


@dataclass(frozen=True)
class MaturitySettings:
    """Resolved `maturity:`; `severity_labels` also holds the config's top-level labels."""

    windows: tuple[str, ...]
    thresholds: MaturityThresholds
    on_no_data: OnNoData
    skip_invalid: bool
    jobs: int | None
    severity_labels: Mapping[str, float]
    prometheus_selector: str | None
    prometheus_range: str
    m_score: Mapping[str, Any] | None


@dataclass(frozen=True)
class RoiSettings:
    """Resolved `roi:` for one scope: the window, the checks' thresholds and the sources'."""

    window: str
    checks: RoiCheckSettings
    matrix: bool
    queries: Mapping[str, str]


@dataclass(frozen=True)
class SloSettings:
    objective: float
    objective_from_flag: bool  # --objective beats the objective a samples file states
    preset: str
    rules: Sequence[BurnRule]
    on_no_data: OnNoData
    key: bool
    samples: str | None
    errors: str | None
    requests: str | None


@dataclass(frozen=True)
class ScoreSettings:
    score_min: float
    score_warn: float | None
    baseline_runs: int
    objectives: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class IntegratedSettings:
    """Resolved `integrated:`: the decision's settings, the QA thresholds and the rest."""

    gate: IntegratedCheckSettings
    qa: QaSettings
    maturity_window: str
    adaptive: bool
    score_min: float | None
    on_no_data: OnNoData


@dataclass(frozen=True)
class StateSettings:
    """Resolved `state:`; `configured` says whether the config has the section at all (only
    then do writes go to the data branch)."""

    configured: bool
    branch: str
    remote: str


@dataclass(frozen=True)
class BudgetSettings:
    """Resolved `budget:`: each service's wall-time budget in seconds, by its key in
    policy/defaults/budget.yml (the services' variables, applied in `lumen.budget`, win)."""

    seconds: Mapping[str, float]


@dataclass(frozen=True)
class GitHubClientSettings:
    """Resolved `github:`: how the GitHub client calls (the LUMEN_GITHUB_* variables, applied
    in `lumen.adapters.github.api`, win). Seconds; an interval of 0 does not space calls."""

    timeout: float
    retries: int
    backoff: float
    secondary_rate_wait: float
    read_interval: float
    write_interval: float


@dataclass(frozen=True)
class WebhookSettings:
    """Resolved `webhook:`: how one webhook delivery is tried (seconds)."""

    attempts: int
    backoff: float
    max_wait: float
    timeout: float


@dataclass(frozen=True)
class SigstoreSettings:
    """Resolved `sigstore:`: seconds a trust-root refresh may take before the shipped root."""

    refresh_timeout: float


@dataclass(frozen=True)
class TrendConfig:
    """Resolved `trend:`: the two windows and the checks' settings (`gates.trend`)."""

    recent_window: str
    baseline_window: str
    checks: TrendSettings


@dataclass(frozen=True)
class ResonanceSettings:
    window: str
    thresholds: ResonanceThresholds
    weights: Mapping[str, float]
    on_no_data: OnNoData


@dataclass(frozen=True)
class PolicySettings:
    """Resolved `policy:`; `on_no_data` None leaves each metric rule's own choice."""

    packs: tuple[str, ...]
    variables: Mapping[str, str]
    parallel: int
    rego: tuple[str, ...]
    namespaces: tuple[str, ...] | None
    all_namespaces: bool
    ignore_missing_namespace: bool
    rego_allow: tuple[str, ...]
    parser: str | None
    data: tuple[str, ...]
    fail_on_warn: bool
    combine: bool
    schemas: tuple[str, ...]
    max_errors: int
    on_no_data: OnNoData | None
    # The `compare:` section (over policy/defaults/compare.yml): what `kind: compare` rules of
    # the packs start from.
    compare: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The merged config plus this run's flags (validated), building each gate's settings for
    any scope: the run's own, or another (env, service) of a matrix."""

    config: Config
    flags: Mapping[str, Flags] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        config: Config,
        flags: Mapping[str, Flags] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Settings:
        """`flags` per section (config keys; None = not given), validated here; `names` maps a
        key to its flag where that is not `--<key>`."""
        flags = dict(flags or {})
        for section, values in flags.items():
            validate_flags(section, values, names)
        return cls(config, flags)

    def section(self, name: str, scope: Scope) -> dict[str, Any]:
        """The merged mapping of a section (untyped: policy, sampler and other sections whose
        keys are passed on as they are)."""
        return self.config.resolve(
            name, self.flags.get(name) or {}, env=scope.env, service=scope.service
        )

    def _on_no_data(self, section: str, scope: Scope) -> OnNoData:
        """The section's on-no-data as set by flag or config, else the config's top-level
        `on-no-data:`, else the section's shipped default."""
        flag = (self.flags.get(section) or {}).get("on-no-data")
        user = self.config.section(section, env=scope.env, service=scope.service, defaults=False)
        chosen = flag or user.get("on-no-data") or self.config.get("on-no-data")
        return OnNoData(
            str(chosen or required(self.section(section, scope), section, "on-no-data"))
        )

    def maturity(self, scope: Scope) -> MaturitySettings:
        from gates.maturity import Thresholds

        values = self.section("maturity", scope)
        band = number(values, "maturity", "min-band")

        def floor(key: str) -> float:
            value = values.get(key)
            return band if value is None else float(value)

        labels = _labels(values.get("severity-labels"), "maturity.severity-labels")
        labels.update(_labels(self.config.get("severity-labels"), "severity-labels"))
        m_score = values.get("m-score")
        return MaturitySettings(
            windows=_windows(values.get("window"), "maturity"),
            thresholds=Thresholds(
                min_overall=number(values, "maturity", "min-overall"),
                min_sense=floor("min-sense"),
                min_feedback=floor("min-feedback"),
                min_release=floor("min-release"),
            ),
            on_no_data=OnNoData(required(values, "maturity", "on-no-data")),
            skip_invalid=bool(values.get("skip-invalid")),
            jobs=None if values.get("jobs") is None else int(values["jobs"]),
            severity_labels=labels,
            prometheus_selector=values.get("prometheus-selector"),
            prometheus_range=str(required(values, "maturity", "prometheus-range")),
            m_score=dict(m_score) if m_score else None,
        )

    def roi(self, scope: Scope) -> RoiSettings:
        from gates.roi import RoiSettings as Checks

        values = self.section("roi", scope)
        return RoiSettings(
            window=str(required(values, "roi", "window")),
            checks=Checks(
                min_success_rate=number(values, "roi", "min-success-rate"),
                max_rollback_rate=number(values, "roi", "max-rollback-rate"),
                min_deploys=int(required(values, "roi", "min-deploys")),
                statistic=str(required(values, "roi", "statistic")),
                on_no_data=OnNoData(required(values, "roi", "on-no-data")),
                key=bool(values.get("key", False)),
            ),
            matrix=bool(values.get("matrix")),
            queries={str(k): str(v) for k, v in (values.get("queries") or {}).items()},
        )

    def slo(self, scope: Scope) -> SloSettings:
        from gates import slo

        values = self.section("slo", scope)
        return SloSettings(
            objective=number(values, "slo", "objective"),
            objective_from_flag=(self.flags.get("slo") or {}).get("objective") is not None,
            preset=str(required(values, "slo", "preset")),
            rules=slo.parse_rules(values["rules"]) if values.get("rules") else slo.MULTIWINDOW,
            on_no_data=OnNoData(required(values, "slo", "on-no-data")),
            key=bool(values.get("key", False)),
            samples=None if values.get("samples") is None else str(values["samples"]),
            errors=None if not values.get("errors") else str(values["errors"]),
            requests=None if not values.get("requests") else str(values["requests"]),
        )

    def score(self, scope: Scope) -> ScoreSettings:
        values = self.section("score", scope)
        return ScoreSettings(
            score_min=number(values, "score", "score-min"),
            score_warn=optional_number(values, "score-warn"),
            baseline_runs=int(required(values, "score", "baseline-runs")),
            objectives=dict(values.get("objectives") or {}),
        )

    def integrated(self, scope: Scope) -> IntegratedSettings:
        from gates import integrated as ig

        values = self.section("integrated", scope)
        on_no_data = self._on_no_data("integrated", scope)
        return IntegratedSettings(
            gate=ig.IntegratedSettings(
                min_overall=number(values, "integrated", "min-overall"),
                min_band=number(values, "integrated", "min-band"),
                penalty=number(values, "integrated", "penalty"),
                borderline=str(required(values, "integrated", "borderline")),
                on_no_data=on_no_data,
            ),
            qa=ig.QaSettings(
                min_overall=number(values, "integrated", "qa-min-overall"),
                min_feedback=number(values, "integrated", "qa-min-feedback"),
                min_release=number(values, "integrated", "qa-min-release"),
                max_sense_delta=number(values, "integrated", "qa-max-sense-delta"),
            ),
            maturity_window=str(required(values, "integrated", "maturity-window")),
            adaptive=bool(values.get("adaptive")),
            # Falsy (unset or 0) defers to score.score-min, as the gate always did.
            score_min=float(values["score-min"]) if values.get("score-min") else None,
            on_no_data=on_no_data,
        )

    def policy(self, scope: Scope) -> PolicySettings:
        values = self.section("policy", scope)
        namespaces = values.get("namespace")
        on_no_data = values.get("on-no-data")
        return PolicySettings(
            packs=_strings(values.get("pack")),
            variables={str(k): str(v) for k, v in (values.get("var") or {}).items()},
            parallel=int(required(values, "policy", "parallel")),
            rego=_strings(values.get("rego")),
            namespaces=None if not namespaces else _strings(namespaces),
            all_namespaces=bool(values.get("all-namespaces")),
            ignore_missing_namespace=bool(values.get("ignore-missing-namespace")),
            rego_allow=_strings(values.get("rego-allow")),
            parser=None if not values.get("parser") else str(values["parser"]),
            data=_strings(values.get("data")),
            fail_on_warn=bool(values.get("fail-on-warn")),
            combine=bool(values.get("combine")),
            schemas=_strings(values.get("schema")),
            max_errors=int(required(values, "policy", "max-errors")),
            on_no_data=OnNoData(on_no_data) if on_no_data else None,
            compare=self.section("compare", scope),
        )

    def state(self) -> StateSettings:
        values = self.config.resolve("state", {})
        return StateSettings(
            configured=self.config.get("state") is not None,
            branch=str(required(values, "state", "branch")),
            remote=str(required(values, "state", "remote")),
        )

    def budget(self, scope: Scope) -> BudgetSettings:
        from gates.timeutil import parse_duration

        values = self.section("budget", scope)
        return BudgetSettings(
            seconds={
                str(key): parse_duration(str(value), field=f"budget.{key}").total_seconds()
                for key, value in values.items()
            }
        )

    def github(self, scope: Scope) -> GitHubClientSettings:
        values = self.section("github", scope)

        def seconds(key: str) -> float:
            return _seconds(values, "github", key)

        return GitHubClientSettings(
            timeout=seconds("timeout"),
            retries=int(required(values, "github", "retries")),
            backoff=seconds("backoff"),
            secondary_rate_wait=seconds("secondary-rate-wait"),
            read_interval=seconds("read-interval"),
            write_interval=seconds("write-interval"),
        )

    def webhook(self, scope: Scope) -> WebhookSettings:
        values = self.section("webhook", scope)
        return WebhookSettings(
            attempts=int(required(values, "webhook", "attempts")),
            backoff=_seconds(values, "webhook", "backoff"),
            max_wait=_seconds(values, "webhook", "max-wait"),
            timeout=_seconds(values, "webhook", "timeout"),
        )

    def sigstore(self, scope: Scope) -> SigstoreSettings:
        values = self.section("sigstore", scope)
        return SigstoreSettings(refresh_timeout=_seconds(values, "sigstore", "refresh-timeout"))

    def trend(self, scope: Scope) -> TrendConfig:
        from gates.result import Verdict
        from gates.trend import TrendSettings as Checks

        values = self.section("trend", scope)
        degraded = str(required(values, "trend", "degraded")).upper()
        return TrendConfig(
            recent_window=str(required(values, "trend", "recent-window")),
            baseline_window=str(required(values, "trend", "baseline-window")),
            checks=Checks(
                factor=number(values, "trend", "factor"),
                rate_floor=number(values, "trend", "rate-floor"),
                min_runs=int(required(values, "trend", "min-runs")),
                min_deploys=int(required(values, "trend", "min-deploys")),
                min_count=int(required(values, "trend", "min-count")),
                degraded=Verdict(degraded),
                on_no_data=OnNoData(required(values, "trend", "on-no-data")),
            ),
        )

    def resonance(self, scope: Scope) -> ResonanceSettings:
        from gates.resonance import Thresholds, check_weights

        values = self.section("resonance", scope)
        weights = {str(k): float(v) for k, v in (values.get("weights") or {}).items()}
        problem = check_weights(weights)
        if problem:
            raise ConfigError(problem, field="resonance.weights")
        return ResonanceSettings(
            window=str(required(values, "resonance", "window")),
            thresholds=Thresholds(
                min_coherence=number(values, "resonance", "min-coherence"),
                max_phase=number(values, "resonance", "max-phase"),
            ),
            weights=weights,
            on_no_data=OnNoData(required(values, "resonance", "on-no-data")),
        )


# --- the running command's settings, for what is set up deep below the commands ---------------
#
# The budgets (lumen.budget) and the GitHub client are created where a service is first called,
# far from the command's argparse namespace; `lumen.cli` says once per command how to resolve
# the run's settings and scope, and they are resolved on first use (a command that calls no
# service never reads them). Without a command (in-process callers), the shipped defaults.

RunResolver = Callable[[], tuple[Settings, Scope]]


class _Run:
    resolver: RunResolver | None = None
    resolved: tuple[Settings, Scope] | None = None


_run = _Run()
_run_lock = threading.Lock()


def start_run(resolver: RunResolver | None = None) -> None:
    """A command starts: its settings and scope come from `resolver`, called on first use."""
    with _run_lock:
        _run.resolver = resolver
        _run.resolved = None


def run_settings() -> tuple[Settings, Scope]:
    """The running command's settings and scope (the shipped defaults when none started)."""
    with _run_lock:
        if _run.resolved is None:
            resolver = _run.resolver or (lambda: (Settings(Config()), Scope(None, None)))
            _run.resolved = resolver()
        return _run.resolved
