"""The maturity spectrum as recorded in Prometheus: the `lumen_maturity_*` series
(docs/reference.md#sampler) that the loop sampler pushes, label `window`.

For each window W the value of a band is `avg(avg_over_time(lumen_maturity_<band>{window="W",
<selector>}[<range>]))` at `now` (several env/service groups are averaged; `range` smooths scrape
jitter, default 2m as in the canary check). The previous value for the trend is the same query at
`now - W`. A band without series is no data, never zero.

The legacy M-score rules read `avg_over_time(lumen_m_score[2m])`, `lumen_h_eff` and the firing
state of `LumenFastBurn` from the same server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gates.maturity import Spectrum, Window, spectrum_of_bands
from lumen.adapters.prometheus import PrometheusConnection, sample_values

BANDS_AND_OVERALL = ("sense", "feedback", "release", "overall")
DEFAULT_RANGE = "2m"


def selector_of(window: str | None, extra: str | None) -> str:
    """`{window="6h",env="prod"}` from a window label and extra matchers (`env="prod"`)."""
    matchers = []
    if window is not None:
        matchers.append(f'window="{window}"')
    if extra:
        cleaned = extra.strip()
        if cleaned.startswith("{") and cleaned.endswith("}"):
            cleaned = cleaned[1:-1]
        if cleaned.strip():
            matchers.append(cleaned.strip())
    return "{" + ",".join(matchers) + "}"


@dataclass
class PrometheusSpectra:
    """Per window: the spectrum now (or None) and the previous overall (or None)."""

    spectra: dict[str, Spectrum | None] = field(default_factory=dict)
    previous: dict[str, float | None] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)


def band_query(band: str, window: str, selector: str | None, smoothing: str) -> str:
    return f"avg(avg_over_time(lumen_maturity_{band}{selector_of(window, selector)}[{smoothing}]))"


def read_spectra(
    connection: PrometheusConnection,
    windows: list[Window],
    now: datetime,
    *,
    selector: str | None = None,
    smoothing: str = DEFAULT_RANGE,
    previous: bool = True,
) -> PrometheusSpectra:
    out = PrometheusSpectra()
    for window in windows:
        values: dict[str, float | None] = {}
        for band in BANDS_AND_OVERALL:
            query = band_query(band, window.label, selector, smoothing)
            out.queries.append(query)
            values[band] = connection.query_value(query, at=now)
        samples_query = (
            f"sum(count_over_time(lumen_maturity_overall"
            f"{selector_of(window.label, selector)}[{smoothing}]))"
        )
        samples = connection.query_value(samples_query, at=now)
        sense, feedback, release = values["sense"], values["feedback"], values["release"]
        if sense is None or feedback is None or release is None:
            out.spectra[window.label] = None
        else:
            out.spectra[window.label] = spectrum_of_bands(
                sense, feedback, release, overall=values["overall"], events=int(samples or 0)
            )
        if previous:
            before = now - timedelta(microseconds=window.micros)
            out.previous[window.label] = connection.query_value(
                band_query("overall", window.label, selector, smoothing), at=before
            )
    return out


def read_m_score(
    connection: PrometheusConnection,
    now: datetime,
    *,
    selector: str | None = None,
    smoothing: str = DEFAULT_RANGE,
) -> dict[str, Any]:
    """`m_score`, `h_eff` (None without series) and `fast_burn_firing` (bool)."""
    matchers = selector_of(None, selector)
    m_score = connection.query_value(
        f"avg(avg_over_time(lumen_m_score{matchers}[{smoothing}]))", at=now
    )
    h_eff = connection.query_value(
        f"avg(avg_over_time(lumen_h_eff{matchers}[{smoothing}]))", at=now
    )
    firing = sample_values(
        connection.query('ALERTS{alertname="LumenFastBurn",alertstate="firing"}', at=now)
    )
    return {"m_score": m_score, "h_eff": h_eff, "fast_burn_firing": bool(firing)}
