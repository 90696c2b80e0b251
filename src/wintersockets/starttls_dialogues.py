"""The plain-text exchanges that precede STARTTLS in SMTP, IMAP, POP3 and PostgreSQL.

Like ``openssl s_client -starttls PROTOCOL``: speak just enough of the protocol for the
server to agree to TLS, then upgrade with ``Socket.start_tls()``. The exchange itself is a
sans-I/O machine, :class:`StartTLSDialogue` (bytes in, bytes out, no event loop), and
:func:`negotiate` drives it over a socket opened with ``secure_transport="starttls"``:

    sock = connect("mail.example.com:587", secure_transport="starttls")
    tls_sock = await negotiate(sock, "smtp")

Exchanges (RFC 3207, RFC 3501 §6.2.1, RFC 2595 §4, PostgreSQL protocol §55.2.10):

- ``smtp``: ``220`` greeting (may be multi-line), ``EHLO``, the ``250`` reply must list
  ``STARTTLS``, then ``STARTTLS`` → ``220``;
- ``imap``: ``* OK`` greeting, ``a001 STARTTLS`` → ``a001 OK``;
- ``pop3``: ``+OK`` greeting, ``STLS`` → ``+OK``;
- ``postgres``: an SSLRequest (length 8, code 80877103) → the single byte ``S``.

A server that sends anything after agreeing to TLS is refused: those bytes would arrive
before the handshake, unprotected, and a client that kept them would treat injected
plain text as if it came over TLS (the STARTTLS command-injection flaw, CVE-2011-0411).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, Self, TypeAlias, TypeVar

from wintersockets.errors import SocketError

__all__ = [
    "MAX_REPLY_SIZE",
    "PROTOCOLS",
    "SSL_REQUEST",
    "SMTPReply",
    "StartTLSDialogue",
    "StartTLSSocket",
    "negotiate",
    "parse_line",
    "parse_smtp_reply",
]

#: The protocols :class:`StartTLSDialogue` speaks.
PROTOCOLS = ("smtp", "imap", "pop3", "postgres")

#: PostgreSQL's SSLRequest: Int32 length 8, then Int32 code 80877103 (1234 << 16 | 5679).
SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")

#: The most bytes a server may send before completing the reply being read.
MAX_REPLY_SIZE = 65536

_NAMES = {"smtp": "SMTP", "imap": "IMAP", "pop3": "POP3", "postgres": "PostgreSQL"}


def _text(raw: bytes | bytearray) -> str:
    return bytes(raw).decode("utf-8", "replace")


def parse_line(buffer: bytearray) -> str | None:
    """Take one line (ending in LF or CRLF) off the front of ``buffer``.

    Returns:
        The line without its ending, or ``None`` if ``buffer`` holds no complete line
        yet (then ``buffer`` is left as it was).
    """
    end = buffer.find(b"\n")
    if end < 0:
        return None
    line = _text(buffer[:end]).removesuffix("\r")
    del buffer[: end + 1]
    return line


@dataclass(frozen=True)
class SMTPReply:
    """A complete SMTP reply: its code and the text of each line (RFC 5321 §4.2)."""

    code: int
    lines: tuple[str, ...]

    def __str__(self) -> str:
        return " / ".join(f"{self.code} {line}".rstrip() for line in self.lines)


def parse_smtp_reply(buffer: bytearray) -> SMTPReply | None:
    """Take one complete, possibly multi-line SMTP reply off the front of ``buffer``.

    Lines are ``CODE-text`` until the last, ``CODE text`` (or just ``CODE``).

    Returns:
        The reply, or ``None`` if ``buffer`` does not hold all of it yet (then ``buffer``
        is left as it was).

    Raises:
        SocketError: a line is not an SMTP reply line, or the codes of its lines differ.
    """
    lines: list[str] = []
    code: int | None = None
    position = 0
    while True:
        end = buffer.find(b"\n", position)
        if end < 0:
            return None
        line = _text(buffer[position:end]).removesuffix("\r")
        position = end + 1
        head, separator = line[:3], line[3:4]
        if not (head.isdigit() and head.isascii() and separator in ("", " ", "-")):
            raise SocketError(f"the server did not answer like an SMTP server: {line!r}")
        if code is not None and int(head) != code:
            raise SocketError(f"the SMTP server mixed reply codes in one reply: {line!r}")
        code = int(head)
        lines.append(line[4:])
        if separator != "-":
            del buffer[:position]
            return SMTPReply(code, tuple(lines))


def _one_byte(buffer: bytearray) -> int | None:
    if not buffer:
        return None
    value = buffer[0]
    del buffer[:1]
    return value


# What a dialogue yields: bytes to send, or a parser for the reply it waits for (the
# value the parser returns is sent back into the generator).
_Parser: TypeAlias = Callable[[bytearray], Any]
_Steps: TypeAlias = Generator["bytes | _Parser", Any, None]


def _smtp(ehlo_name: str) -> _Steps:
    greeting: SMTPReply = yield parse_smtp_reply
    if greeting.code != 220:
        raise SocketError(f"the SMTP server did not greet with 220: {greeting}")
    yield f"EHLO {ehlo_name}\r\n".encode()
    ehlo: SMTPReply = yield parse_smtp_reply
    if ehlo.code != 250:
        raise SocketError(f"the SMTP server refused EHLO {ehlo_name!r}: {ehlo}")
    # The first line is the server's name; each further one names an extension.
    extensions = [line.split(" ", 1)[0].upper() for line in ehlo.lines[1:]]
    if "STARTTLS" not in extensions:
        raise SocketError(
            f"the SMTP server does not offer STARTTLS (its EHLO reply lists "
            f"{', '.join(extensions) or 'no extensions'})"
        )
    yield b"STARTTLS\r\n"
    reply: SMTPReply = yield parse_smtp_reply
    if reply.code != 220:
        raise SocketError(f"the SMTP server refused STARTTLS: {reply}")


def _imap(_ehlo_name: str) -> _Steps:
    greeting: str = yield parse_line
    status = greeting.split(" ", 2)[1].upper() if greeting.startswith("* ") else ""
    if status == "PREAUTH":
        # RFC 3501 §6.2.1: STARTTLS is valid only before authentication.
        raise SocketError(
            f"the IMAP server pre-authenticated, so STARTTLS is not allowed: {greeting!r}"
        )
    if status != "OK":
        raise SocketError(f"the IMAP server did not greet with '* OK': {greeting!r}")
    yield b"a001 STARTTLS\r\n"
    while True:
        line: str = yield parse_line
        if not line.startswith("* "):  # untagged data (e.g. CAPABILITY) may come first
            break
    words = line.split(" ", 2)
    if words[0] != "a001":
        raise SocketError(f"the IMAP server answered a command it was not sent: {line!r}")
    if len(words) < 2 or words[1].upper() != "OK":
        raise SocketError(f"the IMAP server refused STARTTLS: {line!r}")


def _pop3(_ehlo_name: str) -> _Steps:
    greeting: str = yield parse_line
    if not greeting.startswith("+OK"):
        raise SocketError(f"the POP3 server did not greet with '+OK': {greeting!r}")
    yield b"STLS\r\n"
    reply: str = yield parse_line
    if not reply.startswith("+OK"):
        raise SocketError(f"the POP3 server refused STLS: {reply!r}")


def _postgres(_ehlo_name: str) -> _Steps:
    yield SSL_REQUEST
    answer: int = yield _one_byte
    if answer == ord("S"):
        return
    if answer == ord("N"):
        raise SocketError(
            "the PostgreSQL server refused TLS (it answered 'N' to SSLRequest): "
            "turn ssl on in the server, or connect without TLS"
        )
    if answer == ord("E"):
        raise SocketError(
            "the PostgreSQL server answered SSLRequest with an error: it may predate TLS "
            "support, connect without TLS"
        )
    raise SocketError(
        f"the server did not answer like a PostgreSQL server: SSLRequest got {bytes([answer])!r}"
    )


_DIALOGUES: dict[str, Callable[[str], _Steps]] = {
    "smtp": _smtp,
    "imap": _imap,
    "pop3": _pop3,
    "postgres": _postgres,
}


class StartTLSDialogue:
    """The exchange before STARTTLS, with no I/O: feed it bytes, send what it produces.

    Loop: send :meth:`data_to_send`; unless :attr:`done`, read from the server and pass
    the bytes to :meth:`receive_data` (or call :meth:`receive_eof` at end of stream).
    When :attr:`done` is true the server has agreed: start TLS at once, before reading
    anything else.

    Args:
        protocol: one of :data:`PROTOCOLS`.
        ehlo_name: the client's name in SMTP's ``EHLO`` (a domain or address literal).

    Raises:
        SocketError: ``protocol`` is unknown; from the other methods, when the server
            refuses, answers in a way the protocol does not allow, closes the connection,
            or sends anything after agreeing to TLS.
    """

    def __init__(self, protocol: str, *, ehlo_name: str = "localhost") -> None:
        if protocol not in _DIALOGUES:
            raise SocketError(
                f"starttls protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}"
            )
        if not ehlo_name or any(c.isspace() for c in ehlo_name) or not ehlo_name.isprintable():
            raise SocketError(f"ehlo_name must be a domain or address literal, got {ehlo_name!r}")
        self.protocol = protocol
        self._name = _NAMES[protocol]
        self._steps = _DIALOGUES[protocol](ehlo_name)
        self._incoming = bytearray()
        self._outgoing = bytearray()
        self._waiting: _Parser | None = None
        self._done = False
        self._failure: SocketError | None = None
        self._advance(None)

    @property
    def done(self) -> bool:
        """Whether the server has agreed to TLS: call ``start_tls()`` now."""
        return self._done

    def data_to_send(self) -> bytes:
        """The bytes to send to the server now (empty if none); each is returned once."""
        data = bytes(self._outgoing)
        self._outgoing.clear()
        return data

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Take bytes from the server; afterwards check :meth:`data_to_send` and :attr:`done`.

        Raises:
            SocketError: the server refused or broke the protocol, its reply grew past
                :data:`MAX_REPLY_SIZE`, or it sent bytes after agreeing to TLS.
        """
        self._raise_if_failed()
        self._incoming += data
        if self._done:
            self._fail(self._leftover_error())
        assert self._waiting is not None
        try:
            result = self._waiting(self._incoming)
        except SocketError as exc:
            self._fail(exc)
        if result is None:
            if len(self._incoming) > MAX_REPLY_SIZE:
                self._fail(
                    SocketError(
                        f"the {self._name} server sent more than {MAX_REPLY_SIZE} bytes "
                        "without completing a reply"
                    )
                )
            return
        self._waiting = None
        self._advance(result)

    def receive_eof(self) -> None:
        """The server closed its side.

        Raises:
            SocketError: always, unless the dialogue is done (then it is harmless here:
                the TLS handshake will report the closed connection).
        """
        self._raise_if_failed()
        if not self._done:
            self._fail(
                SocketError(
                    f"the {self._name} server closed the connection before agreeing to TLS"
                )
            )

    def _advance(self, value: object) -> None:
        try:
            while True:
                try:
                    step = self._steps.send(value)
                except StopIteration:
                    self._done = True
                    if self._incoming:
                        raise self._leftover_error() from None
                    return
                if isinstance(step, bytes):
                    self._outgoing += step
                    value = None
                    continue
                value = step(self._incoming)
                if value is None:
                    self._waiting = step
                    return
        except SocketError as exc:
            self._fail(exc)

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise SocketError(
                f"the {self._name} STARTTLS exchange already failed: {self._failure.message}"
            ) from self._failure

    def _fail(self, error: SocketError) -> NoReturn:
        """Remember the failure (every later call raises too) and raise it."""
        self._failure = error
        self._done = False
        self._outgoing.clear()
        raise error

    def _leftover_error(self) -> SocketError:
        return SocketError(
            f"the {self._name} server sent {len(self._incoming)} unexpected bytes after "
            "agreeing to TLS; refusing to upgrade, since they could be injected plain text"
        )


# negotiate() needs only the public Socket API; these protocols say which part.


class _ReadResult(Protocol):
    @property
    def value(self) -> Any: ...
    @property
    def done(self) -> bool: ...


class _Reader(Protocol):
    def read(self) -> Awaitable[_ReadResult]: ...
    def release_lock(self) -> None: ...


class _Writer(Protocol):
    def write(self, chunk: bytes) -> Awaitable[None]: ...
    def release_lock(self) -> None: ...


class _Readable(Protocol):
    def get_reader(self) -> _Reader: ...


class _Writable(Protocol):
    def get_writer(self) -> _Writer: ...


class StartTLSSocket(Protocol):
    """What :func:`negotiate` uses of a ``Socket``: its streams and ``start_tls()``."""

    @property
    def readable(self) -> _Readable: ...
    @property
    def writable(self) -> _Writable: ...
    def start_tls(self, *, expected_server_hostname: str | None = None) -> Self: ...


_S = TypeVar("_S", bound=StartTLSSocket)


async def negotiate(
    sock: _S,
    protocol: str,
    *,
    ehlo_name: str = "localhost",
    expected_server_hostname: str | None = None,
) -> _S:
    """Run ``protocol``'s STARTTLS exchange on ``sock``, then upgrade it to TLS.

    ``sock`` must come from ``connect(..., secure_transport="starttls")`` and be unused:
    this locks its streams for the exchange and releases them before ``start_tls()``.

    Args:
        sock: the plain-text socket.
        protocol: one of :data:`PROTOCOLS`.
        ehlo_name: the client's name in SMTP's ``EHLO``.
        expected_server_hostname: the name the certificate must match, if not the
            hostname connected to (passed to ``start_tls()``).

    Returns:
        The new TLS socket from ``sock.start_tls()``; await its ``opened`` for the
        handshake's outcome.

    Raises:
        SocketError: as :class:`StartTLSDialogue` does; ``sock`` is left to the caller to
            close.
    """
    dialogue = StartTLSDialogue(protocol, ehlo_name=ehlo_name)
    reader = sock.readable.get_reader()
    writer = sock.writable.get_writer()
    try:
        while True:
            outgoing = dialogue.data_to_send()
            if outgoing:
                await writer.write(outgoing)
            if dialogue.done:
                break
            result = await reader.read()
            if result.done:
                dialogue.receive_eof()
            else:
                dialogue.receive_data(result.value)
    finally:
        reader.release_lock()
        writer.release_lock()
    return sock.start_tls(expected_server_hostname=expected_server_hostname)
