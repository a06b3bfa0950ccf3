"""Real git over HTTP on loopback: `git http-backend` (CGI) behind a tiny server that demands
the basic-auth header GitHub's git endpoint takes (`x-access-token:<token>`), as a job's
`actions/checkout` sees github.com. Every request is logged (path, query, whether it was
authorised) so tests can show what reached the server."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit

from harness.loopback import serving


@dataclass
class GitServer:
    url: str  # http://127.0.0.1:PORT
    root: Path  # GIT_PROJECT_ROOT: repositories live under it
    token: str
    requests: list[tuple[str, str, bool]] = field(default_factory=list)  # method, path, ok

    def repo_url(self, name: str) -> str:
        return f"{self.url}/{name}"


def _backend() -> str:
    exec_path = subprocess.run(
        ["git", "--exec-path"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return str(Path(exec_path) / "git-http-backend")


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                handler.rfile.readline()
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


@contextmanager
def git_http_server(root: Path, token: str) -> Iterator[GitServer]:
    """Serve the bare repositories under `root`; only requests carrying the token pass."""
    backend = _backend()
    expected = "basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
    state = GitServer(url="", root=root, token=token)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            body = _read_body(self) if self.command == "POST" else b""
            ok = (self.headers.get("Authorization") or "").lower() == expected.lower()
            with lock:
                state.requests.append((self.command, self.path, ok))
            if not ok:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            env = {
                "PATH": os.environ.get("PATH", ""),
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": "x-access-token",  # lets http-backend accept pushes
                "REQUEST_METHOD": self.command,
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "REMOTE_ADDR": "127.0.0.1",
            }
            proc = subprocess.run(
                [backend], input=body, capture_output=True, env=env, timeout=120, check=False
            )
            head, _, payload = proc.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    with serving(Handler) as state.url:
        yield state
