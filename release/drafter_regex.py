"""JavaScript regular expressions as release-drafter uses them (replacers and the autolabeler):
`/pattern/flags` or a plain string matched literally and globally; replacements as its
replacer patterns (`$1`..`$99`, `$&`/`$0`, `$$`, `\\n`, `\\t`, `\\\\` and the case operators
`\\u \\U \\l \\L \\E`), and the autolabeler's gitignore-style file patterns.

Python's `re` is close to JavaScript's; the differences that change results are translated:
`$` (no `m` flag) is the very end of the text, `\\d`/`\\w` are ASCII, `(?<name>...)` names a
group. A pattern JavaScript would reject is rejected (release-drafter then drops it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# release-drafter's toRegex: a `/.../flags` literal, else a plain string.
_LITERAL = re.compile(r"^/(?P<pattern>.+)/(?P<flags>[AJUXgimsux]*)$", re.DOTALL)
# Flags it passes on to RegExp (others in the literal are dropped, duplicates once).
_JS_FLAGS = "gimsuy"


class JsRegexError(ValueError):
    """The text is not a regular expression JavaScript would accept."""


def _translate(pattern: str, multiline: bool) -> str:
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char == "[":
                out.append("\\[")  # literal in JavaScript, a nested set warning in Python
                i += 1
                continue
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern.startswith("]", i + 1):  # `[]` matches nothing in JavaScript
                out[-1] = "(?!)"
                i += 1
                in_class = False
        elif char == "$" and not multiline:
            out.append(r"\Z")
        elif pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


@dataclass(frozen=True)
class JsRegex:
    source: str
    regex: re.Pattern[str]
    global_: bool

    @classmethod
    def compile(cls, search: str) -> JsRegex:
        """As release-drafter's toRegex; JsRegexError for what JavaScript would reject."""
        literal = _LITERAL.match(search)
        if literal is None:
            return cls(search, re.compile(re.escape(search)), True)
        flags = "".join(dict.fromkeys(f for f in literal.group("flags") if f in _JS_FLAGS))
        value = re.ASCII
        value |= re.IGNORECASE if "i" in flags else 0
        value |= re.MULTILINE if "m" in flags else 0
        value |= re.DOTALL if "s" in flags else 0
        try:
            regex = re.compile(_translate(literal.group("pattern"), "m" in flags), value)
        except re.error as exc:
            raise JsRegexError(
                f"Invalid regular expression: /{literal.group('pattern')}/: {exc}"
            ) from None
        return cls(search, regex, "g" in flags)

    def test(self, text: str) -> bool:
        return self.regex.search(text) is not None

    def replace(self, text: str, replacement: str) -> str:
        """`text.replace(regex, replacement)` as JavaScript does it."""
        groups = self.regex.groups
        names = self.regex.groupindex

        def expand(match: re.Match[str]) -> str:
            out: list[str] = []
            i = 0
            while i < len(replacement):
                char = replacement[i]
                if char != "$" or i + 1 >= len(replacement):
                    out.append(char)
                    i += 1
                    continue
                nxt = replacement[i + 1]
                if nxt == "$":
                    out.append("$")
                    i += 2
                elif nxt == "&":
                    out.append(match.group(0))
                    i += 2
                elif nxt == "`":
                    out.append(match.string[: match.start()])
                    i += 2
                elif nxt == "'":
                    out.append(match.string[match.end() :])
                    i += 2
                elif nxt.isdigit() and nxt.isascii():
                    two = replacement[i + 1 : i + 3]
                    two_ok = len(two) == 2 and two.isdigit() and two.isascii()
                    if two_ok and 1 <= int(two) <= groups:
                        out.append(match.group(int(two)) or "")
                        i += 3
                    elif 1 <= int(nxt) <= groups:
                        out.append(match.group(int(nxt)) or "")
                        i += 2
                    else:
                        out.append("$")
                        i += 1
                elif nxt == "<" and names:
                    end = replacement.find(">", i + 2)
                    if end < 0:
                        out.append("$")
                        i += 1
                    else:
                        name = replacement[i + 2 : end]
                        out.append((match.group(name) or "") if name in names else "")
                        i = end + 1
                else:
                    out.append("$")
                    i += 1
            return "".join(out)

        return self.regex.sub(expand, text, count=0 if self.global_ else 1)


def _case(text: str, ops: list[str]) -> str:
    """Apply `\\u \\U \\l \\L \\E` to one substituted match, as release-drafter does."""
    out: list[str] = []
    op = 0
    index = 0
    while index < len(text):
        if op >= len(ops):
            out.append(text[index:])
            break
        kind = ops[op]
        if kind == "U":
            out.append(text[index].upper())
        elif kind == "u":
            out.append(text[index].upper())
            op += 1
        elif kind == "L":
            out.append(text[index].lower())
        elif kind == "l":
            out.append(text[index].lower())
            op += 1
        elif kind == "E":
            out.append(text[index:])
            break
        else:
            out.append(text[index])
        index += 1
    return "".join(out)


def _substitute(index: int, groups: list[str | None]) -> str:
    if index == 0:
        return groups[0] or ""
    remainder = ""
    while index > 0:
        if index < len(groups):
            return (groups[index] or "") + remainder
        remainder = str(index % 10) + remainder
        index //= 10
    return f"${remainder}"


def replace_pattern(regex: JsRegex, text: str, replacement: str) -> str:
    """`text.replace(regex, ...)` with release-drafter's replacer pattern language."""
    pieces: list[tuple[str | None, int, list[str]]] = []
    static: list[str] = []
    ops: list[str] = []
    i = 0
    n = len(replacement)

    def flush() -> None:
        if static:
            pieces.append(("".join(static), -1, []))
            static.clear()

    while i < n:
        char = replacement[i]
        if char == "\\":
            i += 1
            if i >= n:
                break
            nxt = replacement[i]
            if nxt == "\\":
                static.append("\\")
            elif nxt == "n":
                static.append("\n")
            elif nxt == "t":
                static.append("\t")
            elif nxt in "uUlLE":
                ops.append(nxt)
            else:
                static.append("\\" + nxt)
            i += 1
            continue
        if char == "$":
            i += 1
            if i >= n:
                static.append("$")  # a trailing `$` stays (it is never consumed)
                break
            nxt = replacement[i]
            if nxt == "$":
                static.append("$")
                i += 1
                continue
            if nxt in "0&":
                flush()
                pieces.append((None, 0, list(ops)))
                ops.clear()
                i += 1
                continue
            if "1" <= nxt <= "9":
                index = int(nxt)
                if i + 1 < n and replacement[i + 1].isdigit() and replacement[i + 1].isascii():
                    index = index * 10 + int(replacement[i + 1])
                    i += 1
                flush()
                pieces.append((None, index, list(ops)))
                ops.clear()
                i += 1
                continue
            static.append("$" + nxt)
            i += 1
            continue
        static.append(char)
        i += 1
    flush()

    def expand(match: re.Match[str]) -> str:
        groups: list[str | None] = [match.group(0), *match.groups()]
        out = []
        for value, index, case_ops in pieces:
            if value is not None:
                out.append(value)
            else:
                out.append(_case(_substitute(index, groups), case_ops))
        return "".join(out)

    return regex.regex.sub(expand, text, count=0 if regex.global_ else 1)


def _glob(pattern: str) -> re.Pattern[str]:
    body = pattern.strip("/")
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("/**", i) and i + 3 == len(body):
            out.append("/.*")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[":
            end = body.find("]", i + 1)
            if end < 0:
                out.append(re.escape(body[i]))
                i += 1
            else:
                inner = body[i + 1 : end].replace("\\", "\\\\")
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append(f"[{inner}]")
                i = end + 1
        elif body[i] == "\\" and i + 1 < len(body):
            out.append(re.escape(body[i + 1]))
            i += 2
        else:
            out.append(re.escape(body[i]))
            i += 1
    anchored = "/" in pattern.rstrip("/")
    prefix = "^" if anchored else "^(?:.*/)?"
    return re.compile(prefix + "".join(out) + "$")


def ignores(patterns: list[str] | tuple[str, ...], path: str) -> bool:
    """Whether gitignore-style `patterns` match `path` (a file) or one of its directories,
    as the `ignore` package decides for release-drafter's path conditions."""
    parts = path.strip("/").split("/")
    candidates = [("/".join(parts[: k + 1]), k + 1 < len(parts)) for k in range(len(parts))]
    result = False
    for raw in patterns:
        line = raw.rstrip(" ")
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate or line.startswith("\\!") or line.startswith("\\#"):
            line = line[1:]
        dir_only = line.endswith("/")
        regex = _glob(line)
        hit = any(regex.match(c) for c, is_dir in candidates if is_dir or not dir_only)
        if hit:
            result = not negate
    return result
