"""Real Prometheus and Pushgateway servers for tests, on 127.0.0.1 at free ports.

Fixtures (registered suite-wide through tests/conftest.py):

- ``pushgateway`` -> :class:`PushgatewayServer`, a fresh ``prometheus-pushgateway`` per test
  (function scope: no groups leak between tests; ``.wipe()`` empties it mid-test).
- ``prometheus_factory(scrape_targets=..., backfill=..., ...)`` -> :class:`PrometheusServer`;
  every server it starts is stopped when the test ends.
- ``prometheus`` -> a plain :class:`PrometheusServer` (no targets, no history).

History is written before the server starts with ``promtool tsdb create-blocks-from openmetrics``
(see :func:`backfill` and :func:`openmetrics`), so windows of hours or days are queryable
immediately instead of waiting for scrapes.
"""

from __future__ import annotations

import base64
import contextlib
import math
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests
import yaml

from harness.binaries import require_binary

# Backfilled samples may be days or years old; the default 15d retention would delete them
# at the first reload, so the harness keeps everything.
RETENTION = "3650d"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Two servers picking the same "free" port (xdist workers race between probe and bind) is
# recovered from by retrying with a new port.
START_ATTEMPTS = 3


# --------------------------------------------------------------------------- OpenMetrics text


@dataclass(frozen=True)
class Series:
    """One time series to backfill: ``samples`` are ``(unix_seconds, value)`` pairs."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    samples: Sequence[tuple[float, float]] = ()


BACKFILL_STEP = 15.0


def counter(
    name: str,
    labels: dict[str, str],
    per_step: float,
    *,
    minutes: int = 20,
    end: float | None = None,
) -> Series:
    """A counter growing by `per_step` every 15 s, up to `end` (default: a few seconds ago; give
    every series of a test the same `end`, and its queries `--now` there, for exact values)."""
    end = time.time() - 2 if end is None else end
    steps = int(minutes * 60 / BACKFILL_STEP)
    start = end - steps * BACKFILL_STEP
    return Series(
        name, labels, [(start + i * BACKFILL_STEP, i * per_step) for i in range(steps + 1)]
    )


def gauge(
    name: str,
    labels: dict[str, str],
    values: list[float],
    *,
    minutes: int = 20,
    end: float | None = None,
) -> Series:
    """A gauge cycling through `values` every 15 s, up to `end` (default: a few seconds ago)."""
    end = time.time() - 2 if end is None else end
    steps = int(minutes * 60 / BACKFILL_STEP)
    start = end - steps * BACKFILL_STEP
    return Series(
        name,
        labels,
        [(start + i * BACKFILL_STEP, values[i % len(values)]) for i in range(steps + 1)],
    )


def _escape_label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _format_timestamp(ts: float) -> str:
    # OpenMetrics timestamps are seconds; Prometheus keeps milliseconds, so round there
    # (never repr a float like 1.7e9 into an exponent the parser would reject).
    millis = round(ts * 1000)
    seconds, rest = divmod(millis, 1000)
    return f"{seconds}.{rest:03d}" if rest else str(seconds)


def openmetrics(series: Iterable[Series]) -> str:
    """OpenMetrics exposition text for ``series``, ending with ``# EOF`` (promtool's input).

    Series of one metric name are kept together (OpenMetrics requires contiguous families)
    and samples are sorted by time. No ``# TYPE`` lines: promtool stores samples untyped,
    which is all PromQL needs.
    """
    by_name: dict[str, list[Series]] = {}
    for s in series:
        by_name.setdefault(s.name, []).append(s)
    lines: list[str] = []
    for name, group in by_name.items():
        for s in group:
            labels = ",".join(
                f'{k}="{_escape_label_value(v)}"' for k, v in sorted(s.labels.items())
            )
            selector = f"{name}{{{labels}}}" if labels else name
            for ts, value in sorted(s.samples, key=lambda p: p[0]):
                lines.append(f"{selector} {_format_value(value)} {_format_timestamp(ts)}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def backfill(data_dir: Path, text: str | Iterable[Series]) -> None:
    """Write TSDB blocks for ``text`` (OpenMetrics, or Series) into ``data_dir``.

    Must run before Prometheus opens ``data_dir``. promtool cuts 2h-aligned blocks itself.
    """
    promtool = require_binary("promtool")
    if not isinstance(text, str):
        text = openmetrics(text)
    data_dir.mkdir(parents=True, exist_ok=True)
    source = data_dir.parent / f"{data_dir.name}-backfill.om"
    source.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            str(source),
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"promtool backfill failed ({proc.returncode}): {proc.stderr.strip()}")


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(STOP_TIMEOUT)


def _start(
    argv_for_port: Callable[[int], list[str]], log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server on a free port and wait for ``/-/ready``; returns (process, base URL)."""
    for attempt in range(START_ATTEMPTS):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv_for_port(port), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return proc, url
            time.sleep(0.05)
        _stop(proc)
        log_text = _tail(log)
        if "address already in use" in log_text and attempt + 1 < START_ATTEMPTS:
            continue
        raise RuntimeError(f"{argv_for_port(port)[0]} did not become ready at {url}:\n{log_text}")
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- Pushgateway


@dataclass
class PushgatewayServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        """``host:port``, the form a scrape config wants."""
        return urlsplit(self.url).netloc

    def group_url(self, job: str, grouping: Mapping[str, str] | None = None) -> str:
        """URL of a group; values with ``/`` (or empty) use the ``@base64`` form the API defines."""
        parts = [("job", job), *(grouping or {}).items()]
        path = ""
        for key, value in parts:
            if value == "" or "/" in value:
                encoded = base64.urlsafe_b64encode(value.encode()).decode() or "="
                path += f"/{key}@base64/{encoded}"
            else:
                path += f"/{key}/{quote(value, safe='')}"
        return f"{self.url}/metrics{path}"

    def push(
        self,
        job: str,
        text: str,
        grouping: Mapping[str, str] | None = None,
        *,
        replace: bool = True,
    ) -> None:
        """Push exposition ``text`` (text format, ending in a newline) to a group.

        ``replace`` = PUT (replace the whole group), else POST (replace same-named metrics).
        """
        if not text.endswith("\n"):
            text += "\n"
        method = "PUT" if replace else "POST"
        resp = requests.request(
            method, self.group_url(job, grouping), data=text.encode(), timeout=10
        )
        resp.raise_for_status()

    # DELETE and the admin wipe answer 202 Accepted and are applied by the gateway's store loop
    # afterwards (a push answers once applied), so a read right after them could still see the
    # groups. Both return only once the listing shows the change.

    def delete(self, job: str, grouping: Mapping[str, str] | None = None) -> None:
        """Delete a group; returns once the gateway no longer lists it."""
        requests.delete(self.group_url(job, grouping), timeout=10).raise_for_status()
        # The listing leaves out labels with an empty value, as the gateway stores them.
        wanted = {k: v for k, v in {"job": job, **(grouping or {})}.items() if v}
        self._until(
            lambda groups: all(_listed_labels(g) != wanted for g in groups),
            f"group {wanted} deleted",
        )

    def wipe(self) -> None:
        """Delete every group (admin API, enabled by the harness); returns once none is listed."""
        requests.put(f"{self.url}/api/v1/admin/wipe", timeout=10).raise_for_status()
        self._until(lambda groups: not groups, "every group deleted")

    def _until(
        self, applied: Callable[[list[dict[str, Any]]], bool], what: str, *, within: float = 30
    ) -> None:
        deadline = time.monotonic() + within
        while not applied(groups := self.groups()):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Pushgateway: {what} not applied within {within:g}s: {groups}"
                )
            time.sleep(0.01)

    def metrics(self) -> str:
        resp = requests.get(f"{self.url}/metrics", timeout=10)
        resp.raise_for_status()
        return resp.text

    def groups(self) -> list[dict[str, Any]]:
        """The gateway's ``/api/v1/metrics`` listing (one entry per group)."""
        resp = requests.get(f"{self.url}/api/v1/metrics", timeout=10)
        resp.raise_for_status()
        data: list[dict[str, Any]] = resp.json()["data"]
        return data


def _listed_labels(group: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in group["labels"].items() if v}


def start_pushgateway(workdir: Path) -> PushgatewayServer:
    binary = require_binary("prometheus-pushgateway")
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "pushgateway.log"

    def argv(port: int) -> list[str]:
        return [
            binary,
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-admin-api",
            # Debian's build defaults to /var/lib/prometheus/pushgateway.data, which would
            # carry groups from one test (and one run) into the next: keep state in memory.
            "--persistence.file=",
            "--log.level=warn",
        ]

    proc, url = _start(argv, log)
    return PushgatewayServer(url=url, process=proc, log=log)


# --------------------------------------------------------------------------- Prometheus


class PromQLError(RuntimeError):
    pass


@dataclass
class PrometheusServer:
    url: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    config_file: Path
    log: Path

    def api(self, path: str, **params: Any) -> Any:
        """GET ``/api/v1/<path>`` and return ``data``; a non-success status raises PromQLError."""
        resp = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body = resp.json()
        if body.get("status") != "success":
            raise PromQLError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query over raw HTTP; the ``result`` list (vector) as Prometheus returns it."""
        params: dict[str, Any] = {"query": promql}
        if at is not None:
            params["time"] = at
        result: list[dict[str, Any]] = self.api("query", **params)["result"]
        return result

    def query_value(self, promql: str, at: float | None = None) -> float:
        """The single sample value of an instant query (fails unless exactly one series)."""
        result = self.query(promql, at)
        if len(result) != 1:
            raise AssertionError(f"{promql!r} returned {len(result)} series, expected 1: {result}")
        return float(result[0]["value"][1])

    def query_range(
        self, promql: str, start: float, end: float, step: float | str
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api(
            "query_range", query=promql, start=start, end=end, step=step
        )["result"]
        return result

    def targets(self) -> list[dict[str, Any]]:
        active: list[dict[str, Any]] = self.api("targets")["activeTargets"]
        return active

    def client(self) -> Any:
        """A ``prometheus_api_client.PrometheusConnect`` for this server (the product's client)."""
        from prometheus_api_client import PrometheusConnect

        return PrometheusConnect(url=self.url, disable_ssl=True)


def _target_address(target: str | PushgatewayServer | PrometheusServer) -> str:
    if isinstance(target, PushgatewayServer | PrometheusServer):
        return urlsplit(target.url).netloc
    return urlsplit(target).netloc if "://" in target else target


def prometheus_config(
    scrape_targets: Sequence[str | PushgatewayServer | PrometheusServer],
    scrape_interval: str,
    honor_labels: bool,
    rule_files: Sequence[str],
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "scrape_configs": [],
    }
    if rule_files:
        config["rule_files"] = list(rule_files)
    if scrape_targets:
        config["scrape_configs"].append(
            {
                # A pushgateway relays other jobs' series: honor_labels keeps their job/instance.
                "job_name": "lumen-test",
                "honor_labels": honor_labels,
                "scrape_interval": scrape_interval,
                "static_configs": [{"targets": [_target_address(t) for t in scrape_targets]}],
            }
        )
    return config


def start_prometheus(
    workdir: Path,
    *,
    scrape_targets: Sequence[str | PushgatewayServer | PrometheusServer] = (),
    backfill_data: str | Iterable[Series] | None = None,
    scrape_interval: str = "1s",
    honor_labels: bool = True,
    rule_files: Sequence[Path | str] = (),
    extra_args: Sequence[str] = (),
) -> PrometheusServer:
    """Start a real Prometheus in ``workdir`` (see :func:`prometheus_factory` for arguments)."""
    binary = require_binary("prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = workdir / "data"
    if backfill_data is not None:
        backfill(data_dir, backfill_data)
    rule_paths: list[str] = []
    for i, rules in enumerate(rule_files):
        if isinstance(rules, Path):
            rule_paths.append(str(rules.resolve()))
        else:
            path = workdir / f"rules-{i}.yml"
            path.write_text(rules, encoding="utf-8")
            rule_paths.append(str(path))
    config_file = workdir / "prometheus.yml"
    config_file.write_text(
        yaml.safe_dump(
            prometheus_config(scrape_targets, scrape_interval, honor_labels, rule_paths)
        ),
        encoding="utf-8",
    )
    log = workdir / "prometheus.log"

    def argv(port: int) -> list[str]:
        return [
            binary,
            f"--config.file={config_file}",
            f"--storage.tsdb.path={data_dir}",
            f"--storage.tsdb.retention.time={RETENTION}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-admin-api",
            "--web.enable-lifecycle",
            "--log.level=warn",
            *extra_args,
        ]

    proc, url = _start(argv, log)
    return PrometheusServer(
        url=url, process=proc, data_dir=data_dir, config_file=config_file, log=log
    )


def wait_for_scrape(
    prom: PrometheusServer,
    query: str,
    *,
    timeout: float = 20.0,
    predicate: Callable[[list[dict[str, Any]]], bool] = bool,
) -> list[dict[str, Any]]:
    """Poll ``query`` until ``predicate(result)`` holds (default: non-empty); return the result."""
    deadline = time.monotonic() + timeout
    result: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        result = prom.query(query)
        if predicate(result):
            return result
        time.sleep(0.2)
    raise AssertionError(
        f"{query!r} did not match within {timeout}s; last result {result}; "
        f"targets {[(t['scrapeUrl'], t['health'], t['lastError']) for t in prom.targets()]}"
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def pushgateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushgatewayServer]:
    """A fresh, empty Pushgateway for this test."""
    server = start_pushgateway(tmp_path_factory.mktemp("pushgateway"))
    try:
        yield server
    finally:
        _stop(server.process)


PrometheusFactory = Callable[..., PrometheusServer]


@pytest.fixture
def prometheus_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusFactory]:
    """``prometheus_factory(scrape_targets=[pushgateway], backfill=text_or_series, ...)``.

    Keyword arguments: ``scrape_targets`` (servers, URLs or host:port), ``backfill``
    (OpenMetrics text or :class:`Series`, written with promtool before start),
    ``scrape_interval`` ("1s"; also the rule evaluation interval), ``honor_labels`` (True),
    ``rule_files`` (Path = existing file, str = YAML content), ``extra_args``.
    """
    started: list[PrometheusServer] = []

    def factory(
        *,
        scrape_targets: Sequence[str | PushgatewayServer | PrometheusServer] = (),
        backfill: str | Iterable[Series] | None = None,
        scrape_interval: str = "1s",
        honor_labels: bool = True,
        rule_files: Sequence[Path | str] = (),
        extra_args: Sequence[str] = (),
    ) -> PrometheusServer:
        server = start_prometheus(
            tmp_path_factory.mktemp("prometheus"),
            scrape_targets=scrape_targets,
            backfill_data=backfill,
            scrape_interval=scrape_interval,
            honor_labels=honor_labels,
            rule_files=rule_files,
            extra_args=extra_args,
        )
        started.append(server)
        return server

    try:
        yield factory
    finally:
        for server in started:
            _stop(server.process)


@pytest.fixture
def prometheus(prometheus_factory: PrometheusFactory) -> PrometheusServer:
    """A running Prometheus with no targets and no history."""
    return prometheus_factory()
