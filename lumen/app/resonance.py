"""Resonance use case (docs/reference.md#resonance): a loop metrics snapshot judged by
`gates.resonance`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gates.result import GateResult

if TYPE_CHECKING:
    from lumen.settings import ResonanceSettings, Scope


def evaluate(
    settings: ResonanceSettings, snapshot_path: str, *, scope: Scope, generated_at: str
) -> GateResult:
    """The resonance result of a snapshot file (`lumen resonance` and the sampler)."""
    from gates import resonance
    from lumen.sources.resonance import read_snapshots

    snapshots = read_snapshots(snapshot_path, window=settings.window)
    return resonance.gate(
        snapshots,
        settings.thresholds,
        weights=dict(settings.weights),
        on_no_data=settings.on_no_data,
        inputs={"env": scope.env, "service": scope.service, "snapshot": snapshot_path},
        generated_at=generated_at,
    )
