"""Rego document policies evaluated in-process with regopy (Microsoft's rego-cpp binding),
following conftest's conventions so existing policy folders work unchanged.

- Policies: every `*.rego` file under the given folders (`*_test.rego` unit tests are skipped).
- Packages: `main` by default, `--namespace` (repeatable) or every package (`all_namespaces`).
- Rules: `deny`, `violation` and `warn`, and conftest's prefixed forms (`deny_latest`, ...).
  Both syntaxes work: the v1 `deny contains msg if { ... }` and the older `deny[msg] { ... }`.
  rego-cpp reads the older form as a partial object `{msg: true}`; `_messages` turns that back
  into the set of messages conftest would have reported.
- Messages: strings, or objects with `msg` (conftest's structured results; other keys are kept
  as details).
- Exceptions: an `exception` rule yields lists of rule names; on a document it matches, the
  `deny_<name>` and `violation_<name>` rules of that package are excepted (reported, not
  failing), and the empty name excepts the plain `deny` and `violation` rules. `warn` rules
  are never excepted, as in conftest.

The policies are compiled once into a bundle and every document is queried against it, which
keeps a thousand manifests well under a second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gates.errors import ConfigError, InputError
from gates.policy import Finding, FindingKind

DEFAULT_NAMESPACE = "main"

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_RULE_HEAD = re.compile(
    r"^[ \t]*((?:deny|violation|warn)(?:_\w+)?|exception)\s*(?:\[|contains\b|:=|=|if\b|\{)",
    re.MULTILINE,
)
EXCEPTION_RULE = "exception"
# regopy errors are s-expressions with length-prefixed strings: `(error 8:bad.rego|36|2 ...)`
# names the module and the byte offset of the problem; `(errormsg 24:...)` carries the text.
_ERROR_AT = re.compile(r"\(error (\d+):")
_ERROR_MSG = re.compile(r"\(errormsg (\d+):")
_FUNCTION_NOT_FOUND = re.compile(r"Function not found: ([\w.]+)")


@dataclass(frozen=True)
class Module:
    path: str
    source: str

    @property
    def package(self) -> str | None:
        match = _PACKAGE.search(self.source)
        return match.group(1) if match else None


def load_modules(folders: Sequence[str]) -> list[Module]:
    """Every policy file under `folders` (a folder or a single `.rego` file each)."""
    modules: list[Module] = []
    for folder in folders:
        root = Path(folder)
        if root.is_file():
            paths = [root]
        elif root.is_dir():
            paths = sorted(
                p for p in root.rglob("*.rego") if p.is_file() and not p.name.endswith("_test.rego")
            )
        else:
            raise ConfigError("Rego policy folder not found", file=folder)
        for path in paths:
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"cannot read policy: {exc}", file=str(path)) from None
            modules.append(Module(str(path), source))
    if not modules:
        raise ConfigError(
            "no .rego policies found", file=", ".join(folders), expected="at least one .rego file"
        )
    return modules


def _sexp_strings(text: str, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """(string, what follows it) for each length-prefixed string after `pattern`."""
    out = []
    for match in pattern.finditer(text):
        length = int(match.group(1))
        start = match.end()
        out.append((text[start : start + length], text[start + length :]))
    return out


_OFFSET = re.compile(r"\|(\d+)\|(\d+)")


def _line_of(source: str, offset: int) -> tuple[int, int]:
    before = source.encode("utf-8")[:offset].decode("utf-8", errors="replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    return line, column


def policy_error(text: str, modules: Sequence[Module]) -> ConfigError:
    """A ConfigError naming the policy file and line of the first error regopy reported."""
    by_path = {m.path: m for m in modules}
    messages = [m for m, _ in _sexp_strings(text, _ERROR_MSG)]
    message = messages[0] if messages else text.strip().splitlines()[0] if text.strip() else "?"
    extra = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
    for path, rest in _sexp_strings(text, _ERROR_AT):
        module = by_path.get(path)
        offset = _OFFSET.match(rest)
        if module is not None and offset:
            line, column = _line_of(module.source, int(offset.group(1)))
            return ConfigError(
                f"Rego error at column {column}: {message}{extra}", file=path, line=line
            )
    missing = _FUNCTION_NOT_FOUND.search(message)
    if missing:
        call = re.compile(r"\b" + re.escape(missing.group(1)) + r"\s*\(")
        for module in modules:
            found = call.search(module.source)
            if found:
                line, _ = _line_of(module.source, len(module.source[: found.start()].encode()))
                return ConfigError(f"Rego error: {message}", file=module.path, line=line)
    files = ", ".join(m.path for m in modules)
    return ConfigError(f"Rego error: {message}{extra}", file=files)


class RegoPolicies:
    """Compiled policies; `evaluate(document)` returns (namespace, rule, value) triples."""

    def __init__(
        self,
        modules: Sequence[Module],
        *,
        namespaces: Sequence[str] | None = None,
        all_namespaces: bool = False,
        data: Iterable[Any] = (),
    ) -> None:
        from regopy import Interpreter, LogLevel, RegoError

        self.modules = list(modules)
        packages: dict[str, set[str]] = {}
        for module in self.modules:
            package = module.package
            if package is None:
                raise ConfigError(
                    "not a Rego module", file=module.path, line=1, expected="a `package` line"
                )
            packages.setdefault(package, set()).update(_RULE_HEAD.findall(module.source))
        if all_namespaces:
            wanted = sorted(packages)
        else:
            wanted = list(dict.fromkeys(namespaces or [DEFAULT_NAMESPACE]))
            missing = [ns for ns in wanted if ns not in packages]
            # The default `main` may legitimately be absent (policies in other packages that
            # a user forgot to name); an explicitly named package that does not exist is a typo.
            if missing and namespaces:
                raise ConfigError(
                    f"no Rego package {missing[0]} in the policies",
                    file=", ".join(sorted({m.path for m in self.modules})),
                    expected=f"one of {', '.join(sorted(packages))}",
                )
        self.rules = {ns: sorted(packages.get(ns, set())) for ns in wanted}
        self._regoerror = RegoError
        compiler = Interpreter()
        # regopy prints compile errors to the process's stdout at its default log level;
        # we report them ourselves with the file and line.
        compiler.log_level = LogLevel.NONE
        try:
            for item in data:
                compiler.add_data(item)
            for module in self.modules:
                compiler.add_module(module.path, module.source)
            self._bundle = compiler.build(self._query())
        except RegoError as exc:
            raise policy_error(str(exc), self.modules) from None
        self._runner = Interpreter()
        self._runner.log_level = LogLevel.NONE

    def _query(self) -> str:
        # `[v | v := data.ns.rule]` is [] when the rule is undefined for this input, so one
        # query answers every rule of every namespace without failing on the absent ones.
        parts = []
        for ns, rules in self.rules.items():
            inner = ", ".join(f'"{rule}": [v | v := data.{ns}.{rule}]' for rule in rules)
            parts.append(f'"{ns}": {{{inner}}}')
        return "x := {" + ", ".join(parts) + "}"

    @property
    def empty(self) -> bool:
        return not any(rule != EXCEPTION_RULE for rules in self.rules.values() for rule in rules)

    def evaluate(self, document: Any) -> list[tuple[str, str, Any]]:
        from regopy import rego_shared

        if self.empty:
            return []
        try:
            self._runner.set_input(document)
        except (self._regoerror, TypeError, ValueError) as exc:
            raise InputError(f"document cannot be passed to Rego: {exc}") from None
        # The low-level call: regopy's Output wrapper cannot parse runtime error outputs.
        impl = rego_shared.rego_bundle_query(self._runner._impl, self._bundle._impl)
        try:
            text = rego_shared.rego_output_string(impl)
            ok = rego_shared.rego_output_ok(impl)
        finally:
            rego_shared.rego_free_output(impl)
        if not ok or text.lstrip().startswith("(error"):
            raise policy_error(text, self.modules)
        if text == "undefined":
            return []
        output = json.loads(text)
        results = output if isinstance(output, list) else [output]
        values = results[0].get("bindings", {}).get("x", {}) if results else {}
        out: list[tuple[str, str, Any]] = []
        for ns, rules in values.items():
            for rule, defined in rules.items():
                for value in defined:
                    out.append((ns, rule, value))
        return out


def _messages(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """(message, details) pairs from a rule's value, whatever shape conftest allows."""
    if isinstance(value, list):
        items: list[Any] = value
    elif isinstance(value, dict):
        if value and all(v is True for v in value.values()):
            # Old-style partial set read as an object: the keys are the members; object
            # members come back as their JSON text.
            items = []
            for key in value:
                if key.startswith("{"):
                    try:
                        items.append(json.loads(key))
                        continue
                    except json.JSONDecodeError:
                        pass
                items.append(key)
        else:
            items = [value] if "msg" in value else [f"{k}: {v}" for k, v in value.items()]
    elif value is True:
        items = [""]
    elif value in (False, None):
        items = []
    else:
        items = [value]
    out: list[tuple[str, dict[str, Any]]] = []
    for item in items:
        if isinstance(item, dict) and "msg" in item:
            details = {k: v for k, v in item.items() if k != "msg"}
            out.append((str(item["msg"]), details))
        elif isinstance(item, str):
            out.append((item, {}))
        else:
            out.append((json.dumps(item, sort_keys=True), {}))
    return out


def _excepted_names(value: Any) -> set[str]:
    """Rule names an `exception` value lists: a set of lists of names (`exception contains
    rules if {...}`), or the older `exception[rules]` that regopy reads as an object whose keys
    are the lists' JSON text."""
    if isinstance(value, dict):
        groups: list[Any] = []
        for key in value:
            try:
                groups.append(json.loads(key))
            except json.JSONDecodeError:
                groups.append(key)
    elif isinstance(value, list):
        groups = value
    else:
        groups = [value]
    names: set[str] = set()
    for group in groups:
        for name in group if isinstance(group, list) else [group]:
            if isinstance(name, str):
                names.add(name)
    return names


def _excepted(rule: str, names: set[str]) -> bool:
    """conftest: exceptions cover `deny`/`violation` rules, by the name after the prefix."""
    kind = FindingKind.of_rule(rule)
    if kind is FindingKind.WARN:
        return False
    return rule.removeprefix(kind.value).removeprefix("_") in names


def findings_for(
    policies: RegoPolicies, file: str, documents: Sequence[tuple[int | None, Any]]
) -> list[Finding]:
    """Evaluate every document of one file; `documents` are (line, parsed document)."""
    findings: list[Finding] = []
    for index, (line, document) in enumerate(documents):
        results = policies.evaluate(document)
        exceptions: dict[str, set[str]] = {}
        for ns, rule, value in results:
            if rule == EXCEPTION_RULE:
                exceptions.setdefault(ns, set()).update(_excepted_names(value))
        for ns, rule, value in results:
            if rule == EXCEPTION_RULE:
                continue
            excepted = _excepted(rule, exceptions.get(ns, set()))
            for message, details in _messages(value):
                findings.append(
                    Finding(
                        file=file,
                        namespace=ns,
                        rule=rule,
                        message=message or f"{ns}.{rule}",
                        line=line,
                        document=index,
                        details=details,
                        excepted=excepted,
                    )
                )
    return findings
