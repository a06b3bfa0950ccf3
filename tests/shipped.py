"""The gates' settings objects at the shipped defaults (`policy/defaults`), built the one way
the product builds them (`lumen.settings`), with keyword overrides for a test's own values."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gates import integrated as ig
from gates import maturity as gm
from gates import resonance as gr
from gates import roi as groi
from lumen.config import Config
from lumen.settings import Scope, Settings

NOWHERE = Scope(None, None)


def settings() -> Settings:
    return Settings.build(Config())


def roi(**overrides: Any) -> groi.RoiSettings:
    return replace(settings().roi(NOWHERE).checks, **overrides)


def integrated(**overrides: Any) -> ig.IntegratedSettings:
    return replace(settings().integrated(NOWHERE).gate, **overrides)


def qa(**overrides: Any) -> ig.QaSettings:
    return replace(settings().integrated(NOWHERE).qa, **overrides)


def maturity(**overrides: Any) -> gm.Thresholds:
    return replace(settings().maturity(NOWHERE).thresholds, **overrides)


def severity_labels() -> dict[str, float]:
    return dict(settings().maturity(NOWHERE).severity_labels)


def resonance(**overrides: Any) -> gr.Thresholds:
    return replace(settings().resonance(NOWHERE).thresholds, **overrides)


def slo(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of `gates.slo.evaluate` at the shipped `slo:` defaults."""
    resolved = settings().slo(NOWHERE)
    return {
        "objective": resolved.objective,
        "preset": resolved.preset,
        "rules": resolved.rules,
        "on_no_data": resolved.on_no_data,
        **overrides,
    }
