"""Loopback listeners for connection-establishment tests, a stand-in resolver, a leak check.

- :func:`listener` opens a listening socket on a free port and can tell afterwards
  whether any connection reached it (a policy test asserts that none did).
- :func:`loopback_pair` listens on 127.0.0.1 and ::1 on one port, so that every spelling
  of either loopback address (``"127.1"``, ``"[::ffff:127.0.0.1]"``, ``"0.0.0.0"``,
  ``"[::]"``, which Linux connects to this host) reaches one of the two.
- :func:`same_port_listeners` listens on several loopback addresses on one port (a name
  that resolves to several of them has one port).
- :func:`single_stack_listener` listens on one loopback address with nothing on the same
  port of the other: a dual-stack host of which only one family answers.
- :func:`black_hole` opens a listener whose accept queue is full, so that the kernel
  drops the next SYN and a connection attempt to it hangs, as one to an unreachable host
  does. (With ``listen(0)`` Linux queues one connection; a filler connection takes that
  place, and SYNs that arrive while the queue is full are dropped.)
  :func:`full_accept_queue` does the same to a listener made with ``backlog=0``.
- :func:`loopback_name` is a name, not ``localhost``, that resolves to loopback.
- :func:`closed_port` is a port on which nothing listens (connections are refused); the
  peer servers start on one.
- :func:`accepts_connections` tells whether a connection to a port succeeds (a peer
  server has started).
- :func:`no_socket_leak` fails if the block leaves a socket file descriptor open.
- :func:`stand_in_resolver` makes the running loop's ``getaddrinfo`` answer chosen names
  with chosen addresses, as a DNS server would. This machine's only loopback names
  resolve to 127.0.0.1 alone, so a dual-stack name (Happy Eyeballs) or a name whose
  answer changes between lookups (DNS rebinding) must be served this way. Only the loop's
  lookup is replaced, nothing of wintersockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import select
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = [
    "Listener",
    "LoopbackPair",
    "StandInResolver",
    "accepts_connections",
    "black_hole",
    "closed_port",
    "full_accept_queue",
    "listener",
    "loopback_name",
    "loopback_pair",
    "no_socket_leak",
    "open_socket_fds",
    "same_port_listeners",
    "single_stack_listener",
    "stand_in_resolver",
]

_OTHER_LOOPBACK = {"127.0.0.1": "::1", "::1": "127.0.0.1"}
_ATTEMPTS = 50


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


def _bind(host: str, backlog: int, port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.bind((host, port))
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


@dataclass
class LoopbackPair:
    """Listeners on 127.0.0.1 and ::1 that share one port."""

    v4: Listener
    v6: Listener

    @property
    def port(self) -> int:
        return self.v4.port

    def has_pending_connection(self) -> bool:
        """Whether a connection reached either listener."""
        return self.v4.has_pending_connection() or self.v6.has_pending_connection()

    def accept_all(self) -> int:
        """Accept and close every waiting connection; return how many there were."""
        count = 0
        for peer in (self.v4, self.v6):
            while peer.has_pending_connection():
                peer.accept().close()
                count += 1
        return count


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def same_port_listeners(*hosts: str, backlog: int = 16) -> Iterator[list[Listener]]:
    """Listeners on each of ``hosts`` (loopback addresses) that share one free port."""
    for _ in range(_ATTEMPTS):
        with contextlib.ExitStack() as stack:
            first = stack.enter_context(_bind(hosts[0], backlog))
            port = first.getsockname()[1]
            socks = [first]
            try:
                for host in hosts[1:]:
                    socks.append(stack.enter_context(_bind(host, backlog, port)))
            except OSError:  # that port is taken on another host: try another
                continue
            yield [Listener.of(sock) for sock in socks]
            return
    raise RuntimeError(f"found no port free on all of {hosts}")


@contextlib.contextmanager
def loopback_pair(backlog: int = 16) -> Iterator[LoopbackPair]:
    """Listeners on 127.0.0.1 and ::1 on the same free port; closed on exit."""
    with same_port_listeners("127.0.0.1", "::1", backlog=backlog) as (v4, v6):
        yield LoopbackPair(v4, v6)


@contextlib.contextmanager
def single_stack_listener(host: str) -> Iterator[Listener]:
    """A listener on ``host`` (a loopback address) whose port is free on the other one.

    Connections to the other loopback address on that port are refused: a dual-stack
    name for both addresses has exactly one family that answers.
    """
    other = _OTHER_LOOPBACK[host]
    for _ in range(_ATTEMPTS):
        with _bind(host, 16) as sock:
            if not _port_is_free(other, sock.getsockname()[1]):
                continue
            yield Listener.of(sock)
            return
    raise RuntimeError(f"found no port on {host} that is free on {other}")


@contextlib.contextmanager
def black_hole(host: str = "127.0.0.1") -> Iterator[Listener]:
    """A listener whose full accept queue makes new connection attempts hang."""
    with _bind(host, 0) as sock:
        peer = Listener.of(sock)
        with full_accept_queue(peer):
            yield peer


@contextlib.contextmanager
def full_accept_queue(peer: Listener) -> Iterator[None]:
    """Fill the accept queue of ``peer`` (listening with backlog 0): new SYNs are dropped."""
    # Blocking connect: returns once the filler sits in the accept queue.
    with socket.create_connection((peer.host, peer.port), timeout=5):
        yield


def closed_port(host: str = "127.0.0.1") -> int:
    """A port of ``host`` with no listener (bound then released, so connections are refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def accepts_connections(host: str, port: int) -> bool:
    """Whether a connection to ``host``:``port`` succeeds within a second."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def loopback_name() -> str:
    """A name other than localhost that resolves to loopback only (the host's own name).

    Skips the test when there is none: the test needs a name that only a lookup reveals
    as loopback.
    """
    for name in (socket.gethostname(), "localhost.localdomain", "ip6-localhost"):
        try:
            infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except OSError:
            continue
        if "localhost" not in name.lower() and all(
            ipaddress.ip_address(entry[4][0]).is_loopback for entry in infos
        ):
            return name
    pytest.skip("no name other than localhost resolves to loopback on this machine")


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


@dataclass
class StandInResolver:
    """The answers a :func:`stand_in_resolver` gives, and the lookups it was asked."""

    answers: Mapping[str, Sequence[str] | Sequence[Sequence[str]]]
    lookups: list[str] = field(default_factory=list)

    def addrinfos(self, host: str, port: int) -> list[tuple[Any, ...]]:
        """The ``getaddrinfo`` entries for the next lookup of ``host``."""
        answer = self.answers[host]
        if answer and not isinstance(answer[0], str):  # one answer per lookup, in turn
            rounds: Sequence[Sequence[str]] = answer
            asked = self.lookups.count(host)
            addresses: Sequence[str] = rounds[min(asked, len(rounds) - 1)]
        else:
            addresses = answer  # type: ignore[assignment]
        self.lookups.append(host)
        infos: list[tuple[Any, ...]] = []
        for address in addresses:
            if ":" in address:
                entry: tuple[Any, ...] = (
                    socket.AF_INET6,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0),
                )
            else:
                entry = (
                    socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port),
                )
            infos.append(entry)
        return infos


@contextlib.contextmanager
def stand_in_resolver(
    answers: Mapping[str, Sequence[str] | Sequence[Sequence[str]]],
) -> Iterator[StandInResolver]:
    """Make the running loop's ``getaddrinfo`` answer the names in ``answers``.

    ``answers`` maps a name to its addresses in the order a resolver would give them,
    or to a list of such lists, one per lookup (the last one repeats), to play a DNS
    rebinding server. Other names go to the real resolver. Restored on exit.
    """
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    resolver = StandInResolver(answers)

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode("ascii")
        if host in answers:
            await asyncio.sleep(0)  # a lookup takes at least one turn of the loop
            return resolver.addrinfos(host, int(port))
        return await real(host, port, *args, **kwargs)

    loop.getaddrinfo = getaddrinfo  # type: ignore[method-assign]
    try:
        yield resolver
    finally:
        del loop.getaddrinfo
