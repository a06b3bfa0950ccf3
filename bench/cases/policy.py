"""Policy gate: 50 metric rules against a local Prometheus, and the shipped Kubernetes Rego
pack over 1,000 manifests.

The Prometheus (real binary, history backfilled with promtool: 20 series per metric over the
last 20 minutes) is started when a bench worker imports this module, so its start-up is not
timed; it is stopped when the worker exits.
"""

from __future__ import annotations

import atexit
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import ROOT, Case, Subject

sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

RULES = 50
SERIES = 20
MANIFEST_FILES = 100
MANIFESTS_PER_FILE = 10


def _history() -> list[Any]:
    from harness.prometheus import Series

    end = time.time() - 2
    steps = 80  # 20 minutes every 15 s
    start = end - steps * 15
    series = []
    for i in range(SERIES):
        labels = {"job": "api", "instance": f"pod-{i}"}
        series.append(
            Series(
                "http_requests_total",
                labels,
                [(start + k * 15, k * 100.0) for k in range(steps + 1)],
            )
        )
        series.append(
            Series(
                "http_errors_total", labels, [(start + k * 15, k * 1.0) for k in range(steps + 1)]
            )
        )
        series.append(
            Series(
                "lumen_m_score",
                labels,
                [(start + k * 15, 0.5 + (k % 5) / 100) for k in range(steps + 1)],
            )
        )
    return series


def _prometheus() -> Any:
    from harness.prometheus import _stop, start_prometheus

    workdir = Path(tempfile.mkdtemp(prefix="lumen-bench-prometheus-"))
    server = start_prometheus(workdir, backfill_data=_history())
    atexit.register(_stop, server.process)
    return server


# Only bench workers (the processes that run a timed call) need the server.
PROMETHEUS = (
    _prometheus() if "--worker" in sys.argv and "policy/metric-rules-50" in sys.argv else None
)


def _queries() -> list[str]:
    """50 rules of the shapes packs use: ratios of rates, *_over_time, quantiles, per series."""
    shapes = [
        "sum(rate(http_errors_total[{w}])) / sum(rate(http_requests_total[{w}]))",
        "rate(http_errors_total[{w}]) / rate(http_requests_total[{w}])",
        "avg_over_time(lumen_m_score[{w}])",
        "stddev_over_time(lumen_m_score[{w}])",
        "quantile_over_time(0.95, lumen_m_score[{w}])",
    ]
    windows = ["1m", "2m", "5m", "10m", "15m"]
    return [shapes[i % 5].format(w=windows[(i // 5) % 5]) for i in range(RULES)]


def make_pack(work: Path) -> None:
    lines = ["id: bench", "rules:"]
    for i, query in enumerate(_queries()):
        lines += [
            f"  - id: BENCH-{i:02d}",
            f"    query: {json.dumps(query)}",
            '    comparator: "<="',
            "    threshold: 0.5",
        ]
    (work / "pack.yml").write_text("\n".join(lines) + "\n")


def lumen_metric_rules(work: Path) -> None:
    from lumen.cli import main

    assert PROMETHEUS is not None
    argv = ["policy", "--quiet", "--pack", str(work / "pack.yml"), "--prometheus", PROMETHEUS.url]
    code = main([*argv, "--json", str(work / "result.json")])
    checks = json.loads((work / "result.json").read_text())["checks"]
    # 50 rules, most of them per series: the per-series judging is part of what is timed.
    if code not in (0, 2) or len(checks) < RULES:
        raise SystemExit(f"lumen policy exited {code} with {len(checks)} checks")


def sequential_queries(work: Path) -> None:
    """The naive way: the same 50 queries one after another with prometheus-api-client."""
    from prometheus_api_client.prometheus_connect import PrometheusConnect

    assert PROMETHEUS is not None
    client = PrometheusConnect(url=PROMETHEUS.url)
    for query in _queries():
        client.custom_query(query)


# --------------------------------------------------------------------------- Rego


def _manifest(i: int) -> dict[str, Any]:
    """Every 10th manifest breaks a rule (a :latest tag), every 25th is a LoadBalancer."""
    if i % 25 == 24:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": f"svc-{i}"},
            "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
        }
    tag = "latest" if i % 10 == 9 else f"1.{i}.0"
    container = {
        "name": "app",
        "image": f"ghcr.io/example/app-{i}:{tag}",
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
        },
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"app-{i}", "labels": {"app": f"app-{i}"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": f"app-{i}"}},
            "template": {
                "metadata": {"labels": {"app": f"app-{i}"}},
                "spec": {"containers": [container]},
            },
        },
    }


def make_manifests(work: Path) -> None:
    import yaml

    folder = work / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(MANIFEST_FILES):
        docs = [_manifest(f * MANIFESTS_PER_FILE + k) for k in range(MANIFESTS_PER_FILE)]
        (folder / f"bundle-{f:03d}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))


def _conformance() -> str:
    """The engine's OPA-compliance pass rate, as policy/rego/conformance.json records it."""
    from lumen.resources import policy_path

    record = json.loads(policy_path("rego", "conformance.json").read_text())
    rate = 100 * record["passed"] / record["cases"]
    return f"{record['passed']} of {record['cases']} ({rate:.1f}%)"


def naive_regorus(work: Path) -> None:
    """The naive use of the same engine, in-process: one engine per document, policies
    re-added each time (what a straightforward loop over manifests does)."""
    import yaml

    from lumen.adapters.rego_engine import Engine
    from lumen.resources import policy_path

    sources = [
        (str(p), p.read_text()) for p in sorted(policy_path("rego", "kubernetes").glob("*.rego"))
    ]
    for path in sorted((work / "manifests").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            Engine(sources, []).query_value("data.main.deny", document)


def rego_subject(work: Path) -> None:
    from lumen.cli import main

    out = work / "result.json"
    code = main(
        ["policy", "--quiet", "--rego", "kubernetes", str(work / "manifests"), "--json", str(out)]
    )
    failed = json.loads(out.read_text())["failed"]
    total = MANIFEST_FILES * MANIFESTS_PER_FILE
    expected = sum(1 for i in range(total) if i % 25 == 24 or i % 10 == 9)
    if code != 2 or failed != expected:
        raise SystemExit(f"lumen policy exited {code} with {failed} failures (expected {expected})")


CASES = [
    Case(
        name="metric-rules-50",
        description=(
            f"`lumen policy --pack` with {RULES} PromQL rules (ratios of rates, *_over_time,"
            f" quantiles; most return {SERIES} series, judged one by one) against a local"
            " Prometheus with 20 minutes of backfilled history, 8 queries in flight; peer: the"
            " same 50 queries sent one after another with prometheus-api-client, no judging."
            " Both time their imports; lumen's include jsonschema with its format checkers"
            " (pack validation, about 0.14 s of the run), which dominates: against a local"
            " Prometheus each query takes milliseconds, so parallelism pays off only on a"
            " remote or loaded server."
        ),
        subject=Subject("lumen policy (50 rules)", lumen_metric_rules),
        peer=Subject("sequential prometheus-api-client", sequential_queries),
        setup=make_pack,
        budget=2.0,
    ),
    Case(
        name="rego-1000-manifests",
        description=(
            f"`lumen policy --rego kubernetes` over {MANIFEST_FILES * MANIFESTS_PER_FILE}"
            f" manifests ({MANIFEST_FILES} multi-document YAML files; 1 in 10 uses :latest, 1 in"
            " 25 is a LoadBalancer Service) with the shipped Kubernetes pack, regorus in one"
            " worker process (one request per file); peer: the same engine used naively"
            " in-process (a fresh engine and policy parse per document). The engine passes"
            f" {_conformance()} of OPA's Rego compliance cases (docs/policy-conformance.md)."
        ),
        subject=Subject(
            "lumen policy --rego kubernetes (1,000 manifests)",
            rego_subject,
        ),
        peer=Subject("regorus, one engine per document", naive_regorus),
        setup=make_manifests,
        budget=3.0,
    ),
]
