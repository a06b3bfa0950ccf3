"""Options every command shares (docs/reference.md#cli) and the small helpers around them."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from gates.result import OnNoData
from gates.timeutil import parse_timestamp, utcnow
from lumen.config import Config, load_config
from lumen.settings import Flags, Scope, Settings, default_of, default_text

if TYPE_CHECKING:
    from lumen.adapters.git_state import StateLocation
    from lumen.adapters.prometheus import PrometheusConnection


def positive_int(text: str) -> int:
    """argparse type for counts such as --jobs: a whole number >= 1 (0 or -3 would be taken
    for "no limit" or crash later; a setting's ranges come from its schema instead)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not >= 1")
    return value


def add_common(
    parser: argparse.ArgumentParser,
    *,
    gate: bool = True,
    section: str | None = None,
    state_files: str = "--ledger",
) -> None:
    """`--config --env --service --json --now --quiet`, and for gates also
    `--junit --on-no-data --ledger --state`; `section` is the gate's config section, whose shipped
    on-no-data the help shows; `state_files` what `--state` puts on the data branch."""
    group = parser.add_argument_group("common options")
    group.add_argument(
        "--config", metavar="PATH", help="config file (default: .github/lumen.yml when present)"
    )
    group.add_argument(
        "--env",
        metavar="ENV",
        help="environment for thresholds: dev, stage, prod (production/staging work too)",
    )
    group.add_argument("--service", metavar="NAME", help="service for env×service thresholds")
    group.add_argument("--json", metavar="PATH", help="write the result JSON to PATH")
    group.add_argument("--now", metavar="TS", help="pin 'now' (RFC 3339) for reproducible windows")
    group.add_argument("--quiet", action="store_true", help="print nothing but errors")
    if gate:
        group.add_argument(
            "--junit", metavar="PATH", help="write a JUnit XML report (one test per check)"
        )
        group.add_argument(
            "--on-no-data",
            choices=[m.value for m in OnNoData],
            help=(
                f"verdict when there is no data, reported as NO_DATA "
                f"({default_of(section, 'on-no-data')})"
                if section
                # a command that does not name its section
                else "verdict when there is no data (default: pass, reported as NO_DATA)"
            ),
        )
        group.add_argument("--ledger", metavar="PATH", help="append the decision to this ledger")
        add_state_argument(group, state_files)


def add_state_argument(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    what: str = "the ledger, deploy log and history",
    empty: str = "as the config's state: says",
) -> None:
    """`--state BRANCH`: the command's state files (`what`: ledger, deploy log, history,
    spool) are those paths on this branch of the repository, fetched and pushed with git."""
    parser.add_argument(
        "--state",
        metavar="BRANCH",
        help=f"keep {what} on this data branch of the repository "
        f"(e.g. {default_text('state', 'branch')}; remote: config state.remote, "
        f"{default_of('state', 'remote')}); empty: {empty}",
    )


# A path flag's help, after what the file is: with state on, the path names the file on the
# data branch (docs/reference.md#state, "One path, one file"), not one of the checkout.
ON_DATA_BRANCH = "with state on (--state or the config's state:), that file on the data branch"


def state_of(args: argparse.Namespace) -> StateLocation | None:
    """Where this run's state files live: the data branch named by `--state`, else the one of
    the config's `state:` section, else None (local paths). The repository is the working
    directory's git repository (a workflow's checkout); the remote is the config's (default
    origin)."""
    settings = settings_of(args, {}).state()
    flag = (getattr(args, "state", None) or "").strip()
    if not flag and not settings.configured:
        return None
    from pathlib import Path

    from lumen.adapters.git_state import StateLocation, check_branch

    branch = check_branch(flag or settings.branch, field="--state" if flag else "state.branch")
    return StateLocation(Path.cwd(), branch=branch, remote=settings.remote)


def config_of(args: argparse.Namespace) -> Config:
    """The validated config for this run (cached on the namespace)."""
    cached = getattr(args, "_config", None)
    if cached is None:
        cached = load_config(getattr(args, "config", None))
        args._config = cached
    return cached


def now_of(args: argparse.Namespace) -> datetime:
    value = getattr(args, "now", None)
    return parse_timestamp(value, field="--now") if value else utcnow()


def env_service(args: argparse.Namespace) -> tuple[str | None, str | None]:
    config = config_of(args)
    return config.env(getattr(args, "env", None)), config.service(getattr(args, "service", None))


def scope_of(args: argparse.Namespace) -> Scope:
    env, service = env_service(args)
    return Scope(env, service)


def settings_of(
    args: argparse.Namespace,
    flags: Mapping[str, Flags],
    names: Mapping[str, str] | None = None,
) -> Settings:
    """This run's settings: the config with the given flags (per section, config keys) on top,
    checked by the config's rules."""
    return Settings.build(config_of(args), flags, names)


def connection_of(
    args: argparse.Namespace, settings: Settings, scope: Scope
) -> PrometheusConnection | None:
    """The run's one Prometheus connection (flags over the config's `prometheus:`), or None
    when no URL is known."""
    from lumen.adapters.prometheus import PrometheusConnection

    connection = PrometheusConnection.resolve(args, settings.section("prometheus", scope))
    if connection is not None:
        connection.mask_secrets()
    return connection


def drafter_config_of(args: argparse.Namespace) -> str | None:
    """The release-drafter config `--drafter-config` or the config's `notes: drafter-config`
    names (`lumen notes` and `lumen autolabel`), or None when neither does."""
    if args.drafter_config:
        return str(args.drafter_config)
    section = config_of(args).get("notes")
    if isinstance(section, dict) and section.get("drafter-config"):
        return str(section["drafter-config"])
    return None


def running_repository() -> str | None:
    """The repository a workflow runs in (`GITHUB_REPOSITORY`): the gates' source when no data
    file is named, so a team needs no instrumentation on day one."""
    return os.environ.get("GITHUB_REPOSITORY") or None
