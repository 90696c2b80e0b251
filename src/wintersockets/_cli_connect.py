"""``wintersockets connect``: netcat over the Sockets API.

Standard input goes to the socket's ``writable``, the ``readable`` goes to standard output,
both as raw bytes. When standard input ends, the writable is closed, which half-closes the
connection (FIN), and whatever still arrives is printed until the peer closes. Only the
public API is used: everything here can be done by any program.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, BinaryIO, TextIO

from wintersockets._cli_echo import EchoServer
from wintersockets.connector.connector import connect
from wintersockets.errors import SocketError

if TYPE_CHECKING:
    from wintersockets.socket.socket import Socket

__all__ = ["StdinReader", "one_line", "run_connect"]

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


async def run_connect(
    address: str | None,
    options: Mapping[str, object],
    *,
    stdin_fd: int,
    stdout: BinaryIO,
    stderr: TextIO,
) -> int:
    """Connect to ``address`` (or to an embedded echo server) and relay standard I/O.

    Args:
        address: Where to connect, as ``connect()`` takes it; ``None`` starts an echo
            server on a free port of 127.0.0.1 and connects to it.
        options: Keyword options for ``connect()``.
        stdin_fd: The descriptor to send from.
        stdout: Where received bytes go.
        stderr: Where the connection's ``SocketInfo`` and errors go.

    Returns:
        The exit status: 0 when the connection closed cleanly, 1 otherwise.
    """
    async with contextlib.AsyncExitStack() as stack:
        if address is None:
            server = await stack.enter_async_context(EchoServer("127.0.0.1", 0))
            address = server.address
        return await _session(address, options, stdin_fd, stdout, stderr)
    raise AssertionError("unreachable")  # pragma: no cover - mypy cannot see the return


async def _session(
    address: str, options: Mapping[str, object], stdin_fd: int, stdout: BinaryIO, stderr: TextIO
) -> int:
    try:
        sock = connect(address, options)
    except SocketError as exc:
        print(f"wintersockets: {one_line(exc)}", file=stderr, flush=True)
        return 1
    try:
        return await _relay(sock, bool(options.get("allow_half_open")), stdin_fd, stdout, stderr)
    finally:
        # Cancelled (Ctrl-C) or failed half-way: do not leave the connection open.
        if not sock.closed.done():
            with contextlib.suppress(Exception, TimeoutError):
                async with asyncio.timeout(_CLOSE_TIMEOUT):
                    await sock.close()


async def _relay(
    sock: Socket, half_open: bool, stdin_fd: int, stdout: BinaryIO, stderr: TextIO
) -> int:
    try:
        info = await sock.opened
    except Exception as exc:
        print(f"wintersockets: {one_line(exc)}", file=stderr, flush=True)
        return 1
    alpn = f", alpn {info.alpn}" if info.alpn is not None else ""
    print(
        f"connected to {info.remote_address} from {info.local_address}{alpn}",
        file=stderr,
        flush=True,
    )
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
    except Exception:
        # The socket closed or failed under us; the download side and `closed` report it.
        return
