"""Licence gate over a CycloneDX document: deny list and allow list of SPDX ids
(docs/reference.md#sbom).

An SPDX expression is judged by what a user may choose: `A OR B` is denied only when both
sides are, `A AND B` when either is; `X WITH exception` is judged as `X`. With an allow list, a
component passes when some choice uses allowed ids only. Licences known only by name (not SPDX)
cannot be matched against ids, so they are reported as unknown: a WARN under an allow list,
ignored by a deny list. Ids compare case-insensitively, as SPDX says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gates.result import Check, Verdict

_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9.+:-]+)")


def component_licenses(component: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(text, is_spdx) for each licence of a component: ids and expressions are SPDX."""
    out: list[tuple[str, bool]] = []
    for entry in component.get("licenses") or ():
        if not isinstance(entry, Mapping):
            continue
        if isinstance(entry.get("expression"), str):
            out.append((entry["expression"], True))
            continue
        lic = entry.get("license") or {}
        if lic.get("id"):
            out.append((str(lic["id"]), True))
        elif lic.get("name"):
            out.append((str(lic["name"]), False))
    return out


def _parse(expression: str) -> Any:
    """SPDX expression → nested ("AND"|"OR", left, right) tuples over id strings."""
    tokens = [t for t in _TOKEN.findall(expression)]
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        if position >= len(tokens):
            raise ValueError(f"unexpected end of licence expression {expression!r}")
        position += 1
        return str(tokens[position - 1])

    def primary() -> Any:
        token = take()
        if token == "(":
            node = disjunction()
            if take() != ")":
                raise ValueError(f"unbalanced parentheses in {expression!r}")
            return node
        if token.upper() in {"AND", "OR", "WITH", ")"}:
            raise ValueError(f"unexpected {token!r} in {expression!r}")
        if (peek() or "").upper() == "WITH":
            take()
            take()  # the exception does not change which licence applies
        return token

    def conjunction() -> Any:
        node = primary()
        while (peek() or "").upper() == "AND":
            take()
            node = ("AND", node, primary())
        return node

    def disjunction() -> Any:
        node = conjunction()
        while (peek() or "").upper() == "OR":
            take()
            node = ("OR", node, conjunction())
        return node

    tree = disjunction()
    if position != len(tokens):
        raise ValueError(f"trailing {tokens[position]!r} in {expression!r}")
    return tree


def licence_ids(expression: str) -> set[str]:
    """Every SPDX id an expression mentions (`MIT OR (Apache-2.0 AND BSD-3-Clause)`)."""
    try:
        tree = _parse(expression)
    except ValueError:
        return {expression}
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, str):
            found.add(node)
        else:
            walk(node[1])
            walk(node[2])

    walk(tree)
    return found


def satisfiable(expression: str, ok: Callable[[str], bool]) -> bool:
    """True when some choice the expression allows uses only ids for which `ok` holds."""
    try:
        tree = _parse(expression)
    except ValueError:
        return ok(expression)

    def walk(node: Any) -> bool:
        if isinstance(node, str):
            return ok(node)
        left, right = walk(node[1]), walk(node[2])
        return (left or right) if node[0] == "OR" else (left and right)

    return walk(tree)


@dataclass(frozen=True)
class Finding:
    component: str
    licence: str
    problem: str  # denied | not-allowed | unknown


def evaluate(
    document: Mapping[str, Any], *, deny: Iterable[str] = (), allow: Iterable[str] = ()
) -> list[Finding]:
    """Components whose licences the lists reject, or cannot judge under an allow list."""
    denied = {d.strip().lower() for d in deny if d.strip()}
    allowed = {a.strip().lower() for a in allow if a.strip()}
    findings: list[Finding] = []
    for comp in document.get("components") or ():
        if not isinstance(comp, Mapping):
            continue
        label = str(comp.get("name", "?")) + (f"@{comp['version']}" if comp.get("version") else "")
        licences = component_licenses(comp)
        spdx = [text for text, is_spdx in licences if is_spdx]
        for text in spdx:
            # Several entries on one component all apply (the package declares each of them).
            if denied and not satisfiable(text, lambda i: i.lower() not in denied):
                findings.append(Finding(label, text, "denied"))
        if allowed:
            if spdx and not all(satisfiable(t, lambda i: i.lower() in allowed) for t in spdx):
                bad = next(t for t in spdx if not satisfiable(t, lambda i: i.lower() in allowed))
                findings.append(Finding(label, bad, "not-allowed"))
            elif not spdx:
                names = ", ".join(text for text, _ in licences) or "none declared"
                findings.append(Finding(label, names, "unknown"))
    return findings


def licence_checks(
    findings: Sequence[Finding], *, deny: Sequence[str], allow: Sequence[str]
) -> list[Check]:
    """`license-deny` and `license-allow` checks (FAIL on a denied or unlisted licence)."""
    checks: list[Check] = []
    if deny:
        hits = [f for f in findings if f.problem == "denied"]
        checks.append(
            Check(
                "license-deny",
                len(hits),
                "==",
                0,
                Verdict.FAIL if hits else Verdict.PASS,
                _reason(hits, "denied licence") if hits else f"no licence in {', '.join(deny)}",
                key=True,
                extra={"findings": [f.__dict__ for f in hits]},
            )
        )
    if allow:
        hits = [f for f in findings if f.problem == "not-allowed"]
        unknown = [f for f in findings if f.problem == "unknown"]
        if hits:
            verdict, reason = Verdict.FAIL, _reason(hits, "licence not on the allow list")
        elif unknown:
            verdict, reason = Verdict.WARN, _reason(unknown, "licence unknown (not SPDX)")
        else:
            verdict, reason = Verdict.PASS, "every licence is on the allow list"
        checks.append(
            Check(
                "license-allow",
                len(hits),
                "==",
                0,
                verdict,
                reason,
                key=True,
                extra={"findings": [f.__dict__ for f in [*hits, *unknown]]},
            )
        )
    return checks


def _reason(hits: Sequence[Finding], what: str) -> str:
    shown = "; ".join(f"{f.component}: {f.licence}" for f in hits[:5])
    more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
    return f"{len(hits)} component(s) with a {what}: {shown}{more}"
