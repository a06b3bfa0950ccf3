"""Input formats beyond YAML and JSON for the policy gate, each giving the document structure
conftest's parser of the same name gives, so policies written for conftest work unchanged.

- dockerfile: a list of instructions `{"Cmd", "SubCmd", "JSON", "Flags", "Value", "Stage"}`
  (buildkit's AST: `Cmd` lower-cased, `Value` the instruction's words, comments before an
  instruction as `Cmd: "comment"`);
- hcl2 (hcl2json's): attributes as values (`${...}` for expressions), blocks as lists keyed by
  type then each label: `resource.aws_s3_bucket.b[0].acl`;
- toml: the table;
- ini: `{section: {key: value}}`, numbers and booleans converted, keys outside a section
  dropped;
- dotenv: `{KEY: "value"}`;
- xml (goxml2json's): `{root: {child: ..., "-attr": ..., "#content": text}}`, repeated
  children as lists, every value a string.

Each parser is imported only when a file of its format is read (python-hcl2 for HCL2; the
standard library for the rest). Errors are `InputError`s naming the file and, where the parser
says, the line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gates.errors import InputError

# --------------------------------------------------------------------------- Dockerfile

# buildkit's parse functions by instruction: how the words after the instruction are split.
_NAME_VALUE = {"env", "label"}
_JSON_OR_STRING = {"run", "cmd", "entrypoint", "shell"}
_JSON_OR_WORDS = {"copy", "add", "volume"}
_WHOLE_STRING = {"user", "workdir", "maintainer", "stopsignal"}
_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(\S)\s*$", re.IGNORECASE)


def _json_list(text: str) -> list[str] | None:
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _name_values(text: str) -> list[str]:
    """ENV/LABEL: `a=b c="d e"` -> [a, b, c, d e]; the legacy `ENV a b c` -> [a, b c]."""
    words = _shell_words(text)
    if words and "=" not in words[0]:
        name, _, rest = text.partition(" ")
        return [name, rest.strip()]
    out: list[str] = []
    for word in words:
        name, _, value = word.partition("=")
        out += [name, value]
    return out


def _shell_words(text: str) -> list[str]:
    """Words split on unquoted whitespace, quotes removed (buildkit's word splitting)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    started = False
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and i + 1 < len(text):
                i += 1
                current.append(text[i])
            else:
                current.append(char)
        elif char in "\"'":
            quote, started = char, True
        elif char.isspace():
            if started:
                words.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
            started = True
        i += 1
    if started:
        words.append("".join(current))
    return words


def _instruction(cmd: str, rest: str) -> tuple[list[str], list[str], bool]:
    """(flags, value words, JSON form) of one instruction's text after its name."""
    flags: list[str] = []
    if cmd in {"from", "copy", "add", "run", "healthcheck"}:
        while rest.startswith("--"):
            flag, _, rest = rest.partition(" ")
            flags.append(flag)
            rest = rest.lstrip()
    if cmd in _JSON_OR_STRING or cmd in _JSON_OR_WORDS:
        as_json = _json_list(rest)
        if as_json is not None:
            return flags, as_json, True
        if cmd in _JSON_OR_STRING:
            return flags, [rest] if rest else [], False
        return flags, rest.split(), False
    if cmd in _NAME_VALUE:
        return flags, _name_values(rest), False
    if cmd in _WHOLE_STRING:
        return flags, [rest], False
    if cmd == "healthcheck":
        words = rest.split(None, 1)
        if not words or words[0].upper() == "NONE":
            return flags, [w.upper() for w in words[:1]], False
        tail = words[1] if len(words) > 1 else ""
        as_json = _json_list(tail)
        if as_json is not None:
            return flags, [words[0].upper(), *as_json], True
        return flags, [words[0].upper(), tail], False
    return flags, rest.split(), False


def _logical_lines(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, instruction text, comments before it): continuation lines joined, comments and
    blank lines inside a continued instruction dropped, as buildkit does."""
    escape = "\\"
    lines = text.splitlines()
    for line in lines:
        directive = _ESCAPE_DIRECTIVE.match(line.strip())
        if directive:
            escape = directive.group(1)
            break
        if line.strip() and not line.strip().startswith("#"):
            break
    out: list[tuple[int, str, list[str]]] = []
    comments: list[str] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not current:
            if not stripped:
                continue
            if stripped.startswith("#"):
                if not _ESCAPE_DIRECTIVE.match(stripped):
                    comments.append(stripped[1:].strip())
                continue
            start = number
        elif not stripped or stripped.startswith("#"):
            continue
        piece = raw.rstrip()
        if piece.endswith(escape):
            current.append(piece[: -len(escape)].lstrip() if current else piece[: -len(escape)])
            continue
        current.append(piece.lstrip() if current else piece)
        out.append((start, "".join(current).strip(), comments))
        current, comments = [], []
    if current:
        out.append((start, "".join(current).strip(), comments))
    return out


def parse_dockerfile(text: str, file: str) -> list[tuple[int | None, Any]]:
    """conftest's Dockerfile document: one list of instructions."""
    commands: list[dict[str, Any]] = []
    stage = -1
    for line, instruction, comments in _logical_lines(text):
        name, _, rest = instruction.partition(" ")
        cmd = name.lower()
        if not re.fullmatch(r"[a-z]+", cmd):
            raise InputError(f"not a Dockerfile instruction: {name!r}", file=file, line=line)
        current_stage = max(stage, 0)
        for comment in comments:
            commands.append(
                {
                    "Cmd": "comment",
                    "SubCmd": "",
                    "JSON": False,
                    "Flags": [],
                    "Value": [comment],
                    "Stage": current_stage,
                }
            )
        sub = ""
        rest = rest.strip()
        if cmd == "onbuild":
            sub_name, _, rest = rest.partition(" ")
            sub, rest = sub_name.upper(), rest.strip()
            flags, value, as_json = _instruction(sub_name.lower(), rest)
        else:
            flags, value, as_json = _instruction(cmd, rest)
        if cmd == "from":
            stage += 1
        commands.append(
            {
                "Cmd": cmd,
                "SubCmd": sub,
                "JSON": as_json,
                "Flags": flags,
                "Value": value,
                "Stage": max(stage, 0),
            }
        )
    return [(1, commands)]


# --------------------------------------------------------------------------- HCL2


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value[1:-1]
        return decoded if isinstance(decoded, str) else value[1:-1]
    return value


def _hcl_value(value: Any) -> Any:
    if isinstance(value, str):
        return _unquote(value)
    if isinstance(value, list):
        return [_hcl_value(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(str(k)): _hcl_value(v) for k, v in value.items()}
    return value


def _hcl_body(body: dict[str, Any]) -> dict[str, Any]:
    """python-hcl2's body -> conftest's: attributes as values, blocks as lists by type/labels."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("__") and key.endswith("__"):
            continue
        blocks = (
            value
            if isinstance(value, list)
            and value
            and all(isinstance(v, dict) and _is_block(v) for v in value)
            else None
        )
        if blocks is None:
            out[key] = _hcl_value(value)
            continue
        for block in blocks:
            _add_block(out, key, block)
    return out


def _is_block(value: dict[str, Any]) -> bool:
    """A block as python-hcl2 writes it: marked, or labels (one key) down to a marked body."""
    while True:
        if value.get("__is_block__"):
            return True
        if len(value) != 1:
            return False
        (inner,) = value.values()
        if not isinstance(inner, dict):
            return False
        value = inner


def _add_block(out: dict[str, Any], kind: str, block: dict[str, Any]) -> None:
    labels: list[str] = []
    while not block.get("__is_block__"):
        ((label, block),) = block.items()
        labels.append(_unquote(label))
    target: dict[str, Any] = out
    key = kind
    for label in labels:
        inner = target.setdefault(key, {})
        if not isinstance(inner, dict):
            raise ValueError(f"block {kind} {'.'.join(labels)} clashes with an attribute")
        target, key = inner, label
    target.setdefault(key, []).append(_hcl_body(block))


def parse_hcl2(text: str, file: str) -> list[tuple[int | None, Any]]:
    try:
        import hcl2
    except ImportError:  # pragma: no cover - a runtime dependency
        raise InputError("HCL2 needs python-hcl2 (pip install python-hcl2)", file=file) from None
    try:
        body = hcl2.loads(text)
        return [(1, _hcl_body(body))]
    except Exception as exc:
        line = getattr(exc, "line", None)
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"not valid HCL2: {message}", file=file, line=line) from None


# --------------------------------------------------------------------------- TOML / INI / .env


def parse_toml(text: str, file: str) -> list[tuple[int | None, Any]]:
    import tomllib

    try:
        return [(1, tomllib.loads(text))]
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError(
            f"not valid TOML: {exc}", file=file, line=int(line.group(1)) if line else None
        ) from None


_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F_]*\.?[0-9a-fA-F_]*[pP][+-]?\d+)"
)
_GO_BOOL = {
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
}  # fmt: skip


def ini_value(value: str) -> Any:
    """conftest's conversion: a Go float literal is a number, a Go bool literal a boolean."""
    if _GO_FLOAT.fullmatch(value):
        number = float.fromhex(value.replace("_", "")) if "x" in value.lower() else float(value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if value in _GO_BOOL:
        return _GO_BOOL[value]
    return value


def parse_ini(text: str, file: str) -> list[tuple[int | None, Any]]:
    import configparser

    parser = configparser.ConfigParser(
        interpolation=None,
        strict=False,
        default_section="\x00conftest-default",  # go-ini's DEFAULT: read, then dropped
        comment_prefixes=("#", ";"),
        delimiters=("=", ":"),
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign] # keys keep their case
    try:
        parser.read_string("[\x00conftest-default]\n" + text, source=file)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            f"not valid INI: {exc.message.splitlines()[0]}",
            file=file,
            line=line - 1 if isinstance(line, int) else None,
        ) from None
    out: dict[str, Any] = {}
    for section in parser.sections():
        values = {}
        for key in parser.options(section):
            if key in parser.defaults():
                continue
            raw = parser.get(section, key, raw=True) or ""
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'`":
                raw = raw[1:-1]
            values[key] = ini_value(raw)
        out[section] = values
    out.pop("DEFAULT", None)
    return [(1, out)]


_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*[=:]\s*(.*?)\s*$")
_ENV_VAR = re.compile(r"\\?\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


def parse_dotenv(text: str, file: str) -> list[tuple[int | None, Any]]:
    """`.env` as gotenv reads it: KEY=value, `export` allowed, quotes removed, `#` comments,
    ${VAR} expanded from the keys above it (not in single quotes)."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise InputError("not a .env line", file=file, line=number, expected="KEY=value")
        key, value = match.groups()
        quote = value[:1]
        if quote in ("'", '"'):
            end = value.find(quote, 1)
            while quote == '"' and end > 0 and value[end - 1] == "\\":
                end = value.find(quote, end + 1)
            rest = value[end + 1 :].strip() if end > 0 else ""
            if end < 0 or (rest and not rest.startswith("#")):
                raise InputError(
                    "unterminated or trailing text after a quoted value", file=file, line=number
                )
            value = value[1:end]
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].rstrip()
        if quote != "'":
            value = _ENV_VAR.sub(
                lambda m: (
                    m.group(0)[1:] if m.group(0).startswith("\\") else out.get(m.group(1), "")
                ),
                value,
            )
        out[key] = value
    return [(1, out)]


# --------------------------------------------------------------------------- XML


def _xml_node(element: Any) -> Any:
    children: dict[str, Any] = {}
    for name, value in element.attrib.items():
        children["-" + _local(name)] = value
    for child in element:
        if not isinstance(child.tag, str):
            continue  # comments, processing instructions
        name = _local(child.tag)
        value = _xml_node(child)
        if name in children:
            existing = children[name]
            if isinstance(existing, list) and getattr(existing, "_repeated", False):
                existing.append(value)
            else:
                children[name] = _Repeated([existing, value])
        else:
            children[name] = value
    text = (element.text or "").strip()
    if not children:
        return text
    if text:
        children["#content"] = text
    return {k: list(v) if isinstance(v, _Repeated) else v for k, v in children.items()}


class _Repeated(list[Any]):
    _repeated = True


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def parse_xml(text: str, file: str) -> list[tuple[int | None, Any]]:
    from xml.etree import ElementTree

    if "<!ENTITY" in text:
        # Entity declarations are how XML bombs and external-file reads start; a config
        # document has no need of them.
        raise InputError("XML entity declarations are not accepted", file=file)
    try:
        # expat caps entity expansion and ElementTree never fetches external resources; with
        # declarations refused above, nothing else of defusedxml's concerns remains.
        root = ElementTree.fromstring(text.encode("utf-8"))  # noqa: S314
    except ElementTree.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InputError(f"not valid XML: {exc}", file=file, line=line) from None
    return [(1, {_local(root.tag): _xml_node(root)})]
