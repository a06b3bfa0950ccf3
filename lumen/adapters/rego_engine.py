"""The Rego engine itself (regorus), as the worker process drives it.

Only `lumen.adapters.rego_worker` imports this module, inside the worker process: an engine
fault (a Rust panic, a stack overflow, a SIGSEGV) must never happen in the gate's own process.
Everything here speaks plain JSON-able values so the worker can pass them over a pipe.

regorus reads one module at a time in either Rego v1 (the default, `deny contains msg if`) or
v0 (`deny[msg] { ... }`, what most conftest policies are written in). Each module is read as v1
first and, if that fails, as v0; when both fail, the error of the reading that got further is
the one reported (a v0 module read as v1 fails on its first rule head, which is not the news).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import orjson

# regorus errors: "--> file.rego:12:5\n  |\n12 | ...\n  |  ^\nerror: message\n\nStack backtrace:"
_WHERE = re.compile(r"-->\s*(.+?):(\d+):(\d+)")
_MESSAGE = re.compile(r"^error:\s*(.*)$", re.MULTILINE)


def engine_error(text: str) -> dict[str, Any]:
    """{file, line, column, message} from a regorus error text (any of them may be None)."""
    text = text.split("Stack backtrace:", maxsplit=1)[0]
    where = _WHERE.search(text)
    message = _MESSAGE.search(text)
    plain = message.group(1).strip() if message else text.strip().splitlines()[-1:] or [""]
    return {
        "file": where.group(1) if where else None,
        "line": int(where.group(2)) if where else None,
        "column": int(where.group(3)) if where else None,
        "message": plain if isinstance(plain, str) else plain[0],
    }


class EngineError(Exception):
    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__(detail.get("message"))
        self.detail = detail


def _new_engine() -> Any:
    import regorus

    return regorus.Engine()


_USED_BEFORE = re.compile(r"var `(\w+)` used before definition")


def _statements(body: str) -> list[str]:
    """A comprehension body split on its top-level `;`."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(body):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == ";" and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return parts


def reorder_definition(source: str, line: int, column: int, var: str) -> str | None:
    """OPA orders a body's statements itself; regorus wants `x := ...` before the first use
    of `x` in a comprehension (`[n | x.name == n; n := y]`). Statement order in a Rego body
    does not change its meaning, so moving the definition first is a safe rewrite. Returns
    the new source, or None when the line is not that shape."""
    lines = source.split("\n")
    if not 0 < line <= len(lines):
        return None
    text = lines[line - 1]
    at = min(max(column - 1, 0), len(text))
    depth, open_at = 0, -1
    for i in range(at, -1, -1):
        if text[i] in ")]}" and i != at:
            depth += 1
        elif text[i] in "([{":
            if depth == 0:
                open_at = i
                break
            depth -= 1
    if open_at < 0:
        return None
    closer = {"[": "]", "{": "}", "(": ")"}[text[open_at]]
    depth, close_at = 0, -1
    for i in range(open_at + 1, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            if depth == 0:
                close_at = i if text[i] == closer else -1
                break
            depth -= 1
    if close_at < 0 or "|" not in text[open_at:close_at]:
        return None
    inner = text[open_at + 1 : close_at]
    bar = inner.index("|")
    statements = _statements(inner[bar + 1 :])
    definition = re.compile(r"^\s*" + re.escape(var) + r"\s*:=")
    defining = [i for i, st in enumerate(statements) if definition.match(st)]
    using = [i for i, st in enumerate(statements) if re.search(rf"\b{re.escape(var)}\b", st)]
    if not defining or not using or using[0] >= defining[0]:
        return None
    moved = statements.pop(defining[0])
    statements.insert(using[0], moved)
    body = ";".join(statements)
    lines[line - 1] = text[: open_at + 1] + inner[: bar + 1] + body + text[close_at:]
    return "\n".join(lines)


def add_module(engine: Any, path: str, source: str) -> None:
    """Read one module as Rego v1, else as v0 (conftest's policies are mostly v0)."""
    try:
        engine.add_policy(path, source)
        return
    except BaseException as v1_exc:
        v1_error = engine_error(str(v1_exc))
    engine.set_rego_v0(True)
    try:
        engine.add_policy(path, source)
        return
    except BaseException as v0_exc:
        v0_error = engine_error(str(v0_exc))
    finally:
        engine.set_rego_v0(False)
    # A v1 reading that stops at the first rule head asking for `if`/`contains` says only
    # that the module is v0; then the v0 reading's error is the one that matters.
    v0_like = "keyword is required" in v1_error["message"] or "`contains`" in v1_error["message"]
    further = max((v1_error, v0_error), key=lambda e: (e["line"] or 0, e["column"] or 0))
    raise EngineError(v0_error if v0_like else further)


def _conftest_builtins(engine: Any, modules: Sequence[tuple[str, str]]) -> None:
    """conftest's own built-ins, which its policies' unit tests use: `parse_config(parser,
    text)`, `parse_config_file(path)` and `parse_combined_config_files(paths)` (a relative
    path is looked up from the working directory, then from each policy file's folder)."""
    from pathlib import Path

    from lumen.adapters.documents import parse, parse_text

    folders = [Path(path).parent for path, _ in modules]

    def locate(name: str) -> str:
        if Path(name).is_absolute() or Path(name).exists():
            return name
        for folder in folders:
            if (folder / name).exists():
                return str(folder / name)
        return name

    def one_file(name: str) -> Any:
        documents = [d for _, d in parse(locate(name)).documents]
        return documents[0] if len(documents) == 1 else documents

    def combined(names: Any) -> Any:
        return [{"path": name, "contents": one_file(name)} for name in names]

    engine.add_extension("parse_config", 2, lambda parser, text: parse_text(text, parser))
    engine.add_extension("parse_config_file", 1, one_file)
    engine.add_extension("parse_combined_config_files", 1, combined)


class Engine:
    """Policies and data loaded once; `query` answers one query per input document."""

    def __init__(self, modules: Sequence[tuple[str, str]], data: Sequence[Any]) -> None:
        sources = dict(modules)
        self.rewrites: list[str] = []
        # regorus compiles on the first query: compile now, so a policy error is reported
        # before any document is judged, and a comprehension that uses a variable before its
        # `:=` is reordered (`reorder_definition`), the rewrite recorded, and the modules
        # read again.
        for _ in range(50):
            self._engine = self._load(sources, data)
            try:
                self.query_value("x := 1", None)
                return
            except EngineError as exc:
                detail = exc.detail
                used = _USED_BEFORE.search(detail.get("message") or "")
                path = str(detail.get("file"))
                if used is None or path not in sources:
                    raise
                fixed = reorder_definition(
                    sources[path], detail["line"] or 0, detail["column"] or 0, used[1]
                )
                if fixed is None:
                    raise
                sources[path] = fixed
                self.rewrites.append(
                    f"{path}:{detail['line']}: `{used[1]} := ...` moved before its first use in"
                    " the comprehension (OPA orders a body's statements itself; the engine"
                    " does not)"
                )
        raise EngineError({"message": "too many rewrites", "file": None, "line": None})

    @staticmethod
    def _load(sources: dict[str, str], data: Sequence[Any]) -> Any:
        engine = _new_engine()
        _conftest_builtins(engine, list(sources.items()))
        try:
            for item in data:
                engine.add_data_json(json.dumps(item))
        except BaseException as exc:  # a pyo3 panic is a BaseException
            raise EngineError({**engine_error(str(exc)), "file": None}) from None
        for path, source in sources.items():
            add_module(engine, path, source)
        return engine

    def builtins(self) -> list[str]:
        """The built-in functions this engine implements (as `opa.runtime()` reports them)."""
        runtime = self.query_value("opa.runtime()", None)
        return sorted(runtime.get("builtins", [])) if isinstance(runtime, dict) else []

    def query_value(self, query: str, document: Any) -> Any:
        """The value of the query's single expression (or binding `x`); None when undefined."""
        try:
            if document is not None:
                self._engine.set_input_json(json.dumps(document))
            output = json.loads(self._engine.eval_query_as_json(query))
        except BaseException as exc:
            raise EngineError(engine_error(str(exc))) from None
        results = output.get("result") or []
        if not results:
            return None
        first = results[0]
        bindings = first.get("bindings") or {}
        if "x" in bindings:
            return bindings["x"]
        expressions = first.get("expressions") or []
        return expressions[0].get("value") if expressions else None

    def query_input(self, query: str, document: Any) -> Any:
        """The binding `x` of `query` for one input document (None when undefined). JSON
        text both ways: regorus' Python values cannot hold a set of objects, and orjson makes
        the text path the faster one anyway."""
        try:
            self._engine.set_input_json(orjson.dumps(document).decode("utf-8"))
            output = orjson.loads(self._engine.eval_query_as_json(query))
        except BaseException as exc:
            raise EngineError(engine_error(str(exc))) from None
        results = output.get("result") or []
        return (results[0].get("bindings") or {}).get("x") if results else None


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One OPA compliance case on a fresh engine: {"rows": [bindings...]} or {"error": ...}."""
    try:
        engine = Engine(
            [(f"test-{i}.rego", m) for i, m in enumerate(case.get("modules") or [])],
            [case["data"]] if case.get("data") else [],
        )
        if "input" in case:
            engine._engine.set_input_json(json.dumps(case["input"]))
        elif "input_term" in case:
            term = case["input_term"]
            try:
                engine._engine.set_input_json(json.dumps(json.loads(term)))
            except ValueError:
                engine._engine.set_input_json(json.dumps(engine.query_value(f"x := {term}", None)))
        output = json.loads(engine._engine.eval_query_as_json(case["query"]))
    except EngineError as exc:
        return {"error": exc.detail}
    except BaseException as exc:  # a pyo3 panic is a BaseException
        return {"error": {**engine_error(str(exc)), "message": f"{type(exc).__name__}: {exc}"}}
    return {"rows": [row.get("bindings") or {} for row in output.get("result") or []]}
