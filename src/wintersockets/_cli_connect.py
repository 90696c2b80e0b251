"""``wintersockets connect``: netcat over the Sockets API.

Standard input goes to the socket's ``writable``, the ``readable`` goes to standard output,
both as raw bytes. When standard input ends, the writable is closed, which half-closes the
connection (FIN), and whatever still arrives is printed until the peer closes. Only the
public API is used: everything here can be done by any program.

Over TLS the same holds, except that closing the writable sends nothing (asyncio's TLS
cannot half-close): output is printed until the server closes. With ``starttls`` the
protocol's plain-text exchange runs first (:func:`~wintersockets.starttls_dialogues.negotiate`),
then the relay runs over the socket ``start_tls()`` returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, BinaryIO, TextIO

from wintersockets._cli_echo import EchoServer
from wintersockets.connector.connector import Connector, connect
from wintersockets.errors import SocketError
from wintersockets.starttls_dialogues import negotiate

if TYPE_CHECKING:
    from wintersockets.connector.tls import TLSSettings
    from wintersockets.socket.info import SocketInfo
    from wintersockets.socket.socket import Socket

__all__ = ["StdinReader", "describe_connection", "one_line", "run_connect"]

_CHUNK = 65536
_CLOSE_TIMEOUT = 10.0


class StdinReader:
    """Reads a file descriptor in a daemon thread without blocking the event loop.

    A thread works for every kind of standard input (terminal, pipe, regular file), where
    ``loop.connect_read_pipe`` rejects regular files and leaves the descriptor
    non-blocking for the shell afterwards. The thread reads one chunk ahead only when asked,
    so a slow connection pushes back on the input. It is a daemon: a read that never
    returns (a terminal nobody types into) does not keep the program alive.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._chunks: asyncio.Queue[bytes | OSError] = asyncio.Queue()
        self._wanted = threading.Semaphore(0)
        self._thread: threading.Thread | None = None

    async def read(self) -> bytes:
        """The next chunk of input; ``b""`` at end of input.

        Raises:
            OSError: Reading the descriptor failed.
        """
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="stdin", daemon=True)
            self._thread.start()
        self._wanted.release()
        item = await self._chunks.get()
        if isinstance(item, OSError):
            raise item
        return item

    def _run(self) -> None:
        while True:
            self._wanted.acquire()
            item: bytes | OSError
            try:
                item = os.read(self._fd, _CHUNK)
            except OSError as exc:
                item = exc
            try:
                self._loop.call_soon_threadsafe(self._chunks.put_nowait, item)
            except RuntimeError:  # the loop is closed: nobody wants input any more
                return
            if not isinstance(item, bytes) or not item:
                return


def one_line(exc: BaseException) -> str:
    """An error as one line for the terminal: ``SocketError: ...`` or ``Type: message``."""
    text = str(exc)
    if not text.startswith("SocketError: "):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return " | ".join(part.strip() for part in text.splitlines() if part.strip())


def describe_connection(info: SocketInfo) -> list[str]:
    """What ``connect`` prints about an open connection: where, and for TLS, the
    protocol version, cipher, ALPN protocol and the server's certificate."""
    alpn = f", alpn {info.alpn}" if info.alpn is not None else ""
    lines = [f"connected to {info.remote_address} from {info.local_address}{alpn}"]
    tls = info.tls
    if tls is not None:
        lines.append(
            f"tls: {tls.version}, cipher {tls.cipher}, alpn {info.alpn or 'none'}, "
            f"server name {tls.server_hostname!r}"
        )
        expires = "unknown" if tls.not_after is None else f"{tls.not_after:%Y-%m-%d %H:%M:%S} UTC"
        lines.append(
            f"certificate: subject {tls.subject!r}, issuer {tls.issuer!r}, expires {expires}"
        )
    return lines


async def run_connect(
    address: str | None,
    options: Mapping[str, object],
    *,
    stdin_fd: int,
    stdout: BinaryIO,
    stderr: TextIO,
    tls: TLSSettings | None = None,
    starttls: str | None = None,
) -> int:
    """Connect to ``address`` (or to an embedded echo server) and relay standard I/O.

    Args:
        address: Where to connect, as ``connect()`` takes it; ``None`` starts an echo
            server on a free port of 127.0.0.1 and connects to it.
        options: Keyword options for ``connect()``.
        stdin_fd: The descriptor to send from.
        stdout: Where received bytes go.
        stderr: Where the connection's ``SocketInfo`` and errors go.
        tls: TLS settings for a ``Connector`` (e.g. another CA); ``None``: the defaults.
        starttls: With ``secure_transport="starttls"``, the protocol whose exchange
            precedes ``start_tls()`` (see :data:`~wintersockets.starttls_dialogues.PROTOCOLS`).

    Returns:
        The exit status: 0 when the connection closed cleanly, 1 otherwise.
    """
    async with contextlib.AsyncExitStack() as stack:
        if address is None:
            server = await stack.enter_async_context(EchoServer("127.0.0.1", 0))
            address = server.address
        return await _session(address, options, stdin_fd, stdout, stderr, tls, starttls)
    raise AssertionError("unreachable")  # pragma: no cover - mypy cannot see the return


def _error(stderr: TextIO, exc: BaseException) -> int:
    print(f"wintersockets: {one_line(exc)}", file=stderr, flush=True)
    return 1


async def _session(
    address: str,
    options: Mapping[str, object],
    stdin_fd: int,
    stdout: BinaryIO,
    stderr: TextIO,
    tls: TLSSettings | None,
    starttls: str | None,
) -> int:
    sockets: list[Socket] = []
    try:
        sock = (connect if tls is None else Connector(tls=tls).connect)(address, options)
    except SocketError as exc:
        return _error(stderr, exc)
    sockets.append(sock)
    try:
        if starttls is not None:
            try:
                info = await sock.opened
                print(
                    f"connected to {info.remote_address} from {info.local_address}, "
                    f"plain text until {starttls} agrees to STARTTLS",
                    file=stderr,
                    flush=True,
                )
                sock = await negotiate(sock, starttls)
            except Exception as exc:
                return _error(stderr, exc)
            sockets.append(sock)
        return await _relay(sock, bool(options.get("allow_half_open")), stdin_fd, stdout, stderr)
    finally:
        # Cancelled (Ctrl-C) or failed half-way: do not leave the connection open.
        for each in reversed(sockets):
            if not each.closed.done():
                with contextlib.suppress(Exception, TimeoutError):
                    async with asyncio.timeout(_CLOSE_TIMEOUT):
                        await each.close()


async def _relay(
    sock: Socket, half_open: bool, stdin_fd: int, stdout: BinaryIO, stderr: TextIO
) -> int:
    try:
        info = await sock.opened
    except Exception as exc:
        return _error(stderr, exc)
    for line in describe_connection(info):
        print(line, file=stderr, flush=True)
    upload = asyncio.create_task(_upload(sock, StdinReader(stdin_fd)))
    try:
        await _download(sock, stdout)
        if half_open:
            # The peer is done sending; we may still be: send the rest of our input.
            await upload
        await sock.closed
    except Exception as exc:
        error = await _socket_error(sock, exc)
        print(f"wintersockets: {one_line(error)}", file=stderr, flush=True)
        return 1
    finally:
        upload.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await upload
    return 0


async def _socket_error(sock: Socket, exc: Exception) -> BaseException:
    """The error to report: the socket's own, which says what happened to the connection.

    A failed read says only that the readable errored; ``closed`` carries the
    ``SocketError`` naming the cause (reset by peer, say). Wait for it briefly.
    """
    with contextlib.suppress(Exception, TimeoutError):
        async with asyncio.timeout(1.0):
            await asyncio.shield(sock.closed)
    closed = sock.closed
    if closed.done() and not closed.cancelled() and closed.exception() is not None:
        return closed.exception() or exc
    if not closed.done():
        sock.close(exc)
    return exc


async def _download(sock: Socket, stdout: BinaryIO) -> None:
    reader = sock.readable.get_reader()
    while True:
        result = await reader.read()
        if result.done:
            return
        try:
            stdout.write(result.value)
            stdout.flush()
        except BrokenPipeError:
            # The reader of our output went away (`| head`, say). Point the descriptor at
            # /dev/null so the interpreter's final flush does not fail again, then stop.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stdout.fileno())
            os.close(devnull)
            raise BrokenPipeError("standard output was closed") from None


async def _upload(sock: Socket, stdin: StdinReader) -> None:
    writer = sock.writable.get_writer()
    try:
        while chunk := await stdin.read():
            await writer.write(chunk)
        await writer.close()  # half-close: the peer sees FIN, we keep reading
    except asyncio.CancelledError:
        # Interrupted (Ctrl-C), or the session is over: give up on the input the peer has
        # not taken, so that closing does not wait for a peer that stopped reading.
        writer.abort("the upload was interrupted").add_done_callback(_retrieve)
        raise
    except Exception:
        # The socket closed or failed under us; the download side and `closed` report it.
        return


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
