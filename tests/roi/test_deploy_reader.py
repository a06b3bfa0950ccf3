"""The deploy JSONL reader: its hand-written fast validation accepts exactly what the schema
accepts, errors name file, line and field, and blocks with blank lines still count right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gates.errors import InputError
from gates.roi import RoiTally
from lumen.schema import iter_errors
from lumen.sources.deploys import _Bad, check_event, load_deploy_events, read_deploys

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
GOOD = {
    "ts": "2026-11-20T17:00:00Z",
    "env": "prod",
    "service": "api",
    "action": "deploy",
    "version": "1.0.0",
    "result": "success",
}
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(-1, 1e6, allow_nan=False),
    st.sampled_from(
        [
            "",
            "x",
            "deploy",
            "rollback",
            "flipback",
            "success",
            "failure",
            "2026-11-20T17:00:00Z",
            "2026-11-20T17:00:00.5+01:00",
            "2026-11-20 17:00:00Z",
            "2026-11-20T17:00Z",
            "2026-13-20T17:00:00Z",
            "2026-11-20T17:00:00",
        ]
    ),
    st.lists(st.integers(), max_size=1),
)
FIELDS = [*GOOD, "author", "notes", "commit", "id", "digest", "bundle", "duration_s", "commit_ts"]


def fast_accepts(item: Any) -> bool:
    try:
        check_event(item)
    except _Bad:
        return False
    return True


@settings(max_examples=400)
@given(
    changes=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=3),
    drop=st.sets(st.sampled_from(list(GOOD)), max_size=1),
)
def test_fast_validation_agrees_with_the_schema(changes: dict[str, Any], drop: set[str]) -> None:
    item = {k: v for k, v in {**GOOD, **changes}.items() if k not in drop}
    schema_ok = not list(iter_errors("deploy-event.schema.json", item))
    assert fast_accepts(item) == schema_ok, item


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "deploys.jsonl"
    path.write_text(text)
    return str(path)


def test_blank_lines_and_missing_final_newline(tmp_path: Path) -> None:
    import json

    line = json.dumps(GOOD)
    path = write(tmp_path, f"{line}\n\n{line}\n   \n{line}")
    tally = RoiTally(NOW - timedelta(days=1), NOW)
    read = read_deploys(path, tally)
    assert read.events == 3 and read.lines == 5 and tally.counts().deploys == 3


def test_errors_name_the_line_and_field(tmp_path: Path) -> None:
    import json

    bad = {**GOOD, "ts": "yesterday"}
    path = write(tmp_path, f"{json.dumps(GOOD)}\n{json.dumps(GOOD)}\n{json.dumps(bad)}\n")
    with pytest.raises(InputError) as info:
        read_deploys(path, RoiTally(NOW - timedelta(days=1), NOW))
    assert info.value.line == 3 and info.value.field == "ts"
    path = write(tmp_path, json.dumps(GOOD) + "\n{not json\n")
    with pytest.raises(InputError) as info:
        read_deploys(path, RoiTally(NOW - timedelta(days=1), NOW))
    assert info.value.line == 2
    with pytest.raises(InputError, match="not found"):
        read_deploys(str(tmp_path / "missing.jsonl"), RoiTally(NOW, NOW))


def test_load_events_dedupes_and_canonicalises(tmp_path: Path) -> None:
    import json

    first = {**GOOD, "env": "production", "id": "x", "commit_ts": "2026-11-20T16:00:00Z"}
    path = write(tmp_path, f"{json.dumps(first)}\n{json.dumps(first)}\n")
    events = load_deploy_events(path)
    assert len(events) == 1 and events[0].env == "prod"
    assert events[0].commit_ts == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
