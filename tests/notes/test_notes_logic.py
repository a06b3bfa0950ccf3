"""Release notes: known answers for categories, exclusion, fallback, versions, contributors,
escaping and the snapshot (docs/reference.md#notes, issue 10)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release import notes as rn


def pr(
    number: int,
    title: str,
    *labels: str,
    author: str = "alice",
    bot: bool = False,
    first: bool = False,
    body: str = "",
) -> rn.PullRequest:
    return rn.PullRequest(
        number=number,
        title=title,
        author=author,
        labels=labels,
        url=f"https://github.com/o/r/pull/{number}",
        author_is_bot=bot,
        first_time=first,
        body=body,
    )


CONFIG = rn.NotesConfig()


def test_categorisation_by_labels_in_configured_order() -> None:
    prs = [
        pr(4, "Tidy CI", "ci"),
        pr(1, "Add window flag", "enhancement"),
        pr(2, "Fix crash", "bug"),
        pr(3, "Drop py3.10", "breaking", "feature"),  # first matching category wins
        pr(5, "Random thing"),
    ]
    sections = rn.categorize(prs, CONFIG)
    assert [(title, [p.number for p in items]) for title, items in sections] == [
        ("Breaking changes", [3]),
        ("Features", [1]),
        ("Bug Fixes", [2]),
        ("Maintenance", [4]),
        ("Other changes", [5]),
    ]


def test_exclude_labels() -> None:
    prs = [pr(1, "feat: x", "skip-changelog"), pr(2, "fix: y")]
    assert [[p.number for p in items] for _, items in rn.categorize(prs, CONFIG)] == [[2]]
    # excluded PRs neither bump the version nor count as contributors
    assert rn.bump_of(prs, CONFIG) == "patch"
    assert rn.contributors_of([pr(1, "x", "skip-changelog", author="zed")], CONFIG).humans == ()


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("feat: new gate", "", "Features"),
        ("feat(api): new endpoint", "", "Features"),
        ("fix(parser): handle CRLF", "", "Bug Fixes"),
        ("feat!: drop v1 config", "", "Breaking changes"),
        ("refactor(core)!: rename", "", "Breaking changes"),
        ("feat: x", "BREAKING CHANGE: the flag is gone", "Breaking changes"),
        ("docs: typo", "", "Maintenance"),
        ("chore(deps): bump", "", "Maintenance"),
        ("perf: faster", "", "Maintenance"),
        ("Update README", "", None),
    ],
)
def test_conventional_commit_fallback(title: str, body: str, expected: str | None) -> None:
    assert rn.category_of(pr(1, title, body=body), CONFIG) == expected


@pytest.mark.parametrize(
    ("prs", "bump"),
    [
        ([pr(1, "fix: a"), pr(2, "docs: b")], "patch"),
        ([pr(1, "fix: a"), pr(2, "feat: b")], "minor"),
        ([pr(1, "feat: a"), pr(2, "fix!: b")], "major"),
        ([pr(1, "whatever", "enhancement")], "minor"),
        ([pr(1, "feat: labelled as bug wins", "bug")], "patch"),  # labels before titles
        ([pr(1, "plain title")], "patch"),  # the default
        ([], "patch"),
    ],
)
def test_bump(prs: list[rn.PullRequest], bump: str) -> None:
    assert rn.bump_of(prs, CONFIG) == bump


@pytest.mark.parametrize(
    ("previous", "bump", "expected"),
    [
        ("v1.2.3", "patch", "v1.2.4"),
        ("v1.2.3", "minor", "v1.3.0"),
        ("v1.2.3", "major", "v2.0.0"),
        ("1.2.3", "major", "2.0.0"),  # no prefix stays no prefix
        ("V1.0.0", "patch", "V1.0.1"),
        ("v0.4.2", "major", "v0.5.0"),  # pre-1.0: breaking bumps the minor
        ("v0.4.2", "minor", "v0.5.0"),
        ("v0.4.2", "patch", "v0.4.3"),
        ("v1.3.0-rc.2", "patch", "v1.3.0"),  # a pre-release resolves to its release
        (None, "major", "v0.1.0"),
    ],
)
def test_next_version(previous: str | None, bump: str, expected: str) -> None:
    assert rn.next_version(previous, bump) == expected


def test_next_version_rejects_non_semver() -> None:
    with pytest.raises(ValueError, match="not a semantic version"):
        rn.next_version("release-42", "patch")


def test_contributors_bots_and_first_timers() -> None:
    prs = [
        pr(1, "a", author="Zoe"),
        pr(2, "b", author="bob", first=True),
        pr(3, "c", author="dependabot[bot]", bot=True),
        pr(4, "d", author="alice"),
        pr(5, "e", author="bob", first=True),
    ]
    people = rn.contributors_of(prs, CONFIG)
    assert people.humans == ("alice", "bob", "Zoe")
    assert people.bots == ("dependabot[bot]",)
    assert people.first_time == ("bob",)
    text = rn.render_contributors(people)
    assert text.splitlines()[0] == "@alice, @bob, @Zoe"
    assert "First-time contributors: @bob" in text
    assert "Bots: dependabot[bot]" in text
    assert "@dependabot" not in text  # bots are not pinged


def test_escaping_titles() -> None:
    line = rn.render_change(
        pr(7, "Fix `x` | *y* <script> [link](http://e) @team"), CONFIG.change_template
    )
    assert line == (
        "- Fix \\`x\\` \\| \\*y\\* \\<script\\> \\[link\\](http://e) @\u200bteam (#7) @alice"
    )


def test_template_variables_are_not_expanded_inside_titles() -> None:
    notes = rn.build_notes(
        [pr(1, "fix: mention $CONTRIBUTORS literally")],
        CONFIG,
        previous_tag="v1.0.0",
        repository="o/r",
    )
    assert "mention $CONTRIBUTORS literally" in notes.body


def test_full_notes_known_answer() -> None:
    prs = [
        pr(10, "feat: add roi gate", author="alice"),
        pr(11, "fix: off by one", author="bob", first=True),
    ]
    config = rn.NotesConfig(
        template="v=$RESOLVED_VERSION prev=$PREVIOUS_TAG\n$CHANGES\n$CONTRIBUTORS\n$FULL_CHANGELOG"
    )
    notes = rn.build_notes(prs, config, previous_tag="v1.4.0", repository="o/r")
    assert notes.version == "v1.5.0" and notes.bump == "minor"
    assert notes.body == (
        "v=v1.5.0 prev=v1.4.0\n"
        "### Features\n\n- feat: add roi gate (#10) @alice\n\n"
        "### Bug Fixes\n\n- fix: off by one (#11) @bob\n"
        "@alice, @bob\n\nFirst-time contributors: @bob 🎉\n"
        "https://github.com/o/r/compare/v1.4.0...v1.5.0\n"
    )


def test_explicit_tag_wins() -> None:
    assert (
        rn.build_notes([pr(1, "feat: x")], CONFIG, previous_tag="v1.0.0", tag="v2.0.0").version
        == "v2.0.0"
    )


SNAP = [
    {
        "gate": "roi",
        "verdict": "PASS",
        "roi": {"success_rate": 0.95, "rollback_rate": 0.05, "deploys": 40},
    },
    {
        "gate": "maturity",
        "verdict": "WARN",
        "maturity": {"overall": 0.7071, "sense": 0.68, "feedback": 0.74, "release": 0.71},
    },
    {"gate": "slo", "verdict": "FAIL", "checks": [{"name": "burn_rate_1h", "value": 15.2}]},
]


def test_snapshot_with_and_without_marker() -> None:
    table = rn.snapshot_table(SNAP)
    assert table.splitlines() == [
        "| Gate | Verdict | Values |",
        "|---|---|---|",
        "| roi | PASS | success\\_rate 0.950, rollback\\_rate 0.050, deploys 40 |",
        "| maturity | WARN | overall 0.707, sense 0.680, feedback 0.740, release 0.710 |",
        "| slo | FAIL | burn\\_rate\\_1h 15.200 |",
    ]
    body = "## Monitoring\n\n<!-- ROI_SNAPSHOT_BLOCK -->\n\n## Next\n"
    assert rn.insert_snapshot(body, "T") == "## Monitoring\n\nT\n\n## Next\n"
    assert rn.insert_snapshot("no marker\n", "T") == "no marker\n\n## Gate snapshot\n\nT\n"


def test_default_template_sections_and_verifying() -> None:
    notes = rn.build_notes(
        [pr(1, "feat: x")],
        CONFIG,
        previous_tag="v1.0.0",
        repository="o/r",
        assets=[rn.Asset("lumen.whl", "lumen.whl.sigstore.json"), rn.Asset("sbom.json")],
        snapshot=rn.snapshot_table(SNAP[:1]),
        workflow="release",
    )
    body = notes.body
    for heading in (
        "## Highlights",
        "## What's changed",
        "## Deployment",
        "## Monitoring",
        "## Contributors",
    ):
        assert heading in body
    assert (
        "lumen verify --bundle lumen.whl.sigstore.json --repository o/r --ref v1.1.0 --workflow release lumen.whl"
        in body
    )
    assert (
        "sigstore verify github --bundle lumen.whl.sigstore.json --repository o/r --ref refs/tags/v1.1.0 lumen.whl"
        in body
    )
    assert "sbom.json.sigstore" not in body
    assert rn.SNAPSHOT_MARKER not in body and "| roi | PASS |" in body


def test_replacers() -> None:
    config = rn.NotesConfig(
        template="$CHANGES",
        replacers=(("/JIRA-(\\d+)/", "[JIRA-\\1](https://j/\\1)"), ("foo", "bar")),
    )
    notes = rn.build_notes([pr(1, "fix: JIRA-12 foo")], config, previous_tag="v1.0.0")
    assert "[JIRA-12](https://j/12) bar" in notes.body


def test_from_github_rest_object() -> None:
    item = {
        "number": 5,
        "title": "T",
        "html_url": "https://github.com/o/r/pull/5",
        "user": {"login": "renovate[bot]", "type": "Bot"},
        "labels": [{"name": "dependencies"}],
        "author_association": "FIRST_TIME_CONTRIBUTOR",
        "merged_at": "2026-11-01T00:00:00Z",
        "body": None,
    }
    parsed = rn.PullRequest.from_github(item)
    assert parsed.author_is_bot and parsed.labels == ("dependencies",) and parsed.first_time
    assert parsed.url.endswith("/pull/5") and parsed.body == ""


def test_config_from_mapping() -> None:
    config = rn.NotesConfig.from_mapping(
        {
            "categories": [
                {"title": "New", "labels": ["feature"]},
                {"title": "Fixed", "label": "bug"},
            ],
            "exclude-labels": ["internal"],
            "change-template": "* $TITLE by $AUTHOR",
            "version-resolver": {"major": {"labels": ["boom"]}, "default": "minor"},
        }
    )
    assert [c.title for c in config.categories] == ["New", "Fixed"]
    assert config.categories[1].labels == ("bug",)
    assert rn.bump_of([pr(1, "x", "boom")], config) == "major"
    assert rn.bump_of([pr(1, "x")], config) == "minor"
    assert rn.bump_of([pr(1, "x", "internal", "boom")], config) == "minor"


@given(st.text(max_size=200))
def test_escaped_title_never_breaks_a_table_or_pings(title: str) -> None:
    line = rn.escape_markdown(title)
    assert "\n" not in line
    assert "|" not in line.replace("\\|", "")
    assert "@" not in line.replace("@\u200b", "")
