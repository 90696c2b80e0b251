"""Real SOCKS5 and HTTP CONNECT proxies on loopback, as session-scoped pytest fixtures.

Use them by importing the fixtures into a test module::

    from tests.peers.proxies import socks5_proxy  # noqa: F401

or by registering this module as a plugin in ``tests/conftest.py``
(``pytest_plugins = ["tests.peers.proxies"]``).

One ``pproxy`` process serves four listeners on free ports of 127.0.0.1: SOCKS5 and HTTP,
each with and without authentication (user ``alice``, password ``s3cret``). The fixtures
wait until every listener accepts connections, and stop the process when the session
ends.

Two quirks of pproxy 2.7, handled here: ``python -m pproxy`` installs uvloop's policy and
then calls ``asyncio.get_event_loop()``, which current uvloop refuses, so the launcher
hides uvloop from it; and pproxy remembers, for 30 days, every client address that once
authenticated, and lets it in without credentials afterwards, which ``--auth -1`` turns off
so that wrong credentials are refused every time. Note also that pproxy's SOCKS5 server
replies "succeeded" before it connects to the destination, and its HTTP server closes the
connection without a status line when the destination cannot be reached.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers.listeners import accepts_connections, closed_port
from tests.peers.processes import stop_process

__all__ = [
    "PROXY_PASSWORD",
    "PROXY_USER",
    "ProxyServer",
    "ProxyServers",
    "http_proxy",
    "http_proxy_with_auth",
    "proxy_servers",
    "socks5_proxy",
    "socks5_proxy_with_auth",
    "start_proxies",
]

PROXY_USER = "alice"
PROXY_PASSWORD = "s3cret"
_STARTUP_TIMEOUT = 15.0

# Runs pproxy's command line with uvloop hidden (see the module docstring).
_LAUNCHER = (
    "import sys, asyncio; sys.modules['uvloop'] = None;"
    " asyncio.set_event_loop(asyncio.new_event_loop());"
    " from pproxy.server import main; main()"
)


@dataclass(frozen=True)
class ProxyServer:
    """One proxy listener: its scheme, where it listens, and its credentials if any."""

    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The URL to configure a client with, credentials included."""
        auth = f"{self.username}:{self.password}@" if self.username else ""
        return f"{self.scheme}://{auth}{self.host}:{self.port}"

    def url_with(self, username: str, password: str) -> str:
        """The URL with other credentials (to test refusal)."""
        return f"{self.scheme}://{username}:{password}@{self.host}:{self.port}"


@dataclass(frozen=True)
class ProxyServers:
    """The four listeners of one pproxy process, and the process."""

    socks5: ProxyServer
    socks5_auth: ProxyServer
    http: ProxyServer
    http_auth: ProxyServer
    process: subprocess.Popen[bytes]
    log: Path


def start_proxies(log_dir: Path, host: str = "127.0.0.1") -> ProxyServers:
    """Start pproxy with four listeners and wait until all of them accept."""
    auth = f"#{PROXY_USER}:{PROXY_PASSWORD}"
    servers = {
        "socks5": ProxyServer("socks5", host, closed_port(host)),
        "socks5_auth": ProxyServer("socks5", host, closed_port(host), PROXY_USER, PROXY_PASSWORD),
        "http": ProxyServer("http", host, closed_port(host)),
        "http_auth": ProxyServer("http", host, closed_port(host), PROXY_USER, PROXY_PASSWORD),
    }
    args = [sys.executable, "-c", _LAUNCHER, "--auth", "-1", "-v"]
    for server in servers.values():
        suffix = auth if server.username else ""
        args += ["-l", f"{server.scheme}://{server.host}:{server.port}{suffix}"]
    log = log_dir / "pproxy.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    try:
        for server in servers.values():
            while not accepts_connections(server.host, server.port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"pproxy did not start listening on {server.port}:"
                        f" {log.read_text(errors='replace')[-2000:]}"
                    )
                time.sleep(0.05)
    except BaseException:
        stop_process(process)
        raise
    return ProxyServers(process=process, log=log, **servers)


@pytest.fixture(scope="session")
def proxy_servers() -> Iterator[ProxyServers]:
    """One pproxy process serving SOCKS5 and HTTP, with and without authentication."""
    with tempfile.TemporaryDirectory(prefix="wintersockets-pproxy-") as tmp:
        servers = start_proxies(Path(tmp))
        try:
            yield servers
        finally:
            stop_process(servers.process)


@pytest.fixture(scope="session")
def socks5_proxy(proxy_servers: ProxyServers) -> ProxyServer:
    """A SOCKS5 proxy without authentication."""
    return proxy_servers.socks5


@pytest.fixture(scope="session")
def socks5_proxy_with_auth(proxy_servers: ProxyServers) -> ProxyServer:
    """A SOCKS5 proxy that requires user ``alice`` with password ``s3cret``."""
    return proxy_servers.socks5_auth


@pytest.fixture(scope="session")
def http_proxy(proxy_servers: ProxyServers) -> ProxyServer:
    """An HTTP CONNECT proxy without authentication."""
    return proxy_servers.http


@pytest.fixture(scope="session")
def http_proxy_with_auth(proxy_servers: ProxyServers) -> ProxyServer:
    """An HTTP CONNECT proxy that requires user ``alice`` with password ``s3cret``."""
    return proxy_servers.http_auth
