"""YAML loading that remembers where each key and value stood, so errors can name the line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from gates.errors import ConfigError


class Located:
    """A parsed YAML document plus the node tree that knows line numbers."""

    def __init__(self, data: Any, root: yaml.Node | None, file: str) -> None:
        self.data = data
        self.root = root
        self.file = file

    def line_of(self, path: Sequence[str | int], *, key: bool = False) -> int | None:
        """1-based line of the value (or, with key=True, of the key) at `path`."""
        node = self.root
        key_node: yaml.Node | None = None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                        key_node, node = k, v
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    break
                key_node, node = None, node.value[part]
            else:
                break
        target = key_node if key and key_node is not None else node
        return None if target is None else target.start_mark.line + 1


# Strict-input limits (docs/reliability.md). An alias is a reference, so PyYAML builds a
# billion-laughs document in kilobytes; whatever walks it later (JSON for Rego, a deep copy, a
# merge) expands it. The expanded size is counted on the node graph before anything is built.
MAX_YAML_NODES = 1_000_000
MAX_NESTING = 256
# Config files, policy packs and release-drafter configs are hand-written: anything this large
# is a mistake, and refusing it keeps loading fast (PyYAML builds a node per value).
MAX_YAML_BYTES = 4 * 1024 * 1024


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping names the same key twice (YAML 1.2 forbids it; PyYAML keeps the last)."""


class StrictConstructorMixin:
    """Refuse duplicate keys instead of letting the last one silently win."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first is not None:
                raise DuplicateKeyError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class StrictLoader(StrictConstructorMixin, yaml.SafeLoader):
    """yaml.SafeLoader with duplicate keys refused."""


# libyaml's parser when PyYAML was built with it: the same documents, several times faster.
FastStrictLoader: type[Any] = (
    type("FastStrictLoader", (StrictConstructorMixin, yaml.CSafeLoader), {})
    if hasattr(yaml, "CSafeLoader")
    else StrictLoader
)


def strict_loader(base: type[Any]) -> type[Any]:
    """`base` (SafeLoader or CSafeLoader) with duplicate keys refused."""
    if base is yaml.SafeLoader:
        return StrictLoader
    loader: type[Any] = type(f"Strict{base.__name__}", (StrictConstructorMixin, base), {})
    return loader


def check_expansion(node: yaml.Node | None, file: str, *, limit: int = MAX_YAML_NODES) -> None:
    """Refuse a document whose aliases expand past `limit` nodes or nest past MAX_NESTING.

    Sizes are memoised per node, so the check is linear in the nodes as written."""
    if node is None:
        return
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    # Iterative post-order walk: deep documents must not hit Python's recursion limit here.
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if key in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [part for pair in current.value for part in pair]
        if not done:
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        sizes[key] = 1 + sum(sizes[id(c)] for c in children)
        depths[key] = 1 + max((depths[id(c)] for c in children), default=0)
        if depths[key] > MAX_NESTING:
            raise too_deep(file, current)
        if sizes[key] > limit:
            raise ConfigError(
                f"aliases expand to more than {limit:,} values (an alias bomb?)",
                file=file,
                line=current.start_mark.line + 1,
                expected=f"at most {limit:,} values after expanding aliases",
            )


def too_deep(file: str, node: yaml.Node | None = None) -> ConfigError:
    return ConfigError(
        f"nested more than {MAX_NESTING} levels deep",
        file=file,
        line=None if node is None else node.start_mark.line + 1,
        expected=f"at most {MAX_NESTING} levels of nesting",
    )


def yaml_error(exc: yaml.YAMLError, file: str) -> ConfigError:
    """A YAML syntax error as a ConfigError naming the line."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return ConfigError(
            f"not valid YAML: {exc.problem or exc.context}",
            file=file,
            line=None if mark is None else mark.line + 1,
        )
    return ConfigError(f"not valid YAML: {exc}", file=file)


def load_yaml(text: str, file: str) -> Located:
    """Parse one YAML document strictly (duplicate keys, alias bombs and deep nesting are
    errors); a syntax error becomes a ConfigError with the line. One parse: the node tree that
    gives line numbers is the one the data is built from."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(
            f"{len(text):,} characters is larger than the {MAX_YAML_BYTES // 1024 // 1024} MiB "
            "limit for a YAML config or pack",
            file=file,
        )
    loader = FastStrictLoader(text)
    try:
        root = loader.get_single_node()
        check_expansion(root, file)
        data = None if root is None else loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None
    except RecursionError:
        raise too_deep(file) from None
    finally:
        loader.dispose()
    return Located(data, root, file)
