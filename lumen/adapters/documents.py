"""Documents for the policy gate, each file parsed into (line, document) pairs so findings and
schema errors can name where they are.

The parser is chosen as conftest chooses it (`--parser` forces one): `.yaml`/`.yml` (and any
unknown extension) YAML multi-document streams, `.json`, `.jsonl`/`.ndjson` one value per line,
`Dockerfile`/`*.dockerfile`/`Dockerfile.*` Dockerfile, `.tf`/`.tfvars`/`.hcl` HCL2, `.toml`,
`.ini`, `.env` dotenv, `.xml` (see `lumen.adapters.formats` for the structures, which are
conftest's). As in conftest, a file whose document is a list is judged element by element
(a JSON array of objects is several documents; a Dockerfile is one list of instructions).

YAML accepts CloudFormation's short-form tags as data: `!Ref X` is `{"Ref": "X"}`,
`!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` is `{"Fn::Sub": "s"}` and any other
`!Name v` is `{"Fn::Name": v}` (`!Condition` is `{"Condition": v}`), the template's long form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from gates.errors import InputError, UsageError
from lumen.fileio import display_name, files_under, iter_jsonl, open_text, parse_json
from lumen.yamlpos import FastStrictLoader, Located, check_expansion, too_deep

PARSERS = ("yaml", "json", "jsonl", "dockerfile", "hcl2", "toml", "ini", "dotenv", "xml")
_BY_SUFFIX = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".dockerfile": "dockerfile",
    ".tf": "hcl2",
    ".tfvars": "hcl2",
    ".hcl": "hcl2",
    ".toml": "toml",
    ".ini": "ini",
    ".env": "dotenv",
    ".xml": "xml",
}
# What a folder given to the schema rules expands to (the Rego path takes every format).
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".ndjson")


def parser_for(path: str, forced: str | None = None) -> str:
    """The parser for a file: `forced` (`--parser`), else conftest's choice by name."""
    if forced:
        if forced not in PARSERS:
            raise UsageError(f"unknown parser {forced!r}", expected=f"one of {', '.join(PARSERS)}")
        return forced
    if path == "-":
        return "yaml"
    name = Path(path).name.lower()
    if name == "dockerfile" or name.startswith("dockerfile.") or "dockerfile." in name:
        return "dockerfile"
    if name == ".env":
        return "dotenv"
    return _BY_SUFFIX.get(Path(name).suffix, "yaml")


def _is_input(path: Path, every_format: bool) -> bool:
    if not every_format:
        return path.suffix in DATA_SUFFIXES
    name = path.name.lower()
    return path.suffix.lower() in _BY_SUFFIX or name in {"dockerfile", ".env"}


def expand(paths: Sequence[str], *, every_format: bool = False) -> list[str]:
    """Files as given; folders are searched for YAML/JSON/JSONL files, or with `every_format`
    for a file of any format a parser reads (as conftest does), never inside Lumen's own
    checkout (fileio.LUMEN_CHECKOUT). A blank name is a usage error (it would otherwise name the
    working directory)."""
    out: list[str] = []
    for path in paths:
        if not path.strip():
            raise UsageError("a blank file name", expected="a file, a folder or - for stdin")
        p = Path(path)
        if path != "-" and p.is_dir():
            out.extend(str(f) for f in files_under(p) if _is_input(f, every_format))
        else:
            out.append(path)
    return out


class Parsed:
    """One file's documents with the YAML node of each, for line lookups by field path."""

    def __init__(self, file: str, documents: list[tuple[int | None, Any]], nodes: list[Any]):
        self.file = file
        self.documents = documents
        self.nodes = nodes

    def line_of(self, index: int, path: Sequence[str | int]) -> int | None:
        """Line of the value at `path` in document `index` (YAML/JSON), else the document's."""
        start, document = self.documents[index]
        node = self.nodes[index] if index < len(self.nodes) else None
        if node is None:
            return start
        return Located(document, node, self.file).line_of(path)


def _yaml_error(exc: yaml.YAMLError, file: str) -> InputError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    return InputError(
        f"not valid YAML: {problem}", file=file, line=None if mark is None else mark.line + 1
    )


def _cloudformation(loader: Any, suffix: str, node: yaml.Node) -> Any:
    """`!Ref X` and the other short-form intrinsic functions as their long form."""
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix in ("Ref", "Condition"):
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


class _PolicyLoader(FastStrictLoader):  # type: ignore[misc]
    """The strict loader (duplicate keys refused) that also reads CloudFormation tags."""


_PolicyLoader.add_multi_constructor("!", _cloudformation)


def _split_lists(documents: list[tuple[int | None, Any]]) -> list[tuple[int | None, Any]]:
    """conftest judges each element of a document that is a list on its own."""
    if len(documents) == 1 and isinstance(documents[0][1], list):
        line = documents[0][0]
        return [(line, item) for item in documents[0][1]]
    return documents


def _read(path: str, file: str) -> str:
    with open_text(path) as handle:
        try:
            text: str = handle.read()
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", file=file) from None
    return text.removeprefix("\ufeff")


def _parse_yaml(text: str, file: str, split: bool) -> Parsed:
    # One pass that keeps each document's node (for lines) next to its value; empty
    # documents (a trailing `---`) are dropped, as kubectl does.
    loader = _PolicyLoader(text)
    nodes: list[Any] = []
    documents: list[tuple[int | None, Any]] = []
    # Only an alias can expand a document beyond its text, and an alias needs an anchor
    # (`&name`): without one the walk that counts the expanded size is skipped (it is most
    # of the parse time of a large manifest set).
    may_expand = "&" in text
    try:
        while loader.check_node():
            node = loader.get_node()
            if may_expand:
                check_expansion(node, file)
            value = loader.construct_document(node)
            if node is None or value is None:
                continue
            nodes.append(node)
            documents.append((int(node.start_mark.line) + 1, value))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    except RecursionError:
        raise too_deep(file) from None
    finally:
        loader.dispose()
    if split and len(documents) == 1 and isinstance(documents[0][1], list):
        return Parsed(file, _split_lists(documents), [])
    return Parsed(file, documents, nodes)


def _other(parser: str) -> Callable[[str, str], list[tuple[int | None, Any]]]:
    from lumen.adapters import formats

    readers: dict[str, Callable[[str, str], list[tuple[int | None, Any]]]] = {
        "dockerfile": formats.parse_dockerfile,
        "hcl2": formats.parse_hcl2,
        "toml": formats.parse_toml,
        "ini": formats.parse_ini,
        "dotenv": formats.parse_dotenv,
        "xml": formats.parse_xml,
    }
    return readers[parser]


def parse(path: str, parser: str | None = None, *, split: bool = False) -> Parsed:
    """Parse a file with the parser conftest would choose (or `parser`); `split` judges the
    elements of a document that is a list one by one, as conftest does (the Rego path)."""
    file = display_name(path)
    kind = parser_for(path, parser)
    if kind == "jsonl":
        docs: list[tuple[int | None, Any]] = [(n, d) for n, d in iter_jsonl(path)]
        return Parsed(file, docs, [])
    text = _read(path, file)
    if kind == "json":
        document = parse_json(text, file)
        if split and isinstance(document, list):
            return Parsed(file, _split_lists([(1, document)]), [])
        # JSON is (nearly) YAML: the composed node tree gives line numbers for free.
        try:
            node = yaml.compose(text, Loader=FastStrictLoader)
        except (yaml.YAMLError, RecursionError):
            node = None
        return Parsed(file, [(1, document)], [node])
    if kind == "yaml":
        return _parse_yaml(text, file, split)
    return Parsed(file, _other(kind)(text, file), [])


def parse_text(text: str, parser: str, name: str = "(text)") -> Any:
    """conftest's `parse_config(parser, text)`: the document, or the list of documents of a
    multi-document text."""
    kind = parser_for(name, parser)
    if kind == "json":
        documents: list[Any] = [parse_json(text, name)]
    elif kind == "jsonl":
        documents = [parse_json(line, name) for line in text.splitlines() if line.strip()]
    elif kind == "yaml":
        documents = [d for _, d in _parse_yaml(text, name, False).documents]
    else:
        documents = [d for _, d in _other(kind)(text, name)]
    return documents[0] if len(documents) == 1 else documents


def iter_parsed(
    paths: Sequence[str], parser: str | None = None, *, split: bool = False
) -> Iterator[Parsed]:
    for path in expand(paths, every_format=split):
        yield parse(path, parser, split=split)
