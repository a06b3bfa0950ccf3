"""Connection options of the metric rules reach the wire: bearer token, basic auth, tenant
headers, a CA bundle for TLS, and TLS verification off. A small recording server stands in
for Prometheus here because what is checked is the request itself (Prometheus would ignore
the headers); answers follow Prometheus's query API."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lumen.cli import main


class Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        body = json.dumps(
            {
                "status": "success",
                "data": {
                    "resultType": "vector",
                    "result": [{"metric": {}, "value": [time.time(), "1"]}],
                },
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(context: ssl.SSLContext | None = None) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen = []  # type: ignore[attr-defined]
    scheme = "http"
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"{scheme}://127.0.0.1:{server.server_port}"


@pytest.fixture
def recorder() -> Iterator[tuple[http.server.ThreadingHTTPServer, str]]:
    server, url = _serve()
    yield server, url
    server.shutdown()


def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lumen test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(pem))
    cert_path.write_bytes(cert.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack.yml"
    pack.write_text(
        textwrap.dedent(
            """
            id: t
            rules:
              - {id: UP, query: up, comparator: ">=", threshold: 1}
            """
        )
    )
    return pack


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["policy", "--quiet", *argv])
    return code, capsys.readouterr().err


def test_bearer_token_and_tenant_header(
    recorder: tuple[Any, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, url = recorder
    code, err = _run(
        capsys,
        "--pack", str(_pack(tmp_path)), "--prometheus", url,
        "--prometheus-header", "X-Scope-OrgID: tenant-a",
        "--prometheus-bearer-token", "s3cret",
    )  # fmt: skip
    assert code == 0, err
    (headers,) = server.seen
    assert headers["X-Scope-OrgID"] == "tenant-a"
    assert headers["Authorization"] == "Bearer s3cret"


def test_basic_auth_from_the_environment(
    recorder: tuple[Any, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, url = recorder
    monkeypatch.setenv("LUMEN_PROMETHEUS_BASIC_AUTH", "reader:pa55")
    code, err = _run(capsys, "--pack", str(_pack(tmp_path)), "--prometheus", url)
    assert code == 0, err
    assert server.seen[0]["Authorization"] == "Basic cmVhZGVyOnBhNTU="  # reader:pa55


# urllib3 warns once about the unverified request the test asks for.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_with_ca_bundle_and_verification_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca, cert, key = _certificates(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server, url = _serve(context)
    pack = str(_pack(tmp_path))
    try:
        # Not trusted by the system store: a clear TLS error, exit 1.
        code, err = _run(capsys, "--pack", pack, "--prometheus", url)
        assert code == 1
        assert "TLS" in err or "SSL" in err or "certificate" in err
        code, err = _run(
            capsys, "--pack", pack, "--prometheus", url, "--prometheus-ca-bundle", str(ca)
        )
        assert code == 0, err
        code, err = _run(capsys, "--pack", pack, "--prometheus", url, "--prometheus-insecure")
        assert code == 0, err
    finally:
        server.shutdown()
