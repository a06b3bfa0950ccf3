"""Regenerate the bundled example data (deterministic: same seed, same files).

    python examples/generate.py

- events.jsonl: loop events of three loops (checkout, search, billing) over the two days before
  2026-11-20T18:00:00Z, each loop cycling signal -> evidence -> action;
- deploys.jsonl: deploy events for two environments (stage, prod) x two services (api, web) over
  the 95 days before it, with a few failures, rollbacks and one record retried twice (same id);
- slo-samples.json: error and request counts for the six windows of the multi-window rules.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
HERE = Path(__file__).parent


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def loop_events(rng: random.Random) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    loops = {"checkout": 55, "search": 80, "billing": 110}  # minutes between cycles
    for loop, every in loops.items():
        moment = NOW - timedelta(hours=48) + timedelta(minutes=rng.randint(0, every))
        while moment < NOW:
            # A cycle: an alert or SLO signal, the evidence gathered, and usually an action.
            events.append(
                {
                    "ts": ts(moment),
                    "kind": "signal",
                    "severity": rng.choice(["warning", "low", "low", 0.4]),
                    "loop_id": loop,
                    "source": "alertmanager",
                    "message": f"{loop}: latency p99 above target",
                }
            )
            for _ in range(rng.choice([1, 1, 2])):
                moment += timedelta(minutes=rng.randint(2, 9))
                events.append(
                    {
                        "ts": ts(moment),
                        "kind": "evidence",
                        "severity": rng.choice(["info", "info", 0.2]),
                        "loop_id": loop,
                        "source": "github-checks",
                        "message": f"{loop}: canary analysis attached",
                    }
                )
            if rng.random() < 0.8:
                moment += timedelta(minutes=rng.randint(3, 15))
                events.append(
                    {
                        "ts": ts(moment),
                        "kind": "action",
                        "severity": rng.choice(["info", "low"]),
                        "loop_id": loop,
                        "source": "argo-rollouts",
                        "message": f"{loop}: scaled out / promoted canary",
                    }
                )
            moment += timedelta(minutes=every + rng.randint(-10, 10))
    events.sort(key=lambda e: str(e["ts"]))
    return [e for e in events if str(e["ts"]) <= ts(NOW)]


def deploys(rng: random.Random) -> list[dict[str, object]]:
    authors = ["ana", "bo", "chen", "dara", "eli"]
    out: list[dict[str, object]] = []
    start = NOW - timedelta(days=95)
    for env, per_week in (("stage", 6), ("prod", 3)):
        for service in ("api", "web"):
            day = start
            minor = 0
            previous = None
            serial = 0
            while day < NOW:
                if rng.random() < per_week / 7 and day.weekday() < 5:
                    minor += 1
                    version = f"1.{minor}.0"
                    moment = day.replace(hour=rng.randint(9, 16), minute=rng.randint(0, 59))
                    if moment > NOW:
                        break
                    commit = f"{rng.getrandbits(160):040x}"
                    ok = rng.random() > (0.10 if env == "stage" else 0.05)
                    serial += 1
                    out.append(
                        {
                            "ts": ts(moment),
                            "env": env,
                            "service": service,
                            "action": "deploy",
                            "version": version,
                            "result": "success" if ok else "failure",
                            "author": rng.choice(authors),
                            "commit": commit,
                            "commit_ts": ts(moment - timedelta(hours=rng.randint(3, 40))),
                            "duration_s": rng.randint(60, 420),
                            "id": f"{env}-{service}-{serial:04d}",
                        }
                    )
                    bad_release = ok and rng.random() < 0.04
                    if (not ok or bad_release) and previous is not None:
                        # The pipeline flips back to the last good version.
                        serial += 1
                        out.append(
                            {
                                "ts": ts(moment + timedelta(minutes=rng.randint(8, 50))),
                                "env": env,
                                "service": service,
                                "action": "rollback" if not ok else "flipback",
                                "version": previous,
                                "result": "success",
                                "author": "lumen-flipback",
                                "notes": "automatic flipback to last known-good",
                                "id": f"{env}-{service}-{serial:04d}",
                            }
                        )
                    if ok and not bad_release:
                        previous = version
                day += timedelta(days=1)
    out.sort(key=lambda e: str(e["ts"]))
    # A record-event step retried by the runner: the same id twice; readers count it once.
    out.append(dict(out[-3]))
    return out


def slo_samples() -> dict[str, object]:
    # requests per window at ~100 req/s; error rates well under the 1% budget (burn < 1).
    rates = {"5m": 0.0090, "30m": 0.0083, "1h": 0.0082, "2h": 0.0075, "6h": 0.0070, "1d": 0.0065}
    seconds = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400}
    windows = {}
    for window, rate in rates.items():
        requests = 100 * seconds[window]
        windows[window] = {"errors": round(requests * rate), "requests": requests}
    return {"objective": 0.99, "windows": windows}


def main() -> None:
    rng = random.Random(20261120)
    lines = [json.dumps(e, separators=(",", ":")) for e in loop_events(rng)]
    (HERE / "events.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = [json.dumps(e, separators=(",", ":")) for e in deploys(rng)]
    (HERE / "deploys.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (HERE / "slo-samples.json").write_text(json.dumps(slo_samples(), indent=2) + "\n")


if __name__ == "__main__":
    main()
