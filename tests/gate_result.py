"""A gate result document (`lumen comment --result`'s input) as the maturity gate writes one:
one `maturity.overall` check against the shipped 0.6 floor, for prod over 24h."""

from __future__ import annotations


def maturity_result(*, value: float, verdict: str, reason: str) -> dict[str, object]:
    return {
        "schema_version": "1",
        "gate": "maturity",
        "verdict": verdict,
        "checks": [
            {
                "name": "maturity.overall",
                "value": value,
                "comparator": ">=",
                "threshold": 0.6,
                "verdict": verdict,
                "reason": reason,
            }
        ],
        "inputs": {"env": "prod"},
        "window": "24h",
        "generated_at": "2026-11-21T10:00:00Z",
    }
