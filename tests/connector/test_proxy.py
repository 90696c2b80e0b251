"""Proxies: URL parsing, and handshakes against real pproxy servers and scripted peers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from tests.peers.listeners import Listener, closed_port, listener, no_socket_leak
from wintersockets.connector.dial import dial
from wintersockets.connector.proxy import ProxySettings, parse_proxy_url
from wintersockets.errors import SocketError

if TYPE_CHECKING:
    from tests.peers.proxies import ProxyServer

# The proxy fixtures (a plugin module, so that pytest rewrites its asserts).

LIMIT = 10.0

# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:3128", ProxySettings("http", "127.0.0.1", 3128)),
        ("socks5://proxy.example:1080", ProxySettings("socks5", "proxy.example", 1080)),
        ("SOCKS5://Proxy.Example:1080/", ProxySettings("socks5", "proxy.example", 1080)),
        ("socks5://[::1]:1080", ProxySettings("socks5", "::1", 1080)),
        (
            "http://alice:s3cret@127.0.0.1:3128",
            ProxySettings("http", "127.0.0.1", 3128, "alice", "s3cret"),
        ),
        (
            "socks5://al%40ice:p%3Ass%2Fw%23rd@h:1",
            ProxySettings("socks5", "h", 1, "al@ice", "p:ss/w#rd"),
        ),
    ],
)
def test_proxy_urls_parse(url: str, expected: ProxySettings) -> None:
    assert parse_proxy_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("127.0.0.1:1080", "proxy URL must start with http:// or socks5://, got '127.0.0.1:1080'"),
        ("ftp://h:1", "proxy URL must start with http:// or socks5://, got 'ftp://h:1'"),
        ("https://h:1", "'https' is not supported in 'https://h:1': TLS to the proxy"),
        ("socks5h://h:1", "use socks5://, which always lets the proxy resolve names"),
        ("socks4://h:1", "proxy scheme 'socks4' is not supported"),
        ("socks5://h", "needs a port from 1 to 65535"),
        ("socks5://h:0", "needs a port from 1 to 65535"),
        ("socks5://h:70000", "is malformed"),
        ("socks5://h:port", "is malformed"),
        ("socks5://[::1:1080", "is malformed"),
        ("http://h:1/path", "must not have a path, query or fragment"),
        ("http://h:1?q=1", "must not have a path, query or fragment"),
        ("http://:1", "has no valid host"),
        ("http://alice@h:1", "must give credentials as user:password@"),
        ("http://:pw@h:1", "must give credentials as user:password@"),
    ],
)
def test_bad_proxy_urls_are_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(SocketError) as caught:
        parse_proxy_url(url)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://alice:hunter2@h:1",
        "socks5://alice:hunter2@h",
        "socks5://alice:hunter2@h:0",
        "http://alice:hunter2@h:1/path",
        "socks5://alice:hun#ter2@h:1",
        "socks5://alice:hun@ter2@h:notaport",
        "https://alice:hunter2@h:1",
    ],
)
def test_messages_never_echo_the_password(url: str) -> None:
    with pytest.raises(SocketError) as caught:
        parse_proxy_url(url)
    assert "hunter2" not in str(caught.value)
    assert "ter2" not in str(caught.value)
    assert "***@" in str(caught.value)


def test_settings_show_the_url_without_the_password() -> None:
    settings = parse_proxy_url("socks5://alice:hunter2@[::1]:1080")
    assert str(settings) == "socks5://alice:***@[::1]:1080"
    assert "hunter2" not in repr(settings)
    assert settings.description == "socks5 proxy [::1]:1080"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("socks4", "h", 1), "proxy scheme must be 'http' or 'socks5', got 'socks4'"),
        (("http", "", 1), "proxy host must not be empty"),
        (("http", "h", 0), "proxy port must be an integer from 1 to 65535, got 0"),
        (("http", "h", True), "proxy port must be an integer, got bool"),
        (("http", "h", 1, "alice"), "proxy credentials need both a user name and a password"),
        (("socks5", "h", 1, "älice", "pw"), "must be ASCII"),
        (("socks5", "h", 1, "a" * 256, "pw"), "must be 255 bytes or less"),
        (("http", "h", 1, "al:ice", "pw"), "must not contain ':'"),
        (("http", "h", 1, "alice", "pw\u20ac"), "must be Latin-1 text"),
    ],
)
def test_settings_check_their_fields(arguments: tuple[object, ...], message: str) -> None:
    with pytest.raises(SocketError, match=message):
        ProxySettings(*arguments)  # type: ignore[arg-type]


def test_a_proxy_url_must_be_a_string() -> None:
    with pytest.raises(SocketError, match="proxy must be a URL string, got bytes"):
        parse_proxy_url(b"socks5://h:1")  # type: ignore[arg-type]


# --- handshakes with pproxy ----------------------------------------------------------------


async def exchange(sock: socket.socket, peer: Listener) -> None:
    """Bytes go both ways between the tunnelled socket and the destination."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(LIMIT):
        conn, _ = await loop.sock_accept(peer.sock)
        with conn, sock:
            conn.setblocking(False)
            await loop.sock_sendall(sock, b"hello through the proxy")
            assert await loop.sock_recv(conn, 64) == b"hello through the proxy"
            await loop.sock_sendall(conn, b"and back")
            assert await loop.sock_recv(sock, 64) == b"and back"


@pytest.mark.parametrize(
    "fixture", ["socks5_proxy", "socks5_proxy_with_auth", "http_proxy", "http_proxy_with_auth"]
)
@pytest.mark.parametrize("destination", ["127.0.0.1", "::1", "localhost"])
async def test_a_tunnel_through_the_proxy_carries_bytes_both_ways(
    fixture: str, destination: str, request: pytest.FixtureRequest
) -> None:
    proxy: ProxyServer = request.getfixturevalue(fixture)
    with no_socket_leak(), listener("::1" if destination == "::1" else "127.0.0.1") as peer:
        async with asyncio.timeout(LIMIT):
            sock = await dial(destination, peer.port, proxy=proxy.url)
        await exchange(sock, peer)


@pytest.mark.parametrize("fixture", ["socks5_proxy_with_auth", "http_proxy_with_auth"])
async def test_wrong_credentials_are_refused_without_echoing_the_password(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    proxy: ProxyServer = request.getfixturevalue(fixture)
    wrong = proxy.url_with(proxy.username or "", "wrong-pw")
    with no_socket_leak(), listener() as peer:
        with pytest.raises(SocketError) as caught:
            await dial("127.0.0.1", peer.port, proxy=wrong)
        assert not peer.has_pending_connection()
    message = str(caught.value)
    assert "the proxy rejected the credentials" in message
    assert "check the user name and password in the proxy URL" in message
    assert "wrong-pw" not in message
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize("fixture", ["socks5_proxy_with_auth", "http_proxy_with_auth"])
async def test_missing_credentials_say_the_proxy_requires_them(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    proxy: ProxyServer = request.getfixturevalue(fixture)
    with no_socket_leak(), listener() as peer, pytest.raises(SocketError) as caught:
        await dial("127.0.0.1", peer.port, proxy=f"{proxy.scheme}://{proxy.host}:{proxy.port}")
    assert "the proxy requires authentication" in str(caught.value)
    assert "put user:password@ in the proxy URL" in str(caught.value)


async def test_an_http_proxy_that_cannot_reach_the_destination_fails_the_dial(
    http_proxy: ProxyServer,
) -> None:
    port = closed_port()
    with no_socket_leak(), pytest.raises(SocketError) as caught:
        await dial("127.0.0.1", port, proxy=http_proxy.url, timeout=LIMIT)
    assert str(caught.value) == (
        f"SocketError: connecting to '127.0.0.1:{port}' through http proxy"
        f" 127.0.0.1:{http_proxy.port} failed: the proxy closed the connection without"
        " answering the CONNECT request"
    )


# --- handshakes with scripted proxies --------------------------------------------------------

Script = Callable[[socket.socket], Awaitable[None]]


@contextlib.asynccontextmanager
async def scripted_proxy(script: Script) -> AsyncIterator[str]:
    """A one-connection proxy on loopback that follows ``script``; yields its host:port."""
    loop = asyncio.get_running_loop()
    with listener() as peer:

        async def serve() -> None:
            conn, _ = await loop.sock_accept(peer.sock)
            with conn:
                conn.setblocking(False)
                await script(conn)

        task = asyncio.ensure_future(serve())
        try:
            yield f"127.0.0.1:{peer.port}"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def recv_exactly(conn: socket.socket, n: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < n:
        chunk = await loop.sock_recv(conn, n - len(data))
        assert chunk, "the client closed early"
        data += chunk
    return data


async def recv_head(conn: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        chunk = await loop.sock_recv(conn, 1)
        assert chunk, "the client closed early"
        data += chunk
    return data


async def socks5_connect_request(conn: socket.socket) -> bytes:
    """Answer a no-auth greeting; return the CONNECT request."""
    loop = asyncio.get_running_loop()
    assert await recv_exactly(conn, 3) == b"\x05\x01\x00"
    await loop.sock_sendall(conn, b"\x05\x00")
    head = await recv_exactly(conn, 4)
    if head[3] == 1:
        rest = await recv_exactly(conn, 6)
    elif head[3] == 4:
        rest = await recv_exactly(conn, 18)
    else:
        length = await recv_exactly(conn, 1)
        rest = length + await recv_exactly(conn, length[0] + 2)
    return head + rest


async def hold(conn: socket.socket) -> None:
    """Keep the connection open until the client closes it."""
    loop = asyncio.get_running_loop()
    while await loop.sock_recv(conn, 1024):
        pass


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (5, "connection refused (SOCKS5 reply 5)"),
        (2, "connection not allowed by the proxy's rules (SOCKS5 reply 2)"),
        (4, "host unreachable (SOCKS5 reply 4)"),
    ],
)
async def test_a_socks5_refusal_reply_is_reported_with_its_code(code: int, reason: str) -> None:
    async def refuse(conn: socket.socket) -> None:
        await socks5_connect_request(conn)
        reply = bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0])
        await asyncio.get_running_loop().sock_sendall(conn, reply)
        await hold(conn)

    with no_socket_leak():
        async with scripted_proxy(refuse) as address:
            with pytest.raises(SocketError) as caught:
                await dial("example.com", 443, proxy=f"socks5://{address}", timeout=LIMIT)
    assert str(caught.value) == (
        f"SocketError: connecting to 'example.com:443' through socks5 proxy {address} failed:"
        f" the proxy reported: {reason}"
    )


async def test_socks5_sends_names_for_the_proxy_to_resolve() -> None:
    seen: list[bytes] = []

    async def record(conn: socket.socket) -> None:
        seen.append(await socks5_connect_request(conn))
        await asyncio.get_running_loop().sock_sendall(conn, b"\x05\x00\x00\x01\0\0\0\0\0\0")
        await hold(conn)

    async with scripted_proxy(record) as address:
        sock = await dial("internal.example", 8443, proxy=f"socks5://{address}", timeout=LIMIT)
        sock.close()
    assert seen == [b"\x05\x01\x00\x03\x10internal.example\x20\xfb"]


async def test_a_literal_is_sent_to_the_proxy_as_the_checked_address() -> None:
    seen: list[bytes] = []

    async def record(conn: socket.socket) -> None:
        seen.append(await socks5_connect_request(conn))
        await asyncio.get_running_loop().sock_sendall(conn, b"\x05\x00\x00\x01\0\0\0\0\0\0")
        await hold(conn)

    async with scripted_proxy(record) as address:
        sock = await dial("0x08080808", 443, proxy=f"socks5://{address}", timeout=LIMIT)
        sock.close()
    assert seen == [b"\x05\x01\x00\x01\x08\x08\x08\x08\x01\xbb"]


async def test_a_socks5_proxy_accepting_no_offered_method_says_so() -> None:
    async def no_method(conn: socket.socket) -> None:
        await recv_exactly(conn, 4)  # 05 02 00 02: no-auth and user/password offered
        await asyncio.get_running_loop().sock_sendall(conn, b"\x05\xff")
        await hold(conn)

    async with scripted_proxy(no_method) as address:
        with pytest.raises(SocketError, match="the proxy accepts none of the offered"):
            await dial("example.com", 443, proxy=f"socks5://u:p@{address}", timeout=LIMIT)


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (b"HTTP/1.1 403 Forbidden\r\n\r\n", "the proxy refused: 403 Forbidden"),
        (b"HTTP/1.1 502 Bad Gateway\r\nX: y\r\n\r\n", "the proxy refused: 502 Bad Gateway"),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "the proxy sent an invalid response"),
    ],
)
async def test_an_http_proxy_refusal_is_reported(response: bytes, reason: str) -> None:
    async def answer(conn: socket.socket) -> None:
        await recv_head(conn)
        await asyncio.get_running_loop().sock_sendall(conn, response)
        await hold(conn)

    async with scripted_proxy(answer) as address:
        with pytest.raises(SocketError) as caught:
            await dial("example.com", 443, proxy=f"http://{address}", timeout=LIMIT)
    assert str(caught.value).startswith(
        f"SocketError: connecting to 'example.com:443' through http proxy {address} failed:"
        f" {reason}"
    )


async def test_bytes_after_the_connect_reply_are_left_for_the_caller() -> None:
    """A server that speaks first: its banner can arrive in the proxy's reply segment."""

    async def answer(conn: socket.socket) -> None:
        request = await recv_head(conn)
        assert request.startswith(b"CONNECT smtp.example:25 HTTP/1.1\r\n")
        reply = b"HTTP/1.1 200 Connection established\r\n\r\n220 smtp.example ESMTP\r\n"
        await asyncio.get_running_loop().sock_sendall(conn, reply)
        await hold(conn)

    loop = asyncio.get_running_loop()
    with no_socket_leak():
        async with scripted_proxy(answer) as address:
            sock = await dial("smtp.example", 25, proxy=f"http://{address}", timeout=LIMIT)
            with sock:
                async with asyncio.timeout(LIMIT):
                    assert await loop.sock_recv(sock, 1024) == b"220 smtp.example ESMTP\r\n"


async def test_an_endless_http_response_head_is_refused() -> None:
    async def flood(conn: socket.socket) -> None:
        await recv_head(conn)
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(conn, b"HTTP/1.1 200 OK\r\n")
        with contextlib.suppress(OSError):
            for _ in range(100):
                await loop.sock_sendall(conn, b"X-Padding: " + b"x" * 1000 + b"\r\n")
        await hold(conn)

    async with scripted_proxy(flood) as address:
        with pytest.raises(SocketError, match="response head is too long"):
            await dial("example.com", 443, proxy=f"http://{address}", timeout=LIMIT)


async def test_a_proxy_that_closes_mid_handshake_is_reported() -> None:
    async def close_after_greeting(conn: socket.socket) -> None:
        await socks5_connect_request(conn)

    async with scripted_proxy(close_after_greeting) as address:
        with pytest.raises(SocketError, match="closed the connection without answering"):
            await dial("example.com", 443, proxy=f"socks5://{address}", timeout=LIMIT)


async def test_a_silent_proxy_times_out_and_leaves_nothing_open() -> None:
    with no_socket_leak():
        async with scripted_proxy(hold) as address:
            with pytest.raises(SocketError, match=r"timed out after 0\.2 seconds"):
                await dial("example.com", 443, proxy=f"socks5://{address}", timeout=0.2)


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("x" * 64 + ".example", "cannot be sent to a SOCKS5 proxy"),
        ("a." * 130 + "example", r"is too long for a SOCKS5 proxy \(255 bytes\)"),
    ],
)
async def test_a_name_socks5_cannot_carry_is_refused(
    host: str, message: str, socks5_proxy: ProxyServer
) -> None:
    with no_socket_leak(), pytest.raises(SocketError, match=message):
        await dial(host, 443, proxy=socks5_proxy.url, timeout=LIMIT)
