"""OPA's own Rego compliance cases run through the gate's engine, to know what it supports.

`run_cases` feeds every case of a compliance folder (OPA's `v1/test/cases/testdata/v1` layout:
`<category>/<file>.yaml`, each with `cases:`) to the engine in the worker process, so a case
that kills the engine is recorded as a crash and the rest still run. Each case ends as one of

- `pass`: OPA's answer;
- `error`: the engine raised an error where OPA gives a result (often "undefined" for a
  built-in error in OPA's non-strict mode). Safe for a gate: the run exits 1, never passes;
- `wrong`: a different result, or a result where OPA raises an error. Unsafe: a policy could
  pass or fail what OPA would not;
- `unknown`: the engine does not implement a built-in the case calls;
- `crash`: the engine died (or panicked).

`summarize` attributes each case to the built-ins and constructs it exercises (the ones its
note names, as OPA's notes name the subject: `netcidrintersects/...`, `strings/count_...`) and
records, per feature, how many cases pass and why the others fail. A feature with a `wrong` or
`crash` case is `unsafe`: `lumen.adapters.rego.check_support` refuses policies that use it.

`scripts/gen_policy_conformance.py` writes the summary to `policy/rego/conformance.json` (read
at run time) and the table to `docs/policy-conformance.md`; a test checks both for drift.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lumen.adapters.rego import Module, uses_of
from lumen.adapters.rego_worker import RegoWorker, WorkerDied

OUTCOMES = ("pass", "error", "wrong", "unknown", "crash")
UNSAFE = ("wrong", "crash")


@dataclass(frozen=True)
class CaseResult:
    file: str
    note: str
    outcome: str
    detail: str
    features: tuple[str, ...]


def iter_cases(root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted([*root.glob("*/*.yaml"), *root.glob("*/*.yml")]):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for case in document.get("cases") or []:
            yield str(path.relative_to(root)), case


def _canonical(value: Any) -> Any:
    """Order-free form: OPA's expected sets are YAML lists in no promised order."""
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr)
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    return value


def judge(case: dict[str, Any], answer: dict[str, Any]) -> tuple[str, str]:
    """(outcome, detail) of one case from the engine's answer."""
    wants_error = "want_error" in case or "want_error_code" in case
    if "error" in answer:
        message = str(answer["error"].get("message", ""))
        if "could not find function" in message:
            return "unknown", message
        if "panicked" in message or "PanicException" in message:
            return "crash", message
        if wants_error and "want_result" not in case:
            return "pass", ""
        return "error", message
    if wants_error and not case.get("want_result"):
        return "wrong", "a result where OPA raises an error"
    rows = answer.get("rows") or []
    want = case.get("want_result") or []
    if _canonical(rows) == _canonical(want):
        return "pass", ""
    return "wrong", f"got {rows!r}, OPA gives {want!r}"


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def features_of(case: dict[str, Any]) -> tuple[str, ...]:
    """The built-ins and constructs a case is about: those its note names."""
    modules = [Module(f"test-{i}.rego", m) for i, m in enumerate(case.get("modules") or [])]
    modules.append(Module("query.rego", "package q\nq := x if {\n" + case["query"] + "\n}\n"))
    used = sorted({use.name for use in uses_of(modules)})
    note = _squash(case.get("note", ""))
    named = [name for name in used if _squash(name) in note]
    if note.startswith("withkeyword"):
        named += [name for name in used if name.startswith("with ")]
    if "notbody" in note:
        named += [name for name in used if name.startswith("not {")]
    if not named and len(used) == 1:
        named = used
    return tuple(dict.fromkeys(named))


def run_cases(root: Path) -> list[CaseResult]:
    """Every case of the compliance folder through the engine, one worker for all of them."""
    results: list[CaseResult] = []
    with RegoWorker() as worker:
        for file, case in iter_cases(root):
            request = {
                "op": "case",
                "modules": case.get("modules") or [],
                "data": case.get("data"),
                "query": case["query"],
            }
            if "input" in case:
                request["input"] = case["input"]
            elif "input_term" in case:
                request["input_term"] = case["input_term"]
            try:
                answer = worker.request(request)
            except WorkerDied as died:
                outcome, detail = "crash", f"the engine died ({died.cause})"
            else:
                outcome, detail = judge(case, answer)
            results.append(
                CaseResult(file, str(case.get("note", "")), outcome, detail, features_of(case))
            )
    return results


def summarize(results: Iterable[CaseResult], engine: str) -> dict[str, Any]:
    """Per feature: cases, passed, failed by outcome, unsafe, and why (the first failures)."""
    cases = list(results)
    features: dict[str, dict[str, Any]] = {}
    for result in cases:
        for name in result.features:
            feature = features.setdefault(
                name,
                {
                    "kind": "construct" if " " in name else "builtin",
                    "cases": 0,
                    "passed": 0,
                    "failed": 0,
                    "outcomes": {},
                    "unsafe": False,
                    "why": "",
                },
            )
            feature["cases"] += 1
            if result.outcome == "pass":
                feature["passed"] += 1
                continue
            feature["failed"] += 1
            feature["outcomes"][result.outcome] = feature["outcomes"].get(result.outcome, 0) + 1
            if result.outcome in UNSAFE:
                feature["unsafe"] = True
            reason = f"{result.note} ({result.outcome})"
            if not feature["why"]:
                feature["why"] = reason
            elif feature["why"].count(";") < 2:
                feature["why"] += f"; {reason}"
    totals = {outcome: sum(1 for r in cases if r.outcome == outcome) for outcome in OUTCOMES}
    return {
        "engine": engine,
        "cases": len(cases),
        "passed": totals["pass"],
        "outcomes": totals,
        "features": dict(sorted(features.items())),
        "unattributed_failures": [
            f"{r.note} ({r.outcome})" for r in cases if r.outcome != "pass" and not r.features
        ],
    }


def engine_version() -> str:
    from importlib.metadata import version

    return f"gordon-to-regorus {version('gordon-to-regorus')}"
