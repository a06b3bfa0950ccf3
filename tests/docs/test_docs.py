"""The documentation: its generated parts match their sources, its links resolve, and the README
keeps the shape a user expects (a copyable workflow first, at most about 400 lines)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import gen_action_docs  # noqa: E402

ACTION_FILES = sorted(ROOT.glob("actions/*/action.yml"))
README = ROOT / "README.md"


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def run_generator(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_action_docs.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


# --- generated parts -------------------------------------------------------------------------


def test_generated_docs_are_current() -> None:
    """Action READMEs, --help blocks, defaults tables and quoted files match their sources
    (run: python scripts/gen_actions.py && python scripts/gen_action_docs.py)."""
    done = run_generator("--check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_help_blocks_do_not_depend_on_the_terminal() -> None:
    """The --help text is rendered at a fixed width: a narrow or wide terminal changes nothing."""
    for columns in ("40", "250"):
        env = {**os.environ, "COLUMNS": columns}
        done = run_generator("--check", env=env)
        assert done.returncode == 0, f"COLUMNS={columns}: {done.stdout}{done.stderr}"


def test_every_command_has_its_help_pasted() -> None:
    """Each `lumen` command's --help is in the docs (the page that explains it)."""
    sys.path.insert(0, str(ROOT))
    from lumen.cli import COMMANDS

    pasted = {
        match
        for page in [README, *ROOT.glob("docs/**/*.md")]
        for match in re.findall(r"<!-- help:lumen (\S+)", page.read_text(encoding="utf-8"))
    }
    missing = sorted(set(COMMANDS) - pasted)
    assert not missing, f"add <!-- help:lumen NAME --> blocks to the command's docs page: {missing}"


def test_check_names_a_stale_block(tmp_path: Path) -> None:
    """A hand edit inside a generated block is caught, and the file is named."""
    root = _copy_docs_tree(tmp_path)
    page = root / "docs" / "maturity.md"
    text = page.read_text(encoding="utf-8")
    edited = text.replace("--min-overall X", "--min-overall Y", 1)
    assert edited != text
    page.write_text(edited, encoding="utf-8")
    stale = gen_action_docs.stale_files(root)
    assert page in stale
    assert "--min-overall X" in stale[page]


@pytest.mark.parametrize("path", ACTION_FILES, ids=rel)
def test_every_action_has_a_generated_readme(path: Path) -> None:
    """Moved from the README's per-action tables: every input and output is documented."""
    readme = path.parent / "README.md"
    assert readme.exists(), f"{rel(path)} has no README.md beside it"
    text = readme.read_text(encoding="utf-8")
    action = load(path)
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"| `{name}`" in text, f"{rel(path)}: {name} not in {rel(readme)}"


def test_umbrella_action_is_documented() -> None:
    text = (ROOT / "actions" / "README.md").read_text(encoding="utf-8")
    action = load(ROOT / "action.yml")
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"| `{name}`" in text, f"action.yml: {name} not in actions/README.md"


@pytest.mark.parametrize("path", ACTION_FILES, ids=rel)
def test_action_readme_example_is_a_valid_job(path: Path) -> None:
    """The copyable example parses, uses this action, and passes only inputs it declares."""
    text = (path.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL)
    assert block, "no yaml example"
    jobs = yaml.safe_load(block.group(1))["jobs"]
    (job,) = jobs.values()
    assert job["permissions"], "the example states its permissions"
    inputs = load(path)["inputs"]
    ours = [s for s in job["steps"] if f"/actions/{path.parent.name}@" in s.get("uses", "")]
    assert len(ours) == 1
    assert set(ours[0].get("with", {})) <= set(inputs)


def _copy_docs_tree(tmp_path: Path) -> Path:
    """What the generator reads and writes, copied: docs, READMEs, actions, policy defaults and
    the workflows it quotes."""
    root = tmp_path / "repo"
    for name in ("docs", "actions", "policy/defaults", "workflows"):
        shutil.copytree(ROOT / name, root / name)
    for name in ("README.md", "CONTRIBUTING.md", "action.yml"):
        shutil.copy2(ROOT / name, root / name)
    return root


def test_a_default_changed_in_policy_defaults_changes_the_docs(tmp_path: Path) -> None:
    """`policy/defaults/*.yml` is the one place a default is written: change min-overall there
    and the reference table and the maturity action's input table follow."""
    root = _copy_docs_tree(tmp_path)
    assert gen_action_docs.stale_files(root) == {}
    defaults = root / "policy" / "defaults" / "maturity.yml"
    text = defaults.read_text(encoding="utf-8")
    assert re.search(r"^min-overall: 0\.60$", text, re.M)
    defaults.write_text(text.replace("min-overall: 0.60", "min-overall: 0.65"), encoding="utf-8")

    stale = gen_action_docs.stale_files(root)
    action_readme = root / "actions" / "maturity-gate" / "README.md"
    assert action_readme in stale
    assert "| `min-overall` | `0.65` ¹ |" in stale[action_readme]
    assert "| `min-overall` | `0.60` ¹ |" in action_readme.read_text(encoding="utf-8")
    guide = root / "docs" / "maturity.md"
    assert guide in stale, "the maturity guide states min-overall through a marker"
    assert "<!-- default:maturity.min-overall -->0.65<!-- /default -->" in stale[guide]
    tables = [p for p, t in stale.items() if "<!-- defaults:maturity -->\n" in t]
    assert tables, "no page shows the maturity defaults table"
    for page in tables:
        block = (
            stale[page].split("<!-- defaults:maturity -->\n", 1)[1].split("<!-- /defaults -->")[0]
        )
        assert "| `min-overall` | `0.65` |" in block


def test_defaults_tables_show_every_key_as_written() -> None:
    """Each defaults file's keys appear in the reference with the value as written (0.60, not 0.6)."""
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "policy" / "defaults").glob("*.yml")):
        marker = f"<!-- defaults:{path.stem} -->"
        assert marker in reference, (
            f"docs/reference.md has no {marker} table: add the two lines '{marker}' and "
            "'<!-- /defaults -->' where the reference explains that section, then run "
            "python scripts/gen_action_docs.py"
        )
        assert reference.count(marker) == 1, f"docs/reference.md has {marker} more than once"
        block = reference.split(marker, 1)[1].split("<!-- /defaults -->", 1)[0]
        for key, value in gen_action_docs.raw_defaults(ROOT, path.stem):
            for row_key, row_value in gen_action_docs.default_rows(key, value):
                shown = gen_action_docs.shown(row_value)
                assert f"| `{row_key}` | `{shown}` |" in block, f"{rel(path)}: {row_key} = {shown}"


# The guides that explain settings from policy/defaults (other pages' `window` is another thing,
# e.g. a policy pack's variable).
GUIDE_SECTIONS = {
    "maturity.md": ("maturity", "integrated"),
    "roi.md": ("roi", "slo", "score", "integrated"),
    "sampler.md": ("sampler", "resonance"),
    "reference.md": tuple(sorted(p.stem for p in (ROOT / "policy" / "defaults").glob("*.yml"))),
}


@pytest.mark.parametrize("name", sorted(GUIDE_SECTIONS))
def test_docs_state_defaults_through_markers(name: str) -> None:
    """A default written by hand next to its key (`min-overall` (0.60)) goes stale when
    policy/defaults changes; the docs write `<!-- default:SECTION.KEY -->…<!-- /default -->`."""
    keys = {
        key
        for section in GUIDE_SECTIONS[name]
        for key, _value in gen_action_docs.raw_defaults(ROOT, section)
    }
    pattern = re.compile(r"`(" + "|".join(map(re.escape, sorted(keys))) + r")` \((?:default )?\d")
    page = ROOT / "docs" / name
    text = gen_action_docs.INLINE_DEFAULT.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"<!-- (help|defaults):.*?<!-- /\1 -->", "", text, flags=re.DOTALL)
    found = pattern.search(text)
    assert not found, f"{rel(page)}: {found.group(0)!r} states a default by hand"


def test_an_inline_default_names_a_real_key(tmp_path: Path) -> None:
    root = _copy_docs_tree(tmp_path)
    page = root / "docs" / "status.md"
    page.write_text("x <!-- default:maturity.min-overal -->?<!-- /default -->\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="min-overal"):
        gen_action_docs.stale_files(root)


# --- the README's shape ----------------------------------------------------------------------


def test_readme_is_short_with_a_copyable_workflow_first() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 400, f"README.md has {len(lines)} lines; guides belong in docs/"
    head = "\n".join(lines[:60])
    block = re.search(r"```yaml\n(.*?)```", head, re.DOTALL)
    assert block, "no complete yaml workflow in the README's first 60 lines"
    workflow = yaml.safe_load(block.group(1))
    assert workflow.get(True, workflow.get("on")), "no trigger"  # YAML 1.1 reads `on` as True
    (job,) = workflow["jobs"].values()
    assert job["uses"].startswith("lumen-ci/lumen-ci/")
    assert job["permissions"]["contents"] == "read"


def test_readme_links_every_action_and_keeps_the_contributor_commands() -> None:
    text = README.read_text(encoding="utf-8")
    for path in ACTION_FILES:
        assert f"(actions/{path.parent.name}/README.md)" in text, path.parent.name
    # .ci/run runs the README's test command; keep both contributor commands there.
    assert "make test" in text and "make demo" in text
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "## Runtime dependencies" in text


def test_runtime_dependencies_are_all_listed_with_a_reason() -> None:
    """Every runtime dependency in pyproject.toml has a row, with its reason, in the README."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = README.read_text(encoding="utf-8").split("## Runtime dependencies", 1)[1]
    rows = {
        m.group(1).lower(): m.group(2).strip()
        for m in re.finditer(r"^\| ([A-Za-z0-9_.\-\[\]]+) \| (.+) \|$", text, re.M)
    }
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~;\s]", requirement, maxsplit=1)[0].lower()
        assert name in rows, f"{name} is not in the README's runtime dependencies"
        assert rows[name], f"{name} has no reason"


# --- links -----------------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        if fence:
            continue
        found.update(re.findall(r'<a id="([^"]+)"></a>', line))
        heading = re.match(r"^#{1,6} (.+)$", line)
        if heading:
            slug = _slug(heading.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def doc_pages() -> list[Path]:
    return [
        README,
        ROOT / "CONTRIBUTING.md",
        *sorted(ROOT.glob("docs/**/*.md")),
        *sorted(ROOT.glob("actions/**/README.md")),
    ]


@pytest.mark.parametrize("page", doc_pages(), ids=rel)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)  # links shown as code are examples, not links
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        assert dest.exists(), f"{rel(page)}: link to {target} (no such file)"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{rel(page)}: link to {target} (no such anchor)"
