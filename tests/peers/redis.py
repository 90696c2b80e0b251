"""A real ``redis-server`` on loopback, as a session-scoped pytest fixture.

Use it by importing the fixture into a test module::

    from tests.peers.redis import redis_server  # noqa: F401

or by registering this module as a plugin in ``tests/conftest.py``
(``pytest_plugins = ["tests.peers.redis"]``); either works.

The server listens on a free port of 127.0.0.1 with persistence off, works in a temporary
directory, and is killed when the session ends. It comes from the Debian package
``redis-server`` (``scripts/install`` installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.peers.listeners import closed_port

__all__ = ["RedisServer", "redis_server", "start_redis", "stop_redis"]

_STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RedisServer:
    """A running ``redis-server``: where it listens and its process."""

    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        """``"host:port"`` to pass to ``connect()``."""
        return f"{self.host}:{self.port}"


def _answers_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def start_redis(workdir: str, host: str = "127.0.0.1") -> RedisServer:
    """Start ``redis-server`` on a free port of ``host`` and wait until it answers PING.

    Raises:
        RuntimeError: ``redis-server`` is not installed, or did not come up (its output
            is in the message).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: run scripts/install (apt-get install redis-server)"
        )
    last_output = b""
    for _attempt in range(3):  # another process may grab the free port first
        port = closed_port(host)
        config = {
            "bind": host,
            "port": str(port),
            "save": "",
            "appendonly": "no",
            "dir": workdir,
            "daemonize": "no",
            "protected-mode": "no",
            "loglevel": "warning",
        }
        args = [binary]
        for name, value in config.items():
            args += [f"--{name}", value]
        process = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            if _answers_ping(host, port):
                return RedisServer(host, port, process)
            time.sleep(0.02)
        last_output = _stop(process)
    raise RuntimeError(f"redis-server did not start; its output: {last_output!r}")


def _stop(process: subprocess.Popen[bytes]) -> bytes:
    if process.poll() is None:
        process.kill()
    output, _ = process.communicate(timeout=_STARTUP_TIMEOUT)
    return output


def stop_redis(server: RedisServer) -> None:
    """Kill the server and reap it."""
    _stop(server.process)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A ``redis-server`` on 127.0.0.1 for the whole session (persistence off)."""
    with tempfile.TemporaryDirectory(prefix="wintersockets-redis-") as workdir:
        server = start_redis(workdir)
        try:
            yield server
        finally:
            stop_redis(server)
