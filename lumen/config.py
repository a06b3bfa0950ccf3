"""The user's config file (default `.github/lumen.yml`): loading, validation, threshold lookup.

Threshold precedence (docs/reference.md#precedence): flag/input > env×service > env > top-level
section > shipped default (`policy/defaults/<section>.yml`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gates.errors import ConfigError
from lumen.resources import policy_path
from lumen.schema import validate_config

if TYPE_CHECKING:  # PyYAML is imported only when there is YAML to read (fast start)
    from lumen.yamlpos import Located

DEFAULT_PATH = ".github/lumen.yml"
ENV_ALIASES = {"production": "prod", "staging": "stage", "development": "dev"}


def canonical_env(env: str | None) -> str | None:
    if env is None:
        return None
    return ENV_ALIASES.get(env.strip().lower(), env.strip().lower())


def defaults_dir() -> Path:
    """`policy/defaults`: the one place a default setting is written (one file per section)."""
    return policy_path("defaults")


def shipped_defaults(section: str) -> dict[str, Any]:
    """The shipped defaults of a section (a copy: callers may change it)."""
    return copy.deepcopy(_read_defaults(*file_key(defaults_dir() / f"{section}.yml")))


def file_key(path: Path) -> tuple[str, int, int]:
    """A cache key that changes when the file does: path, size and modification time."""
    try:
        stat = path.stat()
    except OSError:
        return str(path), -1, -1
    return str(path), stat.st_size, stat.st_mtime_ns


@functools.cache
def _read_defaults(name: str, size: int, mtime_ns: int) -> dict[str, Any]:
    path = Path(name)
    if size < 0:
        return {}
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigError("shipped defaults must be a mapping", file=str(path))
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge mappings recursively; lists and scalars in `override` replace those in `base`."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Config:
    """A validated config document (possibly empty when there is no file)."""

    data: dict[str, Any] = field(default_factory=dict)
    file: str | None = None
    located: Located | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        return None if self.located is None else self.located.line_of(path)

    def env(self, override: str | None = None) -> str | None:
        return canonical_env(override or self.data.get("env"))

    def service(self, override: str | None = None) -> str | None:
        return override or self.data.get("service")

    def section(
        self,
        name: str,
        *,
        env: str | None = None,
        service: str | None = None,
        defaults: bool = True,
    ) -> dict[str, Any]:
        """Merged settings of one section for env and service, without flag overrides (and,
        with `defaults=False`, without the shipped defaults: what the user set)."""
        base = shipped_defaults(name) if defaults else {}
        merged = deep_merge(base, self.data.get(name) or {})
        env = canonical_env(env)
        environments = self.data.get("environments") or {}
        env_block = environments.get(env) or {} if env else {}
        if env_block:
            merged = deep_merge(merged, env_block.get(name) or {})
            if service:
                svc_block = (env_block.get("services") or {}).get(service) or {}
                merged = deep_merge(merged, svc_block.get(name) or {})
        return merged

    def resolve(
        self,
        name: str,
        flags: Mapping[str, Any] | None = None,
        *,
        env: str | None = None,
        service: str | None = None,
    ) -> dict[str, Any]:
        """Section settings with flags (kebab-case keys; None means not given) on top. A flag
        value is checked like the config file's (the section schema's range, finite numbers),
        so `--min-overall -1` or `nan` cannot make a gate pass."""
        from lumen.settings import validate_flags

        # Numbers only: text flags (patterns, choices) keep their commands' own messages.
        numeric = {
            key: value
            for key, value in (flags or {}).items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        }
        validate_flags(name, numeric)
        merged = self.section(name, env=env, service=service)
        for key, value in (flags or {}).items():
            if value is not None:
                merged[key] = value
        return merged


def load_config(path: str | None, *, required: bool = False) -> Config:
    """Load and validate the config. With no path, `.github/lumen.yml` is used when present."""
    if path is None:
        if not Path(DEFAULT_PATH).is_file():
            return Config()
        path = DEFAULT_PATH
        required = True
    file = Path(path)
    if not file.is_file():
        if required or path:
            raise ConfigError("config file not found", file=str(path))
        return Config()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config: {exc.strerror}", file=str(path)) from None
    from lumen.yamlpos import load_yaml

    located = load_yaml(text, str(path))
    data = located.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the config must be a mapping of keys",
            file=str(path),
            line=1,
            expected="keys such as maturity:, roi:, environments:",
        )
    validate_config(data, file=str(path), line_of=lambda p, key: located.line_of(p, key=key))
    _check_finite(data, [], file=str(path), located=located)
    return Config(data=data, file=str(path), located=located)


def _check_finite(value: Any, path: list[str | int], *, file: str, located: Located) -> None:
    """YAML can write `.nan` and `.inf`; no setting means either (JSON Schema cannot say so)."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(
            f"{value!r} is not a finite number",
            file=file,
            line=located.line_of(path),
            field=".".join(str(p) for p in path),
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, [*path, str(key)], file=file, located=located)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_finite(item, [*path, index], file=file, located=located)
