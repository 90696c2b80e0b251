"""A real nginx serving HTTPS on loopback, as a session-scoped pytest fixture.

``nginx_server`` yields an :class:`NginxServer`: one nginx process (Debian's package, run as
root in the foreground with ``master_process off``, everything in a temporary directory)
with two HTTPS servers on free ports of 127.0.0.1, both presenting the test certificate for
``localhost``/127.0.0.1/::1 (:mod:`tests.peers.tls_certs`) and negotiating ALPN
``h2``/``http/1.1``:

- ``port``: plain HTTPS;
- ``mtls_port``: ``ssl_verify_client on``: a request without a client certificate signed
  by the test CA gets ``400`` (nginx completes the handshake, then refuses the request).

Both serve ``/big.bin`` (1 MiB of random bytes, also in :attr:`NginxServer.big`) and
``/hello.txt`` (``b"hello from nginx\\n"``). The process is stopped when the session ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.listeners import accepts_connections
from tests.peers.processes import stop_process
from tests.peers.tls_certs import TLSCerts

__all__ = ["HELLO", "NginxServer", "nginx_server", "start_nginx"]

_STARTUP_TIMEOUT = 10.0
HELLO = b"hello from nginx\n"

_CONFIG = """\
daemon off;
master_process off;
worker_processes 1;
user root;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    types {{ application/octet-stream bin; text/plain txt; }}
    default_type application/octet-stream;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    server {{
        listen 127.0.0.1:{port} ssl http2;
        server_name localhost;
        root {dir}/www;
    }}
    server {{
        listen 127.0.0.1:{mtls_port} ssl http2;
        server_name localhost;
        ssl_verify_client on;
        ssl_client_certificate {ca};
        root {dir}/www;
    }}
}}
"""


@dataclass(frozen=True)
class NginxServer:
    """A running nginx: its two HTTPS ports, the 1 MiB file it serves, its directory."""

    host: str
    port: int
    mtls_port: int
    big: bytes
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        """``"host:port"`` of the plain HTTPS server, to pass to ``connect()``."""
        return f"{self.host}:{self.port}"

    @property
    def mtls_address(self) -> str:
        """``"host:port"`` of the server that requires a client certificate."""
        return f"{self.host}:{self.mtls_port}"


def _free_ports(host: str, count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind((host, 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start_nginx(certs: TLSCerts, directory: Path, host: str = "127.0.0.1") -> NginxServer:
    """Write a config into ``directory`` and start nginx; wait until both ports accept.

    Raises:
        RuntimeError: nginx is not installed, or did not come up (its error log attached).
    """
    binary = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if binary is None:
        raise RuntimeError("nginx is missing: run scripts/install (apt-get install nginx)")
    (directory / "www").mkdir(exist_ok=True)
    (directory / "tmp").mkdir(exist_ok=True)
    big = os.urandom(1 << 20)
    (directory / "www" / "big.bin").write_bytes(big)
    (directory / "www" / "hello.txt").write_bytes(HELLO)
    error_log = directory / "error.log"
    for _attempt in range(3):  # another process may grab a free port first
        port, mtls_port = _free_ports(host, 2)
        config = directory / "nginx.conf"
        config.write_text(
            _CONFIG.format(
                dir=directory, cert=certs.server.cert, key=certs.server.key, ca=certs.ca,
                port=port, mtls_port=mtls_port,
            )
        )  # fmt: skip
        process = subprocess.Popen(
            [binary, "-p", str(directory), "-c", str(config), "-e", str(error_log)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if accepts_connections(host, port) and accepts_connections(host, mtls_port):
                return NginxServer(host, port, mtls_port, big, directory, process)
            time.sleep(0.02)
        stop_process(process)
    log = error_log.read_text() if error_log.exists() else ""
    raise RuntimeError(f"nginx did not start; its error log says: {log!r}")


@pytest.fixture(scope="session")
def nginx_server(
    tls_certs: TLSCerts, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NginxServer]:
    """nginx with HTTPS (and an mTLS server) on loopback; see :class:`NginxServer`."""
    server = start_nginx(tls_certs, tmp_path_factory.mktemp("nginx"))
    try:
        yield server
    finally:
        stop_process(server.process)
