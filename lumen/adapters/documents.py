"""Documents for the policy gate: YAML (multi-document), JSON and JSONL files, each parsed
into (line, document) pairs so findings and schema errors can name where they are."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from gates.errors import InputError
from lumen.fileio import display_name, iter_jsonl, open_text
from lumen.yamlpos import Located

SUFFIXES = (".yaml", ".yml", ".json", ".jsonl", ".ndjson")
# libyaml's loader is ~15x faster on big manifest sets; pure Python where it is missing.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def expand(paths: Sequence[str]) -> list[str]:
    """Files as given; folders are searched for YAML/JSON/JSONL files (as conftest does)."""
    out: list[str] = []
    for path in paths:
        p = Path(path)
        if path != "-" and p.is_dir():
            out.extend(str(f) for f in sorted(p.rglob("*")) if f.is_file() and f.suffix in SUFFIXES)
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


def parse(path: str) -> Parsed:
    """Parse a file by its suffix: `.jsonl`/`.ndjson` one JSON value per line, `.json` one
    document, anything else a YAML stream (several `---` documents)."""
    file = display_name(path)
    if path.endswith((".jsonl", ".ndjson")):
        docs: list[tuple[int | None, Any]] = [(n, d) for n, d in iter_jsonl(path)]
        return Parsed(file, docs, [])
    with open_text(path) as handle:
        try:
            text = handle.read()
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", file=file) from None
    if path.endswith(".json"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg})", file=file, line=exc.lineno) from None
        # JSON is (nearly) YAML: the composed node tree gives line numbers for free.
        try:
            node = yaml.compose(text, Loader=_Loader)
        except yaml.YAMLError:
            node = None
        return Parsed(file, [(1, document)], [node])
    # One pass that keeps each document's node (for lines) next to its value; empty
    # documents (a trailing `---`) are dropped, as kubectl does.
    loader = _Loader(text)
    nodes: list[Any] = []
    documents: list[tuple[int | None, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            value = loader.construct_document(node)
            if node is None or value is None:
                continue
            nodes.append(node)
            documents.append((int(node.start_mark.line) + 1, value))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file) from None
    finally:
        loader.dispose()
    return Parsed(file, documents, nodes)


def iter_parsed(paths: Sequence[str]) -> Iterator[Parsed]:
    for path in expand(paths):
        yield parse(path)
