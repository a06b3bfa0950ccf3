"""Bench runner: times the cases in bench/cases/<area>.py and records them in bench/RESULTS.md.

    python bench/run.py                 # every case
    python bench/run.py maturity        # one area; other areas' rows in RESULTS.md stay
    python bench/run.py cli/version-*   # cases by <area>/<name> glob
    python bench/run.py --list          # what exists

Every recorded run is its own process, so peak RSS is that process's alone (read with
wait4, the kernel's per-child accounting). The case and its peer alternate run by run so
drift on a shared machine hits both alike. See bench/README.md for the case interface.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, WORK, Case, Subject


@dataclass
class Paths:
    """Where cases and scratch files live (the options --cases-dir/--work move them)."""

    cases: Path = ROOT / "bench" / "cases"
    work: Path = WORK


PATHS = Paths()
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADER = """# Bench results

Written by `python bench/run.py` (`make bench`); re-running a subset (`python bench/run.py cli`)
replaces only those cases' sections. Times are wall-clock per run (median, min, max over the
recorded runs, after unrecorded warm-up runs); peak RSS is the largest resident set of one run's
process; "vs peer" is median ÷ the peer's median, both measured in the same session, alternating.
How to add a case: bench/README.md.
"""
BLOCK = re.compile(r"<!-- case:(?P<key>\S+) -->\n.*?<!-- /case:(?P=key) -->\n", re.S)


# --------------------------------------------------------------------------- discovery


def load_area(area: str) -> ModuleType:
    path = PATHS.cases / f"{area}.py"
    if not path.is_file():
        raise SystemExit(f"bench: no case file {path}")
    spec = importlib.util.spec_from_file_location(f"bench_cases_{area}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"bench: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def discover() -> dict[str, Case]:
    """All cases keyed ``<area>/<name>``."""
    found: dict[str, Case] = {}
    for path in sorted(PATHS.cases.glob("*.py")):
        if path.name.startswith("_"):
            continue
        area = path.stem
        cases = getattr(load_area(area), "CASES", None)
        if not isinstance(cases, list) or not all(isinstance(c, Case) for c in cases):
            raise SystemExit(f"bench: {path}: CASES must be a list of benchlib.Case")
        for case in cases:
            key = f"{area}/{case.name}"
            if key in found:
                raise SystemExit(f"bench: {path}: case name {case.name!r} is used twice")
            found[key] = case
    return found


def select(cases: dict[str, Case], patterns: list[str]) -> dict[str, Case]:
    if not patterns:
        return cases
    chosen: dict[str, Case] = {}
    for pattern in patterns:
        hits = [
            key
            for key in cases
            if fnmatch.fnmatchcase(key if "/" in pattern else key.split("/")[0], pattern)
        ]
        if not hits:
            raise SystemExit(f"bench: no case matches {pattern!r} (try --list)")
        chosen.update((key, cases[key]) for key in hits)
    return dict(sorted(chosen.items()))


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    seconds: float
    max_rss: int  # bytes


class CaseError(Exception):
    pass


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, int]:
    """Wait for ``proc`` with wait4 (its own rusage); kill it after ``timeout``."""
    timer = threading.Timer(timeout, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB.
    return proc.returncode, usage.ru_maxrss * 1024


def run_once(key: str, case: Case, which: str, subject: Subject, work: Path) -> Sample:
    env = {**os.environ, **subject.env}
    log = work / f".{which}.stderr"
    if callable(subject.run):
        argv = [sys.executable, str(Path(__file__).resolve()), "--cases-dir", str(PATHS.cases)]
        argv += ["--worker", key, which, str(work)]
    else:
        argv = [part.replace("{work}", str(work)) for part in subject.run]
    out = work / f".{which}.stdout"
    with log.open("wb") as err, out.open("wb") as stdout:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err
        )
        code, max_rss = _wait(proc, case.timeout)
        elapsed = time.perf_counter() - start
    if code not in subject.exit_codes:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise CaseError(f"{subject.label}: exit {code}: " + " | ".join(tail))
    if callable(subject.run):
        lines = out.read_text().strip().splitlines()
        elapsed = float(json.loads(lines[-1])["seconds"])
    return Sample(elapsed, max_rss)


def worker(key: str, which: str, work: str) -> int:
    """Child side of a function subject: run it once and report the time of the call alone."""
    area, name = key.split("/", 1)
    case = next(c for c in load_area(area).CASES if c.name == name)
    subject = case.subject if which == "subject" else case.peer
    assert subject is not None and callable(subject.run)
    start = time.perf_counter()
    subject.run(Path(work))
    elapsed = time.perf_counter() - start
    sys.stdout.flush()
    print(json.dumps({"seconds": elapsed}))
    return 0


def measure(key: str, case: Case, repeat: int | None) -> dict[str, list[Sample]]:
    work = PATHS.work / key
    work.mkdir(parents=True, exist_ok=True)
    stamp = work / ".ready"
    if case.setup is not None and not stamp.exists():
        case.setup(work)
        stamp.touch()
    subjects = [("subject", case.subject)]
    if case.peer is not None:
        subjects.append(("peer", case.peer))
    for _ in range(case.warmup):
        for which, subject in subjects:
            run_once(key, case, which, subject, work)
    samples: dict[str, list[Sample]] = {which: [] for which, _ in subjects}
    for _ in range(repeat or case.repeat):
        for which, subject in subjects:
            samples[which].append(run_once(key, case, which, subject, work))
    return samples


# --------------------------------------------------------------------------- reporting


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line[len(prefix) :]
    except OSError:
        pass
    return "unknown"


def machine() -> str:
    cpu = _first("/proc/cpuinfo", "model name") if sys.platform == "linux" else platform.processor()
    mem_kib = _first("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(mem_kib) / 1024**2:.1f} GiB RAM" if mem_kib.isdigit() else "RAM unknown"
    os_name = _first("/etc/os-release", "PRETTY_NAME=").strip('"')
    if os_name == "unknown":
        os_name = platform.system()
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram}, Python {platform.python_version()}, "
        f"{os_name} (kernel {platform.release()})"
    )


def revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{rev}{' (uncommitted changes)' if dirty else ''}" if rev else "unknown"


def fmt_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def fmt_bytes(n: int) -> str:
    return f"{n / 1024**2:.1f} MiB"


def render(key: str, case: Case, samples: dict[str, list[Sample]], context: str) -> str:
    medians = {w: statistics.median(s.seconds for s in runs) for w, runs in samples.items()}
    lines = [f"<!-- case:{key} -->", f"## {key}", ""]
    if case.description:
        lines += [case.description, ""]
    lines += [
        "| subject | median | min | max | runs | peak RSS | vs peer |",
        "|---|---|---|---|---|---|---|",
    ]
    for which, runs in samples.items():
        subject = case.subject if which == "subject" else case.peer
        assert subject is not None
        label = f"`{subject.label}`" if which == "subject" else f"peer: `{subject.label}`"
        ratio = f"{medians[which] / medians['peer']:.2f}×" if "peer" in medians else "—"
        times = [s.seconds for s in runs]
        lines.append(
            f"| {label} | {fmt_seconds(medians[which])} | {fmt_seconds(min(times))} | "
            f"{fmt_seconds(max(times))} | {len(runs)} | "
            f"{fmt_bytes(max(s.max_rss for s in runs))} | {ratio} |"
        )
    lines.append("")
    if case.budget is not None:
        met = "met" if medians["subject"] <= case.budget else "**MISSED**"
        lines += [f"Budget: median ≤ {fmt_seconds(case.budget)} — {met}.", ""]
    lines += [context, f"<!-- /case:{key} -->", ""]
    return "\n".join(lines)


def update_results(path: Path, blocks: dict[str, str]) -> None:
    """Replace the given cases' sections, keep every other section, order by key."""
    existing = {m["key"]: m[0] for m in BLOCK.finditer(path.read_text())} if path.exists() else {}
    existing.update(blocks)
    body = "\n".join(existing[k] for k in sorted(existing))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(HEADER + "\n" + body, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="areas or <area>/<case> globs (default: all)")
    parser.add_argument("--repeat", type=int, help="override every case's repeat count")
    parser.add_argument("--list", action="store_true", help="list cases and exit")
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file to update")
    parser.add_argument("--cases-dir", type=Path, default=PATHS.cases, help="where <area>.py live")
    parser.add_argument("--work", type=Path, default=PATHS.work, help="inputs and scratch files")
    parser.add_argument(
        "--worker", nargs=3, metavar=("KEY", "WHICH", "WORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    PATHS.cases, PATHS.work = args.cases_dir.resolve(), args.work.resolve()
    if args.worker:
        return worker(*args.worker)
    cases = select(discover(), args.cases)
    if args.list:
        for key, case in cases.items():
            peer = f" (peer: {case.peer.label})" if case.peer else ""
            print(f"{key}: {case.subject.label}{peer}")
        return 0
    context = (
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} on {machine()}; "
        f"revision {revision()}."
    )
    blocks: dict[str, str] = {}
    failed = 0
    for key, case in cases.items():
        print(f"bench: {key} …", file=sys.stderr, flush=True)
        try:
            samples = measure(key, case, args.repeat)
        except CaseError as exc:
            print(f"bench: {key} FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        blocks[key] = render(key, case, samples, context)
        print(blocks[key])
    if blocks:
        update_results(args.results, blocks)
        print(f"bench: updated {args.results} ({len(blocks)} case(s))")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
