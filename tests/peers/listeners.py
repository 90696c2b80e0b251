"""Loopback listeners for connection-establishment tests, and a socket-leak check.

- :func:`listener` opens a listening socket on a free port and can tell afterwards
  whether any connection reached it (a policy test asserts that none did).
- :func:`black_hole` opens a listener whose accept queue is full, so that the kernel
  drops the next SYN and a connection attempt to it hangs, as one to an unreachable host
  does. (With ``listen(0)`` Linux queues one connection; a filler connection takes that
  place, and SYNs that arrive while the queue is full are dropped.)
- :func:`closed_port` is a port on which nothing listens (connections are refused).
- :func:`no_socket_leak` fails if the block leaves a socket file descriptor open.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "Listener",
    "black_hole",
    "closed_port",
    "listener",
    "no_socket_leak",
    "open_socket_fds",
]


@dataclass
class Listener:
    """A listening socket on loopback, and where it listens."""

    sock: socket.socket
    host: str
    port: int

    @classmethod
    def of(cls, sock: socket.socket) -> Listener:
        host, port = sock.getsockname()[:2]
        return cls(sock, str(host), int(port))

    def has_pending_connection(self) -> bool:
        """Whether a connection is waiting in the accept queue (none was accepted)."""
        readable, _, _ = select.select([self.sock], [], [], 0)
        return bool(readable)

    def accept(self) -> socket.socket:
        """Accept one waiting connection (it must be there)."""
        conn, _ = self.sock.accept()
        return conn


def _bind(host: str, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def listener(host: str = "127.0.0.1", backlog: int = 16) -> Iterator[Listener]:
    """A listener on a free port of ``host``; closed on exit."""
    with _bind(host, backlog) as sock:
        yield Listener.of(sock)


@contextlib.contextmanager
def black_hole(host: str = "127.0.0.1") -> Iterator[Listener]:
    """A listener whose full accept queue makes new connection attempts hang."""
    with _bind(host, 0) as sock:
        address = sock.getsockname()
        # Blocking connect: returns once the filler sits in the accept queue.
        with socket.create_connection(address[:2], timeout=5):
            yield Listener.of(sock)


def closed_port(host: str = "127.0.0.1") -> int:
    """A port of ``host`` with no listener (bound then released, so connections are refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def open_socket_fds() -> set[int]:
    """The file descriptors of this process that are sockets."""
    fds: set[int] = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                fds.add(int(name))
        except OSError:  # closed between listdir and readlink
            continue
    return fds


@contextlib.contextmanager
def no_socket_leak() -> Iterator[None]:
    """Fail if a socket opened inside the block is still open when it ends."""
    before = open_socket_fds()
    yield
    leaked = open_socket_fds() - before
    assert not leaked, f"socket file descriptors left open: {sorted(leaked)}"
