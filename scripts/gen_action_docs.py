"""Render the README's per-action tables from the action.yml files.

    python scripts/gen_action_docs.py           # rewrite the tables in README.md
    python scripts/gen_action_docs.py --check   # exit 1 when README.md differs

The tables sit between `<!-- begin:action-tables -->` and `<!-- end:action-tables -->` inside
the README's `actions` section; the prose around them is written by hand. Run
scripts/gen_actions.py first when the CLI flags changed: it rewrites the action.yml files.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = "<!-- begin:action-tables -->"
END = "<!-- end:action-tables -->"
REPOSITORY = "lumen-ci/lumen-ci"


def cell(text: Any) -> str:
    value = " ".join(str(text if text is not None else "").split())
    return value.replace("|", "\\|")


def default_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"`{text}`" if text else ""


def command_of(action: dict[str, Any]) -> str:
    run = action["runs"]["steps"][-1]["run"]
    last = run.rsplit(" ", 1)[1]
    return "COMMAND ARGS…" if last == "--umbrella" else last


def render_action(path: Path) -> str:
    action = yaml.safe_load(path.read_text(encoding="utf-8"))
    folder = path.parent.relative_to(ROOT).as_posix()
    uses = f"{REPOSITORY}@v1" if folder == "." else f"{REPOSITORY}/{folder}@v1"
    title = "`action.yml` (umbrella)" if folder == "." else f"`{folder}`"
    description = cell(action["description"])
    lines = [
        f"#### {title}: {action['name']}",
        "",
        f"{description}{'' if description.endswith(('.', '…')) else '.'} "
        f"Runs `lumen {command_of(action)}` · `uses: {uses}`",
        "",
        "| input | default | description |",
        "|---|---|---|",
    ]
    for name, spec in action["inputs"].items():
        spec = spec or {}
        required = " **(required)**" if spec.get("required") else ""
        lines.append(
            f"| `{name}`{required} | {default_cell(spec.get('default'))} "
            f"| {cell(spec.get('description'))} |"
        )
    lines += ["", "| output | description |", "|---|---|"]
    for name, spec in action["outputs"].items():
        lines.append(f"| `{name}` | {cell((spec or {}).get('description'))} |")
    return "\n".join(lines) + "\n"


def render() -> str:
    paths = [ROOT / "action.yml", *sorted(ROOT.glob("actions/*/action.yml"))]
    return "\n".join(render_action(p) for p in paths)


def updated(readme: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise SystemExit(f"README.md has no {BEGIN} … {END} block in the actions section")
    return pattern.sub(lambda _m: f"{BEGIN}\n{render()}{END}", readme, count=1)


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    current = README.read_text(encoding="utf-8")
    wanted = updated(current)
    if current == wanted:
        return 0
    if check:
        print("README.md action tables are out of date: run python scripts/gen_action_docs.py")
        return 1
    README.write_text(wanted, encoding="utf-8")
    print("updated README.md action tables")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
