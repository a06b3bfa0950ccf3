"""How Lumen calls outside services is settings, not constants: the wall-time budgets
(policy/defaults/budget.yml), the GitHub client (github.yml) and webhook deliveries
(webhook.yml), each with a config section at top level, per env and per env×service, and the
documented variables over all of them (docs/reference.md#budgets, #github-client, #notify)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lumen import budget
from lumen.adapters.github.api import client_settings
from lumen.cli import main
from lumen.config import load_config
from lumen.reporting import webhooks
from lumen.settings import GitHubClientSettings, Scope, Settings, WebhookSettings, start_run

from .servers import Behaviour, misbehaving_server
from .test_fault_injection import result_file

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """\
version: 1
budget:
  prometheus: 90s
environments:
  prod:
    budget:
      prometheus: 2m
      github: 5m
    services:
      api:
        budget:
          prometheus: 3m
          webhook: 20s
"""


GITHUB_VARIABLES = [
    "LUMEN_GITHUB_TIMEOUT",
    "LUMEN_GITHUB_RETRIES",
    "LUMEN_GITHUB_BACKOFF",
    "LUMEN_GITHUB_SECONDARY_WAIT",
    "LUMEN_GITHUB_READ_INTERVAL",
    "LUMEN_GITHUB_WRITE_INTERVAL",
]


@pytest.fixture(autouse=True)
def no_budget_variables(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for _name, variable in budget.SERVICES.values():
        monkeypatch.delenv(variable, raising=False)
    for variable in GITHUB_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    budget.reset()
    start_run(None)
    yield
    budget.reset()
    start_run(None)


def budgets_for(config: Path | None, env: str | None, service: str | None) -> dict[str, float]:
    settings = Settings(load_config(str(config) if config else None))
    budget.reset()
    start_run(lambda: (settings, Scope(env, service)))
    try:
        return {
            "prometheus": budget.prometheus().seconds,
            "github": budget.github().seconds,
            "webhook": budget.webhooks().seconds,
            "dependency-track": budget.for_setting("dependency-track").seconds,
        }
    finally:
        budget.reset()
        start_run(None)


def test_shipped_budgets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .github/lumen.yml here
    shipped = {"prometheus": 60.0, "github": 120.0, "webhook": 30.0, "dependency-track": 120.0}
    assert budgets_for(None, None, None) == shipped
    # In-process callers that never went through `lumen.cli` get the shipped budgets too.
    assert budget.prometheus().seconds == 60.0 and budget.github().seconds == 120.0


def test_config_top_level_env_and_env_service(tmp_path: Path) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(CONFIG, encoding="utf-8")
    assert budgets_for(config, None, None)["prometheus"] == 90.0
    prod = budgets_for(config, "prod", None)
    assert (prod["prometheus"], prod["github"], prod["webhook"]) == (120.0, 300.0, 30.0)
    assert budgets_for(config, "production", "api")["prometheus"] == 180.0
    assert budgets_for(config, "stage", "api")["prometheus"] == 90.0


def test_the_variable_wins_over_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setenv("LUMEN_PROMETHEUS_BUDGET", "45s")
    monkeypatch.setenv("LUMEN_GITHUB_MAX_WAIT", "7")
    got = budgets_for(config, "prod", "api")
    assert (got["prometheus"], got["github"]) == (45.0, 7.0)


def test_changing_the_shipped_default_changes_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "defaults"
    shutil.copytree(ROOT / "policy" / "defaults", copy)
    monkeypatch.setattr("lumen.config.defaults_dir", lambda: copy)
    shipped = copy / "budget.yml"
    text = shipped.read_text(encoding="utf-8")
    assert "\nwebhook: 30s\n" in text
    shipped.write_text(text.replace("\nwebhook: 30s\n", "\nwebhook: 45s\n"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert budgets_for(None, None, None)["webhook"] == 45.0


def test_a_command_runs_with_its_env_service_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end through `lumen.cli`: the budget a command waits within is its env×service
    one (a wait for `Retry-After` longer than it is refused at once, naming the budget)."""
    config = tmp_path / "lumen.yml"
    # notify has no --env/--service: the config's own `env:` and `service:` are the scope.
    config.write_text(CONFIG + "env: production\nservice: api\n", encoding="utf-8")
    monkeypatch.setenv("LUMEN_WEBHOOK_SECRET", "s3cret")
    with misbehaving_server(Behaviour.RETRY_429) as url:
        code = main(
            [
                "notify",
                "--result",
                result_file(tmp_path),
                "--webhook",
                url + "/hook",
                "--config",
                str(config),
            ]
        )
    err = capsys.readouterr().err
    assert code == 1
    assert "within the 20s budget" in err and "LUMEN_WEBHOOK_BUDGET" in err, err


def test_a_budget_that_is_not_a_duration_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text("version: 1\nbudget:\n  github: soon\n", encoding="utf-8")
    code = main(
        ["maturity", "--events", str(ROOT / "examples" / "events.jsonl"), "--config", str(config)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "lumen.yml" in err and "budget.github" in err and "Traceback" not in err


def github_for(config: Path | None, env: str | None, service: str | None) -> GitHubClientSettings:
    settings = Settings(load_config(str(config) if config else None))
    start_run(lambda: (settings, Scope(env, service)))
    try:
        return client_settings()
    finally:
        start_run(None)


def test_shipped_github_client_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert github_for(None, None, None) == GitHubClientSettings(
        timeout=30.0,
        retries=4,
        backoff=1.0,
        secondary_rate_wait=60.0,
        read_interval=0.0,
        write_interval=1.0,
    )


def test_github_client_settings_from_config_and_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(
        "version: 1\ngithub:\n  retries: 2\n  timeout: 1m\n"
        "environments:\n  prod:\n    services:\n      api:\n"
        "        github:\n          write-interval: 0s\n          read-interval: 250ms\n",
        encoding="utf-8",
    )
    top = github_for(config, None, None)
    assert (top.retries, top.timeout, top.write_interval) == (2, 60.0, 1.0)
    api = github_for(config, "prod", "api")
    assert (api.retries, api.write_interval, api.read_interval) == (2, 0.0, 0.25)
    monkeypatch.setenv("LUMEN_GITHUB_RETRIES", "0")
    monkeypatch.setenv("LUMEN_GITHUB_WRITE_INTERVAL", "3")
    pinned = github_for(config, "prod", "api")
    assert (pinned.retries, pinned.write_interval, pinned.timeout) == (0, 3.0, 60.0)


def test_a_github_setting_that_is_not_a_duration_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text("version: 1\ngithub:\n  timeout: 0s\n", encoding="utf-8")
    events = str(ROOT / "examples" / "events.jsonl")
    code = main(["maturity", "--events", events, "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 1
    assert "lumen.yml" in err and "github.timeout" in err and "Traceback" not in err


def test_shipped_webhook_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(load_config(None))
    assert settings.webhook(Scope(None, None)) == WebhookSettings(
        attempts=4, backoff=1.0, max_wait=30.0, timeout=10.0
    )


def test_webhook_attempts_from_the_config(tmp_path: Path, webhook_receiver: Any) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text(
        "version: 1\nenvironments:\n  prod:\n    webhook:\n      attempts: 2\n      backoff: 0s\n",
        encoding="utf-8",
    )
    webhook_receiver.script = [(500, {})] * 10
    settings = Settings(load_config(str(config)))
    start_run(lambda: (settings, Scope("prod", None)))
    slept: list[float] = []
    with pytest.raises(webhooks.SourceError, match="after 2 attempts"):
        webhooks.post_json(webhook_receiver.url, {}, label="discord", sleep=slept.append)
    assert len(webhook_receiver.requests) == 2 and slept == [0.0]
    # An explicit argument still wins over the settings.
    webhook_receiver.requests.clear()
    with pytest.raises(webhooks.SourceError, match="after 3 attempts"):
        webhooks.post_json(
            webhook_receiver.url, {}, label="discord", attempts=3, sleep=slept.append
        )
    assert len(webhook_receiver.requests) == 3


def test_the_trust_root_refresh_waits_as_long_as_sigstore_settings_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lumen.adapters import sigstore as adapter

    asked: list[float] = []
    monkeypatch.setattr(adapter, "_refresh", lambda staging, timeout: asked.append(timeout))
    monkeypatch.chdir(tmp_path)
    adapter.load_trust_config()
    assert asked == [5.0]  # shipped: policy/defaults/sigstore.yml
    config = tmp_path / "lumen.yml"
    config.write_text("version: 1\nsigstore:\n  refresh-timeout: 1500ms\n", encoding="utf-8")
    settings = Settings(load_config(str(config)))
    start_run(lambda: (settings, Scope(None, None)))
    adapter.load_trust_config()
    adapter.load_trust_config(refresh_timeout=0.5)  # a caller's own bound still wins
    assert asked == [5.0, 1.5, 0.5]


def test_a_command_s_settings_end_with_it(tmp_path: Path, webhook_receiver: Any) -> None:
    """After `lumen.cli.main` returns, a direct call (an embedding tool, the next test) is not
    bound to that command's config: its file may be gone."""
    config = tmp_path / "lumen.yml"
    config.write_text("version: 1\nwebhook:\n  attempts: 1\n", encoding="utf-8")
    events = str(ROOT / "examples" / "events.jsonl")
    assert main(["maturity", "--events", events, "--config", str(config), "--quiet"]) in (0, 2)
    config.unlink()
    webhook_receiver.script = [(500, {})] * 10
    with pytest.raises(webhooks.SourceError, match="after 4 attempts"):
        webhooks.post_json(webhook_receiver.url, {}, label="discord", sleep=lambda s: None)
