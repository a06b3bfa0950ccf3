"""Resonance signals and gate (docs/reference.md#resonance): known answers computed by hand,
properties, CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import shipped
from hypothesis import given
from hypothesis import strategies as st

from gates import resonance as r
from gates.result import OnNoData, Verdict
from lumen.cli import main

# Worked by hand:
#   deltas 10, 12, 8, 10: mu = 10, sum |x - mu| = 4, symmetry = 1 - 4 / (4 * 10) = 0.9
#   gap 30 min: continuity = exp(-30/120) = exp(-0.25) = 0.7788007830714049
#   hist {3, 1}: p = 0.75, 0.25; H = 0.5623351446188083 nats; / ln 2 = 0.8112781244591328
#   age 45 d: custody = 1 - 45/180 = 0.75; all ok -> safety = 0.75
#   phase = 400/1000 + 0.05 = 0.45
#   coherence = (0.9 + 0.7788007830714049 + (1 - 0.8112781244591328) + 0.75) / 4
#             = 2.617522658612272 / 4 = 0.654380664653068
HEALTHY = {
    "window": "24h",
    "series_deltas": [10, 12, 8, 10],
    "gap_minutes": 30,
    "failure_hist": {"timeout": 3, "oom": 1},
    "chain_ok": True,
    "dsse_ok": True,
    "tlog_ok": True,
    "last_ceremony_age_d": 45,
    "latency_p95_ms": 400,
    "fail_rate": 0.05,
}


def snapshot(**overrides: object) -> r.Snapshot:
    from lumen.sources.resonance import snapshot_of

    return snapshot_of({**HEALTHY, **overrides}, file="t.json", window="24h")


def test_known_answer() -> None:
    s = r.signals_of(snapshot())
    assert s.symmetry == pytest.approx(0.9, abs=1e-15)
    assert s.continuity == pytest.approx(0.7788007830714049, abs=1e-15)
    assert s.entropy == pytest.approx(0.8112781244591328, abs=1e-15)
    assert s.custody == 0.75 and s.safety == 0.75
    assert s.phase == pytest.approx(0.45, abs=1e-15)
    assert s.coherence == pytest.approx(0.654380664653068, abs=1e-12)


def test_symmetry_edge_cases() -> None:
    assert r.symmetry_of([]) == 1.0
    assert r.symmetry_of([5.0]) == 1.0  # fewer than two deltas
    assert r.symmetry_of([3.0, 3.0, 3.0]) == 1.0
    assert r.symmetry_of([0.0, 0.0]) == 1.0
    # Negative deltas: |mu| makes the mirror image score the same: -10,-12,-8,-10 -> 0.9.
    assert r.symmetry_of([-10, -12, -8, -10]) == pytest.approx(0.9)
    # mu = 0 with spread: 1 - 2 / (2 * 1e-9) clamps to 0.
    assert r.symmetry_of([-1.0, 1.0]) == 0.0


def test_entropy_edge_cases() -> None:
    assert r.entropy_of([]) == 0.0
    assert r.entropy_of([7.0]) == 0.0  # one class
    assert r.entropy_of([0.0, 0.0]) == 0.0  # no failures
    assert r.entropy_of([2.0, 2.0]) == pytest.approx(1.0)
    # Three listed classes, one empty: H(1/2, 1/2) / ln 3 = ln 2 / ln 3 = 0.6309297535714574
    assert r.entropy_of([1.0, 1.0, 0.0]) == pytest.approx(0.6309297535714574)


def test_custody_safety_phase() -> None:
    assert r.custody_of(0) == 1.0 and r.custody_of(180) == 0.0 and r.custody_of(400) == 0.0
    assert r.safety_of(True, False, True, 1.0) == 0.0
    assert r.phase_of(1500, 0.3) == pytest.approx(1.8)  # not clamped
    assert r.continuity_of(0) == 1.0


def test_weights_replace_equal_weights() -> None:
    # Only safety counts: coherence = safety = 0.75.
    weights = {"symmetry": 0, "continuity": 0, "entropy": 0, "safety": 2}
    assert r.coherence_of(0.9, 0.1, 0.5, 0.75, weights) == pytest.approx(0.75)
    assert r.check_weights({"bogus": 1}) is not None
    assert r.check_weights({"symmetry": 0, "continuity": 0, "entropy": 0, "safety": 0})
    assert r.check_weights({"safety": 3}) is None


unit = st.floats(0, 1, allow_nan=False)
finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@given(
    deltas=st.lists(finite, max_size=30),
    gap=st.floats(0, 1e6),
    hist=st.lists(st.floats(0, 1e6), max_size=10),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    age=st.floats(0, 1e4),
    latency=st.floats(0, 1e5),
    fail_rate=unit,
    weights=st.fixed_dictionaries({c: st.floats(0.01, 10) for c in r.CHANNELS}),
)
def test_signals_in_unit_interval_except_phase(
    *,
    deltas: list[float],
    gap: float,
    hist: list[float],
    flags: tuple[bool, bool, bool],
    age: float,
    latency: float,
    fail_rate: float,
    weights: dict[str, float],
) -> None:
    s = r.signals_of(
        r.Snapshot(
            series_deltas=deltas,
            gap_minutes=gap,
            failure_hist=hist,
            chain_ok=flags[0],
            dsse_ok=flags[1],
            tlog_ok=flags[2],
            last_ceremony_age_d=age,
            latency_p95_ms=latency,
            fail_rate=fail_rate,
        ),
        weights,
    )
    for name in ("symmetry", "continuity", "entropy", "custody", "safety", "coherence"):
        value = getattr(s, name)
        assert value is not None and 0.0 <= value <= 1.0, (name, value)
    assert s.phase == pytest.approx(latency / 1000 + fail_rate)
    if not all(flags):
        assert s.safety == 0.0


@given(st.lists(finite, min_size=2, max_size=20), st.floats(0.1, 100))
def test_symmetry_scale_invariant(deltas: list[float], k: float) -> None:
    scaled = [x * k for x in deltas]
    if max(abs(x) for x in deltas) < 1e-3:  # MU_FLOOR dominates tiny values
        return
    assert r.symmetry_of(scaled) == pytest.approx(r.symmetry_of(deltas), abs=1e-6)


@given(st.lists(st.floats(0, 1e6), min_size=2, max_size=10), st.randoms())
def test_entropy_order_invariant(hist: list[float], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(hist)
    rnd.shuffle(shuffled)
    assert r.entropy_of(shuffled) == pytest.approx(r.entropy_of(hist), abs=1e-12)


def gate(**overrides: object) -> Verdict:
    return r.gate([snapshot(**overrides)], shipped.resonance()).verdict


def test_gate_pass_fail_and_veto() -> None:
    # Healthy but coherence 0.654 < 0.7 -> FAIL; a calmer histogram brings it over.
    assert gate() is Verdict.FAIL
    assert gate(failure_hist={"timeout": 4}) is Verdict.PASS  # entropy 0 -> coherence 0.857
    # phase at the threshold fails (strict <).
    assert gate(failure_hist={"timeout": 4}, latency_p95_ms=1150, fail_rate=0.05) is Verdict.FAIL
    # Broken trust chain vetoes even with coherence high enough otherwise.
    result = r.gate(
        [snapshot(failure_hist={"timeout": 4}, tlog_ok=False, last_ceremony_age_d=0)],
        shipped.resonance(min_coherence=0.5),
    )
    trust = next(c for c in result.checks if c.name == "trust-chain")
    assert trust.key and trust.verdict is Verdict.FAIL and result.verdict is Verdict.FAIL
    assert result.values["resonance"]["coherence"] >= 0.5


def test_missing_fields_are_no_data() -> None:
    result = r.gate([r.Snapshot()], shipped.resonance())
    assert result.verdict is Verdict.NO_DATA
    assert {c.verdict for c in result.checks} == {Verdict.NO_DATA}
    failing = r.gate([r.Snapshot()], shipped.resonance(), on_no_data=OnNoData.FAIL)
    assert failing.verdict is Verdict.FAIL


def test_cli_known_answer_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "m.json"
    snap.write_text(json.dumps({"windows": {"24h": HEALTHY, "6h": {**HEALTHY, "window": "6h"}}}))
    out = tmp_path / "r.json"
    assert main(["resonance", "--snapshot", str(snap), "--json", str(out), "--quiet"]) == 2
    doc = json.loads(out.read_text())
    assert doc["gate"] == "resonance" and doc["verdict"] == "FAIL"
    assert doc["resonance"]["coherence"] == pytest.approx(0.654380664653068)
    assert [w["window"] for w in doc["windows"]] == ["24h", "6h"]
    assert main(["resonance", "--snapshot", str(snap), "--min-coherence", "0.6", "--quiet"]) == 0

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**HEALTHY, "gap_minutes": "soon"}))
    capsys.readouterr()
    assert main(["resonance", "--snapshot", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.json" in err and "gap_minutes" in err and "Traceback" not in err
    bad.write_text(json.dumps({**HEALTHY, "chain_ok": "yes"}))
    assert main(["resonance", "--snapshot", str(bad)]) == 1
    bad.write_text(json.dumps({**HEALTHY, "typo": 1}))
    assert main(["resonance", "--snapshot", str(bad)]) == 1
    assert "typo" in capsys.readouterr().err
    assert main(["resonance"]) == 1
    assert math.isfinite(doc["resonance"]["phase"])
