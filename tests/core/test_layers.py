"""The import contract (CONTRIBUTING / HELPERS "Architecture"): each layer imports only its own
layer or those below it. Read from the source (every import statement, inside functions too),
so a lazy import cannot hide an upward dependency.

    1 lumen.cli, lumen.action_main
    2 lumen.commands.*      (only lumen.cli imports them; a command never imports another
                             command, only the shared helpers such as lumen.commands.common)
    3 lumen.app.*
    4 adapters, sources, sampler, flipback, reporting and the support modules
    5 gates, release        (never import lumen)
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("lumen", "gates", "release")

# Known violations (issue 17 emptied it): an entry here needs a reason and an owner.
ALLOWED: set[tuple[str, str]] = set()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str | None = None) -> Iterator[str]:
    """Every module an import statement in the file names (absolute, resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (module or module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            for alias in node.names:
                # `from lumen.commands import roi` imports the module lumen.commands.roi
                yield f"{target}.{alias.name}"


def layer(module: str) -> int | None:
    top = module.split(".", maxsplit=1)[0]
    if top in ("gates", "release"):
        return 5
    if top != "lumen":
        return None
    if module in ("lumen.cli", "lumen.action_main"):
        return 1
    if module == "lumen.commands" or module.startswith("lumen.commands."):
        return 2
    if module == "lumen.app" or module.startswith("lumen.app."):
        return 3
    if module == "lumen":
        return 5  # the package itself: __version__ only
    return 4


def known_modules() -> set[str]:
    out = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            out.add(module_name(path))
    return out


def commands() -> set[str]:
    """The command modules (`lumen.cli.COMMANDS`); other lumen.commands modules are helpers."""
    from lumen.cli import COMMANDS

    return {module for module, _ in COMMANDS.values()}


def violations() -> set[tuple[str, str]]:
    modules = known_modules()
    command_modules = commands()
    found: set[tuple[str, str]] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            source = module_name(path)
            own = layer(source)
            assert own is not None
            for target in imports_of(path):
                if target not in modules:
                    continue  # an attribute (`from gates.result import Check`) or third party
                theirs = layer(target)
                if theirs is None or target == source:
                    continue
                if theirs < own:
                    found.add((source, target))  # upward
                elif theirs == 2 and own != 2 and source != "lumen.cli":
                    found.add((source, target))  # only lumen.cli imports lumen.commands
                elif own == 2 and target in command_modules:
                    found.add((source, target))  # a command never imports another command
    return found


def test_imports_follow_the_layers() -> None:
    found = violations()
    new = sorted(found - ALLOWED)
    assert not new, "imports against the layer map:\n" + "\n".join(f"{a} -> {b}" for a, b in new)


def test_the_allow_list_only_holds_live_violations() -> None:
    gone = sorted(ALLOWED - violations())
    assert not gone, "fixed, remove from ALLOWED:\n" + "\n".join(f"{a} -> {b}" for a, b in gone)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    sample = ROOT / "lumen" / "commands" / "roi.py"
    names = set(imports_of(sample))
    assert "lumen.commands.common" in names
    assert layer("lumen.commands.roi") == 2
    assert layer("lumen.app.roi") == 3
    assert layer("lumen.sources.events") == 4
    assert layer("gates.roi") == 5
    # function-level and relative imports are found too
    fake = tmp_path / "x.py"
    fake.write_text("def f():\n    from ..commands import roi\n", encoding="utf-8")
    assert "lumen.commands.roi" in set(imports_of(fake, "lumen.sampler.x"))
