"""An SMTP server that requires STARTTLS, on loopback, as a session-scoped pytest fixture.

``smtp_server`` yields an :class:`SMTPServer`: an aiosmtpd ``Controller`` (its own event
loop, in a thread) on a free port of 127.0.0.1 with ``require_starttls=True`` and the test
certificate for ``localhost``/127.0.0.1/::1 (:mod:`tests.peers.tls_certs`). It offers
``STARTTLS`` in its EHLO reply, refuses mail before the upgrade (``530``), and appends every
message it accepts to :attr:`SMTPServer.messages`. Tests share it: look for your own
message (e.g. by a unique subject) rather than counting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.peers.listeners import closed_port
from tests.peers.tls_certs import TLSCerts

__all__ = ["ReceivedMessage", "SMTPServer", "smtp_server", "start_smtp", "stop_smtp"]


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool


@dataclass
class SMTPServer:
    """A running SMTP server: where it listens and what it received."""

    host: str
    port: int
    controller: Any
    messages: list[ReceivedMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def address(self) -> str:
        """``"host:port"`` to pass to ``connect()``."""
        return f"{self.host}:{self.port}"

    def received(self, needle: bytes) -> list[ReceivedMessage]:
        """The messages whose content contains ``needle``."""
        with self.lock:
            return [m for m in self.messages if needle in m.content]


class _Collector:
    def __init__(self, server: SMTPServer) -> None:
        self._server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode()
        message = ReceivedMessage(
            str(envelope.mail_from),
            tuple(str(r) for r in envelope.rcpt_tos),
            bytes(content),
            session.ssl is not None,
        )
        with self._server.lock:
            self._server.messages.append(message)
        return "250 Message accepted for delivery"


def start_smtp(certs: TLSCerts, host: str = "127.0.0.1") -> SMTPServer:
    """Start the STARTTLS-requiring SMTP server on a free port of ``host``."""
    last_error: OSError | None = None
    for _attempt in range(3):  # another process may grab the free port first
        port = closed_port(host)
        server = SMTPServer(host, port, None)
        controller = Controller(
            _Collector(server),
            hostname=host,
            port=port,
            server_hostname="localhost",
            require_starttls=True,
            tls_context=certs.server_context(),
            ready_timeout=10.0,
        )
        try:
            controller.start()
        except OSError as exc:
            last_error = exc
            continue
        server.controller = controller
        return server
    raise RuntimeError(f"the SMTP server did not start: {last_error!r}")


def stop_smtp(server: SMTPServer) -> None:
    """Stop the server's loop and thread."""
    server.controller.stop()


@pytest.fixture(scope="session")
def smtp_server(tls_certs: TLSCerts) -> Iterator[SMTPServer]:
    """aiosmtpd with ``require_starttls=True`` on loopback; see :class:`SMTPServer`."""
    server = start_smtp(tls_certs)
    try:
        yield server
    finally:
        stop_smtp(server)
