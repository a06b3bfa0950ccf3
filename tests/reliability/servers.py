"""Loopback HTTP servers that misbehave on purpose, for the fault-injection suite.

Each `Behaviour` is what the server does with every connection it accepts, after reading the
request head: answer a huge `Retry-After`, trickle a body one byte at a time, stall after the
headers, send bytes that are not HTTP, or reset the connection. Raw sockets, not http.server,
so that the server can break the protocol in ways a well-behaved framework would not.
`kill_mid_push` runs a `lumen sample` against a stalling one and kills it with SIGKILL mid-push.
"""

from __future__ import annotations

import enum
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path


class Behaviour(enum.Enum):
    TRICKLE = "trickle"  # a 200 whose body arrives one byte every 100 ms, never finishing
    STALL = "stall"  # a 200's headers, then nothing
    SILENT = "silent"  # accepts, reads, never answers
    RETRY_429 = "429"  # 429 Too Many Requests, Retry-After: 3600
    RETRY_403 = "403"  # 403 with Retry-After: 3600 (GitHub's secondary rate limit)
    GARBAGE = "garbage"  # bytes that are not an HTTP response, then close
    RESET = "reset"  # closes with RST as soon as the request arrives
    CUT = "cut"  # a 200's headers and half its JSON body, then closes (RST): every time


def _read_head(conn: socket.socket) -> None:
    data = b""
    conn.settimeout(5)
    try:
        while b"\r\n\r\n" not in data and len(data) < 1 << 20:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
    except OSError:
        return


def _handle(conn: socket.socket, behaviour: Behaviour, stop: threading.Event) -> None:
    try:
        _read_head(conn)
        if behaviour is Behaviour.RESET:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if behaviour is Behaviour.CUT:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n" + b'{"data": {"repository": ' + b" " * 400
            )
            time.sleep(0.05)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if behaviour is Behaviour.GARBAGE:
            conn.sendall(b"\x00\xffSSH-2.0-not-http\r\n\x13\x37" * 64)
            return
        if behaviour in (Behaviour.RETRY_429, Behaviour.RETRY_403):
            status = (
                b"429 Too Many Requests" if behaviour is Behaviour.RETRY_429 else b"403 Forbidden"
            )
            body = b'{"message": "You have exceeded a secondary rate limit"}'
            conn.sendall(
                b"HTTP/1.1 " + status + b"\r\nRetry-After: 3600\r\nConnection: close\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            stop.wait(2)
            return
        if behaviour is Behaviour.SILENT:
            stop.wait(3600)
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        )
        if behaviour is Behaviour.STALL:
            stop.wait(3600)
            return
        conn.sendall(b'{"status": "success", "data": {"resultType": "vector", "result": [')
        while not stop.wait(0.1):
            conn.sendall(b" ")
    except OSError:
        pass
    finally:
        conn.close()


@contextmanager
def misbehaving_server(behaviour: Behaviour) -> Iterator[str]:
    """The base URL of a server that treats every request with `behaviour`."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_handle, args=(conn, behaviour, stop), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        time.sleep(0)


def kill_mid_push(
    argv: list[str], cwd: Path, spooled: Callable[[], bool], env: Mapping[str, str] | None = None
) -> None:
    """Run `lumen <argv>` (a sample whose Pushgateway stalls) and kill it with SIGKILL mid-push:
    once `spooled()` says its write-ahead entry is written, while the run still waits on the
    push."""
    child = subprocess.Popen(
        [sys.executable, "-m", "lumen.cli", *argv],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not spooled():
            assert child.poll() is None, "the run ended before its entry was spooled"
            time.sleep(0.05)
        time.sleep(0.5)
        assert child.poll() is None, "the run ended before it could be killed mid-push"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
