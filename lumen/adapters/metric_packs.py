"""Metric rule packs: YAML files validated by `policy-pack.schema.json`, turned into
`gates.policy.MetricRule`s for one environment.

A `--pack` value is a file path, or the name of a shipped pack in `policy/packs/`
(`canary`, `rmb`, `slo-burn`, `pipeline`, `m-score`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gates.compare import (
    SELECTOR_PLACEHOLDER,
    Allowance,
    CompareRule,
    CompareSettings,
    Direction,
    ScoreSettings,
)
from gates.errors import ConfigError, LumenError, UsageError
from gates.policy import (
    DEFAULT_CONSECUTIVE_ERROR_LIMIT,
    MetricRule,
    OnError,
    Severity,
    build_query,
    resolve_threshold,
)
from gates.result import OnNoData
from gates.timeutil import parse_duration
from lumen.resources import policy_path
from lumen.schema import validate
from lumen.yamlpos import Located, load_yaml

SCHEMA = "policy-pack.schema.json"
# Only the braced form is a pack variable: PromQL never uses `${`, while `$window` is the
# SLO command's own placeholder and must pass through untouched.
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def shipped_packs() -> list[str]:
    return sorted(p.stem for p in policy_path("packs").glob("*.yml"))


def pack_file(name: str) -> Path:
    """A path as given, else a shipped pack by name."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = policy_path("packs", f"{name}.yml")
    if "/" not in name and shipped.is_file():
        return shipped
    raise ConfigError(
        "policy pack not found",
        file=name,
        expected=f"a YAML file or a shipped pack ({', '.join(shipped_packs())})",
    )


def parse_vars(pairs: Sequence[str] | Mapping[str, Any] | None) -> dict[str, str]:
    """`--var NAME=VALUE` flags (or a config mapping) as a dict."""
    if pairs is None:
        return {}
    if isinstance(pairs, Mapping):
        return {str(k): str(v) for k, v in pairs.items()}
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"--var {pair!r}: expected NAME=VALUE")
        out[name] = value
    return out


def _substitute(text: str, values: Mapping[str, str], *, file: str, line: int | None) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ConfigError(
                f"unknown variable ${{{name}}}",
                file=file,
                line=line,
                expected=f"one of {', '.join(sorted(values)) or '(none)'} or --var {name}=VALUE",
            )
        return values[name]

    return _VAR.sub(replace, text)


def load_pack(
    name: str, *, env: str | None = None, variables: Mapping[str, str] | None = None
) -> list[MetricRule]:
    """The pack's rules for `env` (rules limited to other environments are left out)."""
    return _load_pack(name, env=env, variables=variables)[0]


def _load_pack(
    name: str, *, env: str | None, variables: Mapping[str, str] | None
) -> tuple[list[MetricRule], str, Located]:
    """`load_pack`, with the file read and its parsed text (line positions included)."""
    path = pack_file(name)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read policy pack: {exc}", file=file) from None
    located = load_yaml(text, file)
    data = located.data
    if not isinstance(data, dict):
        raise ConfigError(
            "a policy pack must be a mapping", file=file, line=1, expected="id: and rules:"
        )
    # The two rule forms are a oneOf in the schema, whose own message says nothing useful.
    for index, rule in enumerate(data.get("rules") or []):
        if not isinstance(rule, dict) or rule.get("kind") == "compare":
            continue
        has_query = "query" in rule
        has_metric = any(k in rule for k in ("metric", "window", "aggregation"))
        if has_query == has_metric or (
            has_metric and not all(k in rule for k in ("metric", "window", "aggregation"))
        ):
            raise ConfigError(
                "a rule needs either `query` or all of `metric`, `window` and `aggregation`",
                file=file,
                line=located.line_of(["rules", index]),
                field=f"rules.{index}",
            )
    validate(
        SCHEMA,
        data,
        file=file,
        line_of=lambda p, key: located.line_of(p, key=key),
        error_cls=ConfigError,
    )
    values = {str(k): str(v) for k, v in (data.get("vars") or {}).items()}
    values.update(variables or {})
    defaults: dict[str, Any] = data.get("defaults") or {}
    rules: list[MetricRule] = []
    for index, raw in enumerate(data["rules"]):
        if raw.get("kind") == "compare":
            continue  # judged by load_compare_rules' caller, canary against baseline
        setting = {**defaults, **raw}
        line = located.line_of(["rules", index])
        allowed_envs = raw.get("environments")
        if allowed_envs is not None and env not in allowed_envs:
            continue
        if "query" in raw:
            query = _substitute(raw["query"], values, file=file, line=line)
        else:
            metric = _substitute(raw["metric"], values, file=file, line=line)
            query = build_query(metric, raw["window"], raw["aggregation"])
        try:
            threshold = resolve_threshold(raw["threshold"], env)
        except ValueError as exc:
            raise ConfigError(
                str(exc),
                file=file,
                line=located.line_of(["rules", index, "threshold"]),
                field=f"rules.{index}.threshold",
            ) from None
        interval = (
            parse_duration(setting["interval"], field="interval").total_seconds()
            if "interval" in setting
            else 0.0
        )
        timeout = setting.get("timeout")
        rules.append(
            MetricRule(
                id=raw["id"],
                query=" ".join(query.split()),
                comparator=raw["comparator"],
                threshold=threshold,
                description=raw.get("description", ""),
                severity=Severity(setting.get("severity", "error")),
                on_no_data=OnNoData(setting.get("on-no-data", "pass")),
                on_error=OnError(setting.get("on-error", "fail")),
                count=int(setting.get("count", 1)),
                interval=interval,
                failure_limit=int(setting.get("failure-limit", 0)),
                inconclusive_limit=int(setting.get("inconclusive-limit", 0)),
                consecutive_error_limit=int(
                    setting.get("consecutive-error-limit", DEFAULT_CONSECUTIVE_ERROR_LIMIT)
                ),
                timeout=None
                if timeout is None
                else parse_duration(timeout, field="timeout").total_seconds(),
                pack=str(data["id"]),
                file=file,
                line=line,
            )
        )
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"duplicate rule id {duplicates[0]}", file=file, field="rules")
    return rules, file, located


def _allowance(value: Any) -> Allowance:
    """`10%` is relative to the baseline's median; a number is in the metric's own units."""
    if isinstance(value, str) and value.endswith("%"):
        return Allowance(float(value[:-1]) / 100, relative=True)
    return Allowance(float(value))


def _seconds(
    raw: Mapping[str, Any], key: str, values: Mapping[str, str], *, file: str, line: int | None
) -> float:
    text = _substitute(str(raw[key]), values, file=file, line=line)
    try:
        seconds = parse_duration(text, field=key).total_seconds()
    except LumenError as exc:
        raise ConfigError(exc.message, file=file, line=line, field=key) from None
    if seconds <= 0:
        raise ConfigError(f"{key} must be longer than 0s", file=file, line=line, field=key)
    return seconds


def load_compare_rules(
    name: str,
    *,
    base: Mapping[str, Any],
    env: str | None = None,
    variables: Mapping[str, str] | None = None,
) -> tuple[list[CompareRule], ScoreSettings]:
    """The pack's `kind: compare` rules for `env` and its scoring. `base` holds the compare
    settings every rule starts from (the config's `compare:` section over the shipped
    defaults); the pack's `compare:` block and each rule's own keys override them."""
    # Validates the whole pack (one error path) and hands over the text it read and parsed.
    _, file, located = _load_pack(name, env=env, variables=variables)
    data: dict[str, Any] = located.data
    values = {str(k): str(v) for k, v in (data.get("vars") or {}).items()}
    values.update(variables or {})
    values["selector"] = SELECTOR_PLACEHOLDER  # replaced per side when the query runs
    scoring: dict[str, Any] = {**base, **(data.get("compare") or {})}
    group_weights: Mapping[str, float] = scoring.get("groups") or {}
    raws = [
        (index, raw)
        for index, raw in enumerate(data["rules"])
        if raw.get("kind") == "compare"
        and (raw.get("environments") is None or env in raw["environments"])
    ]
    # A group's weight is shared by those of its metrics that do not set their own.
    shared: dict[str, int] = {}
    for _, raw in raws:
        if "weight" not in raw:
            group = str(raw.get("group", base["group"]))
            shared[group] = shared.get(group, 0) + 1
    rules: list[CompareRule] = []
    for index, raw in raws:
        setting = {**base, **raw}
        line = located.line_of(["rules", index])
        group = str(setting["group"])
        if "weight" in raw:
            weight = float(raw["weight"])
        else:
            weight = float(group_weights.get(group, base["weight"])) / shared[group]
        change = raw.get("allowed-change")
        increase = setting["allowed-increase"] if change is None else change
        decrease = setting["allowed-decrease"] if change is None else change
        selectors = {
            side: _substitute(str(raw[side]), values, file=file, line=line)
            for side in ("canary", "baseline")
        }
        rules.append(
            CompareRule(
                id=str(raw["id"]),
                query=" ".join(_substitute(raw["query"], values, file=file, line=line).split()),
                canary=selectors["canary"],
                baseline=selectors["baseline"],
                range_seconds=_seconds(raw, "range", values, file=file, line=line),
                step_seconds=_seconds(raw, "step", values, file=file, line=line),
                settings=CompareSettings(
                    direction=Direction(setting["direction"]),
                    allowed_increase=_allowance(increase),
                    allowed_decrease=_allowance(decrease),
                    confidence=float(setting["confidence"]),
                    min_samples=int(setting["min-samples"]),
                ),
                group=group,
                weight=weight,
                key=bool(raw.get("key", False)),
                on_no_data=OnNoData(setting["on-no-data"]),
                description=str(raw.get("description", "")),
                pack=str(data["id"]),
                file=file,
                line=line,
            )
        )
    score = ScoreSettings(
        pass_score=float(scoring["pass-score"]),
        marginal_score=float(scoring["marginal-score"]),
        on_no_data=OnNoData(scoring["on-no-data"]),
    )
    if score.marginal_score > score.pass_score:
        raise ConfigError(
            f"marginal-score {score.marginal_score:g} is above pass-score {score.pass_score:g}",
            file=file,
            field="compare",
        )
    return rules, score
