"""Rego document policies, following conftest's conventions so existing policy folders work
unchanged, evaluated by regorus in a worker process (`lumen.adapters.rego_worker`).

- Policies: every `*.rego` file under the given folders (`*_test.rego` unit tests are only
  read by `lumen policy verify`).
- Packages: `main` by default, `--namespace` (repeatable; `*`/`?` wildcards as in conftest) or
  every package (`all_namespaces`).
- Rules: `deny`, `violation` and `warn`, and conftest's prefixed forms (`deny_latest`, ...).
  Both syntaxes work: the v1 `deny contains msg if { ... }` and the older `deny[msg] { ... }`.
- Messages: strings, or objects with `msg` (conftest's structured results; other keys are kept
  as details).
- Exceptions: an `exception` rule yields lists of rule names; on a document it matches, the
  `deny_<name>` and `violation_<name>` rules of that package are excepted (reported, not
  failing), and the empty name excepts the plain `deny` and `violation` rules. `warn` rules
  are never excepted, as in conftest.

Nothing is evaluated before the policies pass `check_support`: a built-in the engine does not
implement, or one that gives a wrong result in OPA's own compliance cases
(`policy/rego/conformance.json`, made by `scripts/gen_policy_conformance.py`), is refused with
its file and line instead of silently evaluating to "no finding".

The engine runs in a worker process kept for the whole run: if it dies (SIGSEGV, abort), the
document it was judging is recorded as an `EngineCrash` and the worker is restarted for the
others.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gates.errors import ConfigError, InputError
from gates.policy import Finding, FindingKind
from lumen.adapters.rego_worker import RegoWorker, WorkerDied
from lumen.fileio import files_under

DEFAULT_NAMESPACE = "main"

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_RULE_HEAD = re.compile(
    r"^[ \t]*((?:deny|violation|warn)(?:_\w+)?|exception)\s*(?:\[|contains\b|:=|=|if\b|\{)",
    re.MULTILINE,
)
_TEST_HEAD = re.compile(r"^[ \t]*((?:todo_)?test_\w*)\s*(?:\[|contains\b|:=|=|if\b|\{|\()", re.M)
_FUNCTION_HEAD = re.compile(r"^[ \t]*([A-Za-z_]\w*)\s*\([^)\n]*\)\s*(?::=|=|if\b|\{)", re.M)
_IMPORT = re.compile(r"^\s*import\s+([\w.]+)(?:\s+as\s+(\w+))?", re.MULTILINE)
_CALL = re.compile(r"(?<![\w.$])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\(")
_WITH_MOCK = re.compile(r"\bwith\s+((?!input\b|data\b)[A-Za-z_][\w.]*)\s+as\b")
_NOT_BODY = re.compile(r"\bnot\s*\{")
_KEYWORDS = frozenset(
    [
        "if",
        "contains",
        "not",
        "some",
        "every",
        "with",
        "else",
        "package",
        "import",
        "default",
        "in",
        "as",
        "true",
        "false",
        "null",
    ]
)
EXCEPTION_RULE = "exception"

# Built-ins the gate refuses whatever the engine says: judging a document must not depend on
# the network or on the machine it runs on (regorus evaluates `http.send` to undefined, which
# would make every rule that calls it silently pass).
REFUSED = {
    "http.send": "the gate makes no network calls while judging: fetch the data beforehand and"
    " pass it with --data FILE",
    "net.lookup_ip_addr": "the gate makes no DNS look-ups while judging: resolve the addresses"
    " beforehand and pass them with --data FILE",
    "opa.runtime": "the runtime's environment is not part of the documents: pass values with"
    " --data FILE",
}


# conftest's own built-ins, provided by the worker (`rego_engine._conftest_builtins`).
CONFTEST_BUILTINS = frozenset({"parse_config", "parse_config_file", "parse_combined_config_files"})


@dataclass(frozen=True)
class Module:
    path: str
    source: str

    @property
    def package(self) -> str | None:
        match = _PACKAGE.search(self.source)
        return match.group(1) if match else None

    @property
    def is_test(self) -> bool:
        return self.path.endswith("_test.rego")


def load_modules(folders: Sequence[str], *, tests: bool = False) -> list[Module]:
    """Every policy file under `folders` (a folder or a single `.rego` file each, never inside
    Lumen's own checkout: fileio.LUMEN_CHECKOUT); the `*_test.rego` unit tests only when
    `tests` (`lumen policy verify`)."""
    modules: list[Module] = []
    for folder in folders:
        if not folder.strip():
            raise ConfigError("a blank Rego policy path", expected="a folder or a .rego file")
        root = Path(folder)
        if root.is_file():
            paths = [root]
        elif root.is_dir():
            paths = [
                p for p in files_under(root, "*.rego") if tests or not p.name.endswith("_test.rego")
            ]
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


# --------------------------------------------------------------------------- static checks


def code_only(source: str) -> str:
    """`source` with comments and string contents blanked out (same length and lines), so
    regular expressions over it see only Rego code."""
    out = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "#":
            end = source.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif char == '"':
            j = i + 1
            while j < n and source[j] != '"' and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            out.append('"' + " " * (min(j, n) - i - 1) + ('"' if j < n else ""))
            i = j + 1
        elif char == "`":
            end = source.find("`", i + 1)
            end = n - 1 if end < 0 else end
            out.append("`" + re.sub(r"[^\n]", " ", source[i + 1 : end]) + "`")
            i = end + 1
        else:
            out.append(char)
            i += 1
    return "".join(out)[:n]


@dataclass(frozen=True)
class Use:
    """One use of a built-in or construct in a policy file."""

    name: str
    path: str
    line: int


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def uses_of(modules: Sequence[Module]) -> list[Use]:
    """Built-in calls and notable constructs the policies use, with file and line. Calls of
    functions the policies define (or reach through `data.` / an import alias) are left out."""
    codes = [(m, code_only(m.source)) for m in modules]
    defined: set[str] = set()
    aliases: set[str] = {"data", "input"}
    for _, code in codes:
        defined.update(_FUNCTION_HEAD.findall(code))
        for target, alias in _IMPORT.findall(code):
            if target.startswith("data."):
                aliases.add(alias or target.rsplit(".", 1)[-1])
    out: list[Use] = []
    for module, code in codes:
        for match in _CALL.finditer(code):
            name = match.group(1)
            head = name.split(".", 1)[0]
            if name in _KEYWORDS or head in aliases or name in defined:
                continue
            if "." in name and name.rsplit(".", 1)[-1] in defined and head in aliases:
                continue
            out.append(Use(name, module.path, _line(code, match.start())))
        for match in _WITH_MOCK.finditer(code):
            out.append(Use("with … as (function mock)", module.path, _line(code, match.start())))
        for match in _NOT_BODY.finditer(code):
            out.append(Use("not { … } (negated body)", module.path, _line(code, match.start())))
    return out


@cache
def conformance() -> dict[str, Any]:
    """The recorded OPA-compliance results of the engine (`policy/rego/conformance.json`)."""
    from lumen.resources import policy_path

    try:
        text = policy_path("rego", "conformance.json").read_text(encoding="utf-8")
        data: dict[str, Any] = json.loads(text)
    except (OSError, ValueError) as exc:
        # Without it the gate cannot tell a supported built-in from one with wrong results.
        raise ConfigError(
            f"the engine's conformance record is unreadable ({exc})",
            file=str(policy_path("rego", "conformance.json")),
            hint="reinstall Lumen, or run scripts/gen_policy_conformance.py in a checkout",
        ) from None
    return data


def check_support(
    modules: Sequence[Module], engine_builtins: Iterable[str], allow: Iterable[str] = ()
) -> None:
    """Refuse (ConfigError, exit 1) a policy that uses a built-in or construct the engine does
    not implement or that gives wrong results in OPA's compliance cases, unless `allow` lists
    it. Features whose failing cases only raise errors are evaluated: they fail loudly."""
    features: dict[str, Any] = conformance().get("features", {})
    known = set(engine_builtins) | CONFTEST_BUILTINS
    known.update(n for n, f in features.items() if f.get("kind") == "builtin" and f["passed"])
    allowed = set(allow)
    for use in uses_of(modules):
        if use.name in allowed:
            continue
        if use.name in REFUSED:
            raise ConfigError(
                f"the policy calls {use.name}, which this gate refuses: {REFUSED[use.name]}",
                file=use.path,
                line=use.line,
            )
        feature = features.get(use.name)
        if feature and feature.get("unsafe"):
            raise ConfigError(
                f"the policy uses {use.name}, which gives wrong results in the Rego engine"
                f" ({feature['failed']} of {feature['cases']} OPA compliance cases fail:"
                f" {feature['why']}); rewrite the rule without it, or list it under"
                " `policy: rego-allow:` in the config (--rego-allow) if those cases cannot"
                " matter here",
                file=use.path,
                line=use.line,
                expected="a feature docs/policy-conformance.md lists as supported",
            )
        is_builtin = not (feature and feature.get("kind") == "construct") and " " not in use.name
        if is_builtin and use.name not in known:
            raise ConfigError(
                f"the policy calls {use.name}, which the Rego engine does not implement;"
                " compute the value into the documents or a --data file, or define the"
                " function in the policy",
                file=use.path,
                line=use.line,
                expected="a built-in docs/policy-conformance.md lists as supported",
            )


# --------------------------------------------------------------------------- evaluation


def policy_error(detail: dict[str, Any], modules: Sequence[Module]) -> ConfigError:
    """A ConfigError naming the policy file and line of an engine error."""
    message = detail.get("message") or "?"
    column = detail.get("column")
    at = f" at column {column}" if column else ""
    path = detail.get("file")
    if path and any(m.path == path for m in modules):
        return ConfigError(f"Rego error{at}: {message}", file=path, line=detail.get("line"))
    files = ", ".join(m.path for m in modules)
    return ConfigError(f"Rego error: {message}", file=files)


@dataclass(frozen=True)
class EngineCrash:
    """The engine died judging one document: the gate reports it and judges the others."""

    file: str
    document: int
    cause: str
    policies: tuple[str, ...]

    def message(self) -> str:
        policies = ", ".join(self.policies[:3]) + (" …" if len(self.policies) > 3 else "")
        return (
            f"the Rego engine died ({self.cause}) judging {self.file} (document"
            f" {self.document}) against {policies}"
        )


class Batch(Protocol):
    """One input file's documents, as `lumen.adapters.documents.Parsed` has them."""

    @property
    def file(self) -> str: ...

    @property
    def documents(self) -> Sequence[tuple[int | None, Any]]: ...


_B = TypeVar("_B", bound=Batch)
Judged = list[tuple[str, str, Any]] | EngineCrash


def match_namespaces(patterns: Sequence[str], packages: Iterable[str]) -> dict[str, list[str]]:
    """For each `--namespace` pattern the packages it names (`*` and `?` as in a shell glob)."""
    known = sorted(packages)
    return {
        pattern: [p for p in known if fnmatch.fnmatchcase(p, pattern)]
        if any(c in pattern for c in "*?[")
        else [pattern]
        if pattern in known
        else []
        for pattern in patterns
    }


class RegoPolicies:
    """Policies loaded into the worker; `evaluate(documents)` returns per document the
    (namespace, rule, value) triples, or an `EngineCrash`."""

    def __init__(
        self,
        modules: Sequence[Module],
        *,
        namespaces: Sequence[str] | None = None,
        all_namespaces: bool = False,
        data: Iterable[Any] = (),
        allow: Iterable[str] = (),
        ignore_missing_namespace: bool = False,
    ) -> None:
        self.modules = list(modules)
        packages: dict[str, set[str]] = {}
        # How many definitions (bodies) each rule has: conftest counts one test per body.
        self.definitions: dict[str, Counter[str]] = {}
        for module in self.modules:
            package = module.package
            if package is None:
                raise ConfigError(
                    "not a Rego module", file=module.path, line=1, expected="a `package` line"
                )
            rules = packages.setdefault(package, set())
            if not module.is_test:
                heads = _RULE_HEAD.findall(code_only(module.source))
                rules.update(heads)
                self.definitions.setdefault(package, Counter()).update(heads)
        self.packages = packages
        if all_namespaces:
            wanted = sorted(p for p in packages if not _only_tests(p, self.modules))
        else:
            patterns = list(dict.fromkeys(namespaces or [DEFAULT_NAMESPACE]))
            matched = match_namespaces(patterns, packages)
            missing = [ns for ns, found in matched.items() if not found]
            # The default `main` may legitimately be absent (policies in other packages that
            # a user forgot to name); an explicitly named package that does not exist is a
            # typo, unless the user asked for conftest's behaviour (nothing to judge: pass).
            if missing and namespaces and not ignore_missing_namespace:
                raise ConfigError(
                    f"no Rego package {missing[0]} in the policies",
                    file=", ".join(sorted({m.path for m in self.modules})),
                    expected=f"one of {', '.join(sorted(packages))}",
                    hint="--ignore-missing-namespace passes instead, as conftest does",
                )
            wanted = list(dict.fromkeys(p for found in matched.values() for p in found))
        self.rules = {ns: sorted(packages.get(ns, set())) for ns in wanted}
        self.crashes: list[EngineCrash] = []
        self._worker = RegoWorker()
        answer = _load(self._worker, self.modules, data)
        if "error" in answer:
            self.close()
            raise policy_error(answer["error"], self.modules)
        try:
            check_support(self.modules, self._worker.builtins, allow)
        except ConfigError:
            self.close()
            raise
        # Safe rewrites the worker applied to read a policy (statement order): reported.
        self.rewrites = list(self._worker.rewrites)
        self._query = self._make_query()

    def _make_query(self) -> str:
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

    def evaluate(self, file: str, documents: Sequence[Any]) -> list[Judged]:
        """Judge one file's documents in one request to the worker."""
        if self.empty:
            return [[] for _ in documents]
        self._submit(file, documents)
        return self._receive(file, documents)

    def evaluate_many(self, batches: Iterable[_B]) -> Iterator[tuple[_B, list[Judged]]]:
        """Judge (file, documents) batches with one request in flight: the next batch is made
        (its file parsed) while the worker judges the current one."""
        items = iter(batches)
        current = next(items, None)
        if current is not None and not self.empty:
            self._submit(current.file, [d for _, d in current.documents])
        while current is not None:
            following = next(items, None)  # parsed while the worker judges `current`
            documents = [d for _, d in current.documents]
            results = self._receive(current.file, documents) if not self.empty else []
            if following is not None and not self.empty:
                self._submit(following.file, [d for _, d in following.documents])
            yield current, results or [[] for _ in documents]
            current = following

    def _submit(self, file: str, documents: Sequence[Any]) -> None:
        try:
            self._worker.submit(self._query, documents)
        except (TypeError, ValueError) as exc:
            raise InputError(f"document cannot be passed to Rego: {exc}", file=file) from None

    def _receive(self, file: str, documents: Sequence[Any]) -> list[Judged]:
        """The answers to the request in flight. If the worker died, each document is tried
        again on its own, so only the one(s) that kill it are lost."""
        try:
            answers = self._worker.receive()
        except WorkerDied as died:
            if len(documents) == 1:
                return [self._crash(file, 0, died)]
            out: list[Judged] = []
            for index, document in enumerate(documents):
                try:
                    out.append(self._triples(self._worker.evaluate(self._query, [document])[0]))
                except WorkerDied as again:
                    out.append(self._crash(file, index, again))
            return out
        return [self._triples(answer) for answer in answers]

    def _crash(self, file: str, index: int, died: WorkerDied) -> EngineCrash:
        crash = EngineCrash(file, index, died.cause, tuple(m.path for m in self.modules))
        self.crashes.append(crash)
        return crash

    def _triples(self, answer: dict[str, Any]) -> list[tuple[str, str, Any]]:
        if "error" in answer:
            raise policy_error(answer["error"], self.modules)
        values = answer.get("value") or {}
        out: list[tuple[str, str, Any]] = []
        for ns, rules in values.items():
            for rule, defined in rules.items():
                for value in defined:
                    out.append((ns, rule, value))
        return out

    def close(self) -> None:
        self._worker.close()

    def __enter__(self) -> RegoPolicies:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _load(worker: RegoWorker, modules: Sequence[Module], data: Iterable[Any]) -> dict[str, Any]:
    """Start the worker with the policies; a worker that cannot start is a clear error."""
    try:
        return worker.load([(m.path, m.source) for m in modules], list(data))
    except WorkerDied as died:
        worker.close()
        last = died.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(
            f"the Rego engine's worker process did not start ({died.cause}: {last[0]})",
            file=", ".join(sorted({m.path for m in modules})),
            hint="check that Lumen's dependencies (gordon-to-regorus) are installed",
        ) from None


def _only_tests(package: str, modules: Sequence[Module]) -> bool:
    return all(m.is_test for m in modules if m.package == package)


def _messages(value: Any) -> list[tuple[str, dict[str, Any]]]:
    """(message, details) pairs from a rule's value, whatever shape conftest allows."""
    if isinstance(value, list):
        items: list[Any] = value
    elif isinstance(value, dict):
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
    """Rule names an `exception` value lists: a set of lists of names."""
    groups = value if isinstance(value, list) else [value]
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
    """Evaluate every document of one file; `documents` are (line, parsed document). A
    document the engine died on is in `policies.crashes`, not in the findings."""
    results = policies.evaluate(file, [document for _, document in documents])
    return _findings(file, documents, results)


def findings_of_files(
    policies: RegoPolicies, batches: Iterable[_B]
) -> Iterator[tuple[_B, list[Finding]]]:
    """`findings_for` over many parsed files, the next one parsed while the worker judges.
    A finding whose message object names a `field` (a path: `["spec", "containers", 0,
    "image"]` or `"spec.containers[0].image"`) points at that field's line where the file's
    parser knows lines (YAML, JSON)."""
    for batch, results in policies.evaluate_many(batches):
        locate = getattr(batch, "line_of", None)
        yield batch, _findings(batch.file, batch.documents, results, locate)


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def field_path(field: Any) -> list[str | int] | None:
    """A finding's `field` as a path: a list of keys and indexes, or dotted text."""
    if isinstance(field, list) and all(isinstance(p, str | int) for p in field):
        return list(field)
    if isinstance(field, str) and field:
        return [int(i) if i else k for k, i in _PATH_PART.findall(field)]
    return None


def field_text(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _findings(
    file: str,
    documents: Sequence[tuple[int | None, Any]],
    results: Sequence[Judged],
    locate: Any = None,
) -> list[Finding]:
    findings: list[Finding] = []
    for index, ((line, _), result) in enumerate(zip(documents, results, strict=True)):
        if isinstance(result, EngineCrash):
            continue
        exceptions: dict[str, set[str]] = {}
        for ns, rule, value in result:
            if rule == EXCEPTION_RULE:
                exceptions.setdefault(ns, set()).update(_excepted_names(value))
        for ns, rule, value in result:
            if rule == EXCEPTION_RULE:
                continue
            excepted = _excepted(rule, exceptions.get(ns, set()))
            for message, details in _messages(value):
                at = line
                path = field_path(details.get("field"))
                if path is not None:
                    details = {**details, "field": field_text(path)}
                    if locate is not None:
                        at = locate(index, path) or line
                findings.append(
                    Finding(
                        file=file,
                        namespace=ns,
                        rule=rule,
                        message=message or f"{ns}.{rule}",
                        line=at,
                        document=index,
                        details=details,
                        excepted=excepted,
                    )
                )
    return findings


# --------------------------------------------------------------------------- unit tests


@dataclass(frozen=True)
class UnitTestOutcome:
    """One `test_` rule of `lumen policy verify` (conftest verify / opa test)."""

    package: str
    name: str
    file: str
    line: int
    outcome: str  # pass, fail, skip, error
    message: str = ""


def unit_test_rules(modules: Sequence[Module]) -> list[tuple[str, str, str, int]]:
    """(package, rule, file, line) of every `test_`/`todo_test_` rule, first definition."""
    seen: dict[tuple[str, str], tuple[str, str, str, int]] = {}
    for module in modules:
        package = module.package
        if package is None:
            continue
        code = code_only(module.source)
        for match in _TEST_HEAD.finditer(code):
            key = (package, match.group(1))
            if key not in seen:
                seen[key] = (package, match.group(1), module.path, _line(code, match.start(1)))
    return list(seen.values())


def run_unit_tests(
    modules: Sequence[Module], *, data: Iterable[Any] = (), allow: Iterable[str] = ()
) -> list[UnitTestOutcome]:
    """Every `test_` rule of the policies, as `conftest verify` runs them: a test passes when
    it is true, fails when it is false or undefined, and `todo_test_` rules are skipped. A
    test whose evaluation errors fails with the engine's message."""
    tests = unit_test_rules(modules)
    with RegoWorker() as worker:
        answer = _load(worker, modules, data)
        if "error" in answer:
            raise policy_error(answer["error"], modules)
        check_support(modules, worker.builtins, allow)
        runnable = [t for t in tests if not t[1].startswith("todo_")]
        queries = [f"x := data.{package}.{name}" for package, name, _, _ in runnable]
        try:
            answers = dict(zip(runnable, worker.values(queries), strict=True))
        except WorkerDied as died:
            files = ", ".join(sorted({m.path for m in modules}))
            raise ConfigError(
                f"the Rego engine died ({died.cause}) running the unit tests", file=files
            ) from None
    out: list[UnitTestOutcome] = []
    for test in tests:
        package, name, path, line = test
        if name.startswith("todo_"):
            out.append(UnitTestOutcome(package, name, path, line, "skip"))
            continue
        result = answers[test]
        if "error" in result:
            detail = result["error"]
            where = f" ({detail['file']}:{detail['line']})" if detail.get("file") else ""
            message = f"{detail.get('message')}{where}"
            out.append(UnitTestOutcome(package, name, path, line, "error", message))
        elif result.get("value") is True:
            out.append(UnitTestOutcome(package, name, path, line, "pass"))
        else:
            value = result.get("value")
            why = "undefined" if value is None else f"evaluated to {json.dumps(value)}"
            out.append(UnitTestOutcome(package, name, path, line, "fail", why))
    return out
