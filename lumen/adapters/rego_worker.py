"""The Rego engine in a worker process, so that an engine crash cannot take the gate down.

`RegoWorker` (the gate's side) starts `python -m lumen.adapters.rego_worker` once per run and
keeps it: policies are loaded once, then each input file's documents go over in one request.
Requests and answers are one JSON object per line on the worker's stdin/stdout.

If the worker dies (a signal such as SIGSEGV, or any exit), the request raises `WorkerDied`
with the signal's name; `RegoWorker` starts a fresh worker and reloads the policies on the next
request, so the remaining inputs are still judged.

The environment variable LUMEN_REGO_TEST_CRASH is a fault injection for the tests: a worker
that is handed an input document whose JSON text contains its value kills itself with SIGSEGV,
exactly as an engine fault would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson

CRASH_ENV = "LUMEN_REGO_TEST_CRASH"


class WorkerDied(Exception):
    """The worker process ended in the middle of a request."""

    def __init__(self, returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr
        if returncode < 0:
            try:
                self.cause = signal.Signals(-returncode).name
            except ValueError:
                self.cause = f"signal {-returncode}"
        else:
            self.cause = f"exit status {returncode}"
        super().__init__(f"the Rego engine died ({self.cause})")


def _plain(value: Any) -> Any:
    """What orjson cannot write itself: Rego sets (as lists) and anything else as text."""
    if isinstance(value, set | frozenset):
        return sorted(value, key=lambda v: orjson.dumps(v, default=_plain))
    return str(value)


_OPTIONS = orjson.OPT_NON_STR_KEYS


def _encode(value: Any) -> bytes:
    return orjson.dumps(value, default=_plain, option=_OPTIONS)


class RegoWorker:
    """The gate's handle on the worker process; `load` then `evaluate`/`values`."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._load: dict[str, Any] | None = None
        self.builtins: list[str] = []
        self.rewrites: list[str] = []

    def _start(self) -> subprocess.Popen[bytes]:
        if self._stderr is not None:
            self._stderr.close()
        # The worker's stderr (a panic's backtrace) is kept for the crash report; a file, not
        # a pipe, so a chatty engine can never block on it. Closed in `close`.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        # The worker imports this very Lumen: its folder goes first on the child's path, and
        # -P keeps the working directory (the user's workspace) off it, so a `lumen/` folder
        # there can never shadow Lumen in the worker.
        command = [sys.executable, "-P"]
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        proc = subprocess.Popen(
            [*command, "-m", "lumen.adapters.rego_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
        )
        self._proc = proc
        return proc

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", errors="replace")
        return "\n".join(text.strip().splitlines()[-5:])

    def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        proc = self._proc if self._proc is not None and self._proc.poll() is None else None
        if proc is None:
            proc = self._start()
            if self._load is not None and request is not self._load:
                answer = self._roundtrip(proc, self._load)
                if "error" in answer:
                    raise RuntimeError(f"policies failed to reload: {answer['error']}")
        return self._roundtrip(proc, request)

    def _roundtrip(self, proc: subprocess.Popen[bytes], request: dict[str, Any]) -> dict[str, Any]:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(_encode(request) + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:
            returncode = proc.wait()
            self._proc = None
            raise WorkerDied(returncode, self._stderr_tail())
        answer: dict[str, Any] = orjson.loads(line)
        return answer

    def load(self, modules: Sequence[tuple[str, str]], data: Sequence[Any]) -> dict[str, Any]:
        """Load the policies and data; the answer is {"builtins": [...]} or {"error": {...}}."""
        request = {"op": "load", "modules": [list(m) for m in modules], "data": list(data)}
        answer = self._send(request)
        if "error" not in answer:
            self._load = request
            self.builtins = list(answer.get("builtins", []))
            self.rewrites = list(answer.get("rewrites", []))
        return answer

    def evaluate(self, query: str, documents: Sequence[Any]) -> list[dict[str, Any]]:
        """One answer per document: {"value": ...} or {"error": {file, line, message}}."""
        answer = self._send({"op": "eval", "query": query, "inputs": list(documents)})
        results: list[dict[str, Any]] = answer["results"]
        return results

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Any request (the compliance runner's `case`); the answer as the worker gives it."""
        return self._send(request)

    def submit(self, query: str, documents: Sequence[Any]) -> None:
        """Send an `evaluate` request without waiting: the caller prepares the next batch
        (parses the next file) while the worker judges this one; `receive` gets the answer."""
        if self._proc is None or self._proc.poll() is not None:
            self._send({"op": "ping"})
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        line = _encode({"op": "eval", "query": query, "inputs": list(documents)}) + b"\n"
        try:
            proc.stdin.write(line)
            proc.stdin.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # `receive` sees the worker gone and says how it ended

    def receive(self) -> list[dict[str, Any]]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            returncode = proc.wait()
            self._proc = None
            raise WorkerDied(returncode, self._stderr_tail())
        results: list[dict[str, Any]] = orjson.loads(line)["results"]
        return results

    def values(self, queries: Sequence[str]) -> list[dict[str, Any]]:
        """One answer per query evaluated without input (the unit tests of `verify`)."""
        answer = self._send({"op": "values", "queries": list(queries)})
        results: list[dict[str, Any]] = answer["results"]
        return results

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> RegoWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    from lumen.adapters.rego_engine import Engine, EngineError

    engine: Engine | None = None
    crash_marker = os.environ.get(CRASH_ENV)
    for line in requests:
        request = orjson.loads(line)
        op = request.get("op")
        answer: dict[str, Any]
        if op == "load":
            try:
                engine = Engine([tuple(m) for m in request["modules"]], request["data"])
                answer = {"ok": True, "builtins": engine.builtins(), "rewrites": engine.rewrites}
            except EngineError as exc:
                answer = {"error": exc.detail}
        elif op == "case":
            from lumen.adapters.rego_engine import run_case

            answer = run_case(request)
        elif op == "ping":
            answer = {"ok": True}
        elif engine is None:
            answer = {"error": {"message": "no policies loaded"}}
        elif op == "eval":
            results = []
            for document in request["inputs"]:
                if crash_marker and crash_marker.encode() in orjson.dumps(document):
                    os.kill(os.getpid(), signal.SIGSEGV)
                try:
                    results.append({"value": engine.query_input(request["query"], document)})
                except EngineError as exc:
                    results.append({"error": exc.detail})
            answer = {"results": results}
        elif op == "values":
            results = []
            for query in request["queries"]:
                try:
                    results.append({"value": engine.query_value(query, None)})
                except EngineError as exc:
                    results.append({"error": exc.detail})
            answer = {"results": results}
        else:
            answer = {"error": {"message": f"unknown request {op!r}"}}
        answers.write(_encode(answer) + b"\n")
        answers.flush()


def main() -> None:
    # Answers go to the original stdout; anything the engine itself prints (Rego `print`, a
    # panic's backtrace) goes to stderr, so it can never be read as an answer.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
