"""`notes.replacers` with release-drafter's semantics: JavaScript-style `/regex/flags` with
`$1`/`$&`/`$$` in the replacement, `g` for every match; plain strings replace every occurrence;
a bad regex is a config error naming file, line and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lumen.cli import main
from release import notes as rn


@pytest.mark.parametrize(
    ("search", "replace", "text", "expected"),
    [
        ("foo", "bar", "foo foo", "bar bar"),  # plain: every occurrence
        (
            "/JIRA-(\\d+)/",
            "[JIRA-$1](https://j/$1)",
            "JIRA-1 JIRA-2",
            "[JIRA-1](https://j/1) JIRA-2",
        ),
        ("/JIRA-(\\d+)/g", "<$1>", "JIRA-1 JIRA-2", "<1> <2>"),
        ("/jira-(\\d+)/gi", "J$1", "JIRA-1 jira-2", "J1 J2"),
        ("/(a)(b)/", "$2$1 $& $$1 $3", "ab", "ba ab $1 $3"),  # $3: no such group, kept as text
        ("/x(\\d)/g", "\\1", "x1x2", "12"),  # Python-style group references work too
        ("/^- /gm", "* ", "- a\n- b", "* a\n* b"),
        (
            "/(CVE)-(\\d{4})-(\\d+)/g",
            "https://cve/?$1-$2-$3",
            "CVE-2024-1",
            "https://cve/?CVE-2024-1",
        ),
        ("/opt(ional)?/", "[$1]", "opt", "[]"),  # an unmatched group is empty, as in JavaScript
    ],
)
def test_replacer_known_answers(search: str, replace: str, text: str, expected: str) -> None:
    assert rn.apply_replacers(text, [(search, replace)]) == expected


def test_replacers_apply_in_order() -> None:
    assert rn.apply_replacers("a", [("a", "b"), ("/b/", "c")]) == "c"


@pytest.mark.parametrize("search", ["/(unclosed/", "/x/q"])
def test_bad_regex_is_rejected(search: str) -> None:
    with pytest.raises(rn.NotesConfigError) as info:
        rn.NotesConfig.from_mapping(
            {"replacers": [{"search": "ok", "replace": ""}, {"search": search, "replace": "x"}]}
        )
    assert info.value.key == ("replacers", 1, "search")


def test_bad_regex_in_config_is_exit_1_with_file_line_key(tmp_path: Path, capsys) -> None:
    config = tmp_path / "lumen.yml"
    config.write_text("notes:\n  replacers:\n    - search: '/(x/'\n      replace: y\n")
    prs = tmp_path / "prs.json"
    prs.write_text(json.dumps([{"number": 1, "title": "x"}]))
    assert main(["notes", "--config", str(config), "--prs-json", str(prs)]) == 1
    err = capsys.readouterr().err
    assert f"{config}:3" in err and "notes.replacers.0.search" in err
    assert "not a valid regular expression" in err and "Traceback" not in err
