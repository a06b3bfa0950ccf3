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
    """Parse one YAML document; a syntax error becomes a ConfigError with the line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise yaml_error(exc, file) from None
    return Located(data, root, file)
