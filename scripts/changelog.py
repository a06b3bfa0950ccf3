"""CHANGELOG.md (Keep a Changelog 1.1.0), as Lumen's own release reads it.

    python scripts/changelog.py check                  # the file keeps the format
    python scripts/changelog.py section v1.2.0         # that release's entries (Markdown)
    python scripts/changelog.py template v1.2.0 -o F   # a `lumen notes --template` with them

A release refuses a tag without its section (`## [1.2.0] - 2026-12-06`): move the entries
from `## [Unreleased]` under it before tagging. The notes of .github/workflows/publish.yml are
that section, followed by what `lumen notes` adds (deployment and verification commands,
contributors, the full-changelog link).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = ROOT / "CHANGELOG.md"
HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$")
SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?")
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")


class ChangelogError(ValueError):
    pass


def sections(text: str) -> dict[str, tuple[int, str]]:
    """version -> (line of its heading, its body)."""
    out: dict[str, tuple[int, str]] = {}
    current: str | None = None
    start = 0
    body: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        match = HEADING.match(line)
        if match or (line.startswith("[") and "]: " in line and current):
            if current is not None:
                out[current] = (start, "\n".join(body).strip("\n"))
                current = None
            if match:
                current, start, body = match["version"], number, []
            continue
        if current is not None:
            body.append(line)
    if current is not None:
        out[current] = (start, "\n".join(body).strip("\n"))
    return out


def check(text: str) -> list[str]:
    problems = []
    if not text.startswith("# Changelog\n"):
        problems.append("CHANGELOG.md:1: expected the title `# Changelog`")
    found = sections(text)
    if "Unreleased" not in found:
        problems.append("CHANGELOG.md: no `## [Unreleased]` section")
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## ") and not HEADING.match(line):
            problems.append(f"CHANGELOG.md:{number}: expected `## [X.Y.Z] - YYYY-MM-DD`: {line}")
        match = HEADING.match(line)
        released = match and match["version"] != "Unreleased"
        if released and (not SEMVER.fullmatch(match["version"]) or not match["date"]):
            problems.append(f"CHANGELOG.md:{number}: expected `## [X.Y.Z] - YYYY-MM-DD`")
        if line.startswith("### ") and line[4:].strip() not in KINDS:
            problems.append(f"CHANGELOG.md:{number}: `{line}` is not one of {', '.join(KINDS)}")
    for version in found:
        if f"[{version}]: " not in text:
            problems.append(f"CHANGELOG.md: no link reference `[{version}]: …`")
    return problems


def section(text: str, tag: str) -> str:
    version = tag.removeprefix("v")
    found = sections(text)
    if version not in found:
        raise ChangelogError(
            f"CHANGELOG.md has no section `## [{version}] - YYYY-MM-DD`: move the entries of "
            "[Unreleased] under it before tagging"
        )
    body = found[version][1].strip()
    if not body:
        raise ChangelogError(f"CHANGELOG.md: the section [{version}] is empty")
    return body


def template(text: str, tag: str) -> str:
    """A `lumen notes` template: the changelog's entries, then what lumen notes adds."""
    body = section(text, tag)
    return (
        f"{body}\n\n$DEPLOYMENT\n\n<!-- ROI_SNAPSHOT_BLOCK -->\n\n$CONTRIBUTORS\n\n"
        "$FULL_CHANGELOG\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("check", "section", "template"))
    parser.add_argument("tag", nargs="?", default="")
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--changelog", type=Path, default=CHANGELOG)
    args = parser.parse_args(argv)
    text = args.changelog.read_text(encoding="utf-8")
    if args.what == "check":
        problems = check(text)
        print("\n".join(problems) if problems else "CHANGELOG.md: ok")
        return 1 if problems else 0
    if not args.tag:
        parser.error(f"{args.what} needs the release tag, e.g. v1.2.0")
    try:
        out = section(text, args.tag) if args.what == "section" else template(text, args.tag)
    except ChangelogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(out + "\n", encoding="utf-8")
    else:
        sys.stdout.write(out + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
