"""Proxies: parse a proxy URL and open a tunnel through HTTP CONNECT or SOCKS5.

:func:`parse_proxy_url` turns ``http://[user:pass@]host:port`` or
``socks5://[user:pass@]host:port`` into :class:`ProxySettings`. :func:`proxy_handshake`
then asks a proxy, over a socket already connected to it, for a tunnel to the
destination; when it returns, the socket carries the destination's bytes. The dialer
(``dial.py``) connects to the proxy itself, so the connect timeout, Happy Eyeballs and
cancellation cover the proxy as they cover a direct connection.

The handshakes are python-socks'. Its public ``Proxy`` API opens its own TCP connection
(the option to pass a connected socket was removed in python-socks 2.x), which would
bypass our dial path; so we drive python-socks' protocol connectors over our socket
through a small stream adapter. Those connectors live in private modules whose method
names changed once (``write_all``/``read_exact`` became ``write``/``read_exactly``); the
adapter offers both spellings, and works with python-socks 2.6 through 3.x. urllib3.future
integrates python-socks the same way.

SOCKS5 always sends names to the proxy (remote DNS, what curl calls ``socks5h``): the
proxy resolves them, so names private to the proxy's network work. An IP literal
destination is sent as an address.

Credentials never appear in messages or reprs: a URL is shown with its password as
``***``.
"""

from __future__ import annotations

import asyncio
import socket
import urllib.parse
from dataclasses import dataclass, field
from typing import Literal, final

from python_socks import ProxyType

# Private python-socks modules: see the module docstring for why, and which versions.
from python_socks._abc import AsyncResolver, AsyncSocketStream
from python_socks._connectors.factory_async import create_connector
from python_socks._protocols.errors import ReplyError
from python_socks._types import ResolvedAddress

from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port
from wintersockets.transport.errors import describe

# ProxySettings is public; the functions are the Connector's (importable, not public API).
__all__ = ["ProxySettings"]

ProxyScheme = Literal["http", "socks5"]

# A CONNECT response longer than this is not a proxy talking.
_MAX_RESPONSE_HEAD = 64 * 1024
_HEAD_END = b"\r\n\r\n"

# RFC 1928 §6 reply codes, as our messages say them.
_SOCKS5_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by the proxy's rules",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


@final
@dataclass(frozen=True)
class ProxySettings:
    """Where the proxy is and how to authenticate to it.

    Build one with :func:`parse_proxy_url` or directly. ``str(settings)`` is the URL with
    the password replaced by ``***``; the password is never in ``repr()`` either.

    Attributes:
        scheme: ``"http"`` (HTTP CONNECT) or ``"socks5"``.
        host: The proxy's host name or IP address (IPv6 without brackets).
        port: The proxy's TCP port.
        username: The user name, or ``None`` for no authentication.
        password: The password; set exactly when ``username`` is.
    """

    scheme: ProxyScheme
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.scheme not in ("http", "socks5"):
            raise SocketError(f"proxy scheme must be 'http' or 'socks5', got {self.scheme!r}")
        if not self.host:
            raise SocketError("proxy host must not be empty")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise SocketError(f"proxy port must be an integer, got {type(self.port).__name__}")
        if not 1 <= self.port <= 65535:
            raise SocketError(f"proxy port must be an integer from 1 to 65535, got {self.port}")
        if (self.username is None) != (self.password is None):
            raise SocketError("proxy credentials need both a user name and a password")
        if self.username is not None and self.password is not None:
            _check_credentials(self.scheme, self.username, self.password)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        userinfo = ""
        if self.username is not None:
            userinfo = urllib.parse.quote(self.username, safe="") + ":***@"
        return f"{self.scheme}://{userinfo}{host}:{self.port}"

    @property
    def description(self) -> str:
        """``"socks5 proxy 127.0.0.1:1080"``, for messages."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme} proxy {host}:{self.port}"


def parse_proxy_url(url: str) -> ProxySettings:
    """Parse ``http://[user:pass@]host:port`` or ``socks5://[user:pass@]host:port``.

    User name and password are percent-decoded (write ``@`` as ``%40``).

    Raises:
        SocketError: The URL is not one of those forms; the message shows the URL with the
            password redacted.
    """
    if not isinstance(url, str):
        raise SocketError(f"proxy must be a URL string, got {type(url).__name__}")
    shown = _redact(url)
    scheme, sep, _ = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise SocketError(f"proxy URL must start with http:// or socks5://, got {shown!r}")
    if scheme in ("socks5h", "socks4", "socks4a", "https"):
        hint = {
            "socks5h": "use socks5://, which always lets the proxy resolve names",
            "https": "TLS to the proxy is not supported, use http://",
        }.get(scheme, "use socks5://")
        raise SocketError(f"proxy scheme {scheme!r} is not supported in {shown!r}: {hint}")
    if scheme not in ("http", "socks5"):
        raise SocketError(f"proxy URL must start with http:// or socks5://, got {shown!r}")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise SocketError(
            f"proxy URL {shown!r} is malformed: expected {scheme}://[user:password@]host:port"
        ) from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SocketError(
            f"proxy URL {shown!r} must not have a path, query or fragment:"
            f" expected {scheme}://[user:password@]host:port (percent-encode '#' or '/'"
            " in a password)"
        )
    host = parts.hostname
    if not host or any(c.isspace() or c in "/\\?#@[]" for c in host):
        raise SocketError(f"proxy URL {shown!r} has no valid host")
    if port is None or port == 0:
        raise SocketError(f"proxy URL {shown!r} needs a port from 1 to 65535, as in host:1080")
    username: str | None = None
    password: str | None = None
    if "@" in parts.netloc:
        if parts.username is None or parts.password is None or not parts.username:
            raise SocketError(
                f"proxy URL {shown!r} must give credentials as user:password@ (both parts)"
            )
        username = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password)
    return ProxySettings(
        scheme="http" if scheme == "http" else "socks5",
        host=host,
        port=port,
        username=username,
        password=password,
    )


async def proxy_handshake(sock: socket.socket, proxy: ProxySettings, host: str, port: int) -> None:
    """Ask the proxy for a tunnel to ``host:port`` over ``sock``, connected to the proxy.

    On return the next byte read from ``sock`` is the destination's first byte: nothing
    past the proxy's reply is consumed.

    Args:
        sock: A connected, non-blocking socket to the proxy. The caller keeps ownership
            and closes it if this raises.
        proxy: The proxy's settings.
        host: The destination: a DNS name (sent as is; the proxy resolves it) or an IP
            address in canonical text form.
        port: The destination port.

    Raises:
        SocketError: The proxy refused (bad credentials, destination not allowed or
            unreachable), broke the protocol, or closed; the cause is chained.
    """
    loop = asyncio.get_running_loop()
    stream = _SocketStream(sock, loop)
    kind = ProxyType.HTTP if proxy.scheme == "http" else ProxyType.SOCKS5
    _check_destination_name(proxy, host)
    connector = create_connector(
        proxy_type=kind,
        username=proxy.username,
        password=proxy.password,
        rdns=True,
        resolver=_ProxyResolves(),
    )
    try:
        await connector.connect(stream=stream, host=host, port=port)
    except (ReplyError, _ProxyClosedError, OSError, ValueError, AssertionError) as exc:
        destination = format_host_port(host, port)
        why = _why_refused(proxy, stream, exc)
        raise SocketError(
            f"connecting to {destination!r} through {proxy.description} failed: {why}"
        ) from exc


class _ProxyClosedError(Exception):
    """The proxy closed the connection in the middle of the handshake."""


class _ProxyResolves(AsyncResolver):
    """A resolver that is never asked: with remote DNS the proxy resolves names."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> ResolvedAddress:
        raise AssertionError(f"names are resolved by the proxy, not here (asked for {host!r})")


class _SocketStream(AsyncSocketStream):
    """python-socks' stream interface over a non-blocking socket, noting the phase."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self._sock = sock
        self._loop = loop
        self.writes = 0
        # What the handshake was doing when it stopped: "greeting", "authentication"
        # or "connect" (SOCKS5); HTTP only ever does "connect".
        self.phase = "greeting"
        self.last_read = b""

    async def write(self, data: bytes) -> None:
        if self.writes and data[:1] == b"\x01":  # RFC 1929 username/password request
            self.phase = "authentication"
        elif self.writes or data.startswith(b"CONNECT "):
            self.phase = "connect"
        self.writes += 1
        await self._loop.sock_sendall(self._sock, data)

    async def write_all(self, data: bytes) -> None:  # python-socks < 2.8 spelling
        await self.write(data)

    async def read(self, max_bytes: int = 65536) -> bytes:
        """Read an HTTP response head, up to and including the blank line, no further.

        A reply and the destination's first bytes can arrive in one segment (a server
        that speaks first, such as SMTP); reading at most as many bytes as could still
        complete ``\\r\\n\\r\\n`` leaves those bytes in the socket for the caller.
        """
        head = bytearray()
        while not head.endswith(_HEAD_END):
            if len(head) >= min(max_bytes, _MAX_RESPONSE_HEAD):
                raise ValueError("the proxy's response head is too long")
            matched = next(k for k in (3, 2, 1, 0) if head.endswith(_HEAD_END[:k]))
            chunk = await self._loop.sock_recv(self._sock, len(_HEAD_END) - matched)
            if not chunk:
                raise _ProxyClosedError("the proxy closed the connection")
            head += chunk
        self.last_read = bytes(head)
        return bytes(head)

    async def read_exactly(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            chunk = await self._loop.sock_recv(self._sock, n - len(data))
            if not chunk:
                raise _ProxyClosedError("the proxy closed the connection")
            data += chunk
        self.last_read = bytes(data)
        return bytes(data)

    async def read_exact(self, n: int) -> bytes:  # python-socks < 2.8 spelling
        return await self.read_exactly(n)

    async def close(self) -> None:
        """Leave the socket open: it belongs to the caller, who closes it on failure."""


def _why_refused(proxy: ProxySettings, stream: _SocketStream, exc: BaseException) -> str:
    """The reason part of a handshake failure message, from the phase and the error."""
    code = getattr(exc, "error_code", None)
    has_credentials = proxy.username is not None
    ask_credentials = "put user:password@ in the proxy URL"
    check_credentials = "check the user name and password in the proxy URL"
    if isinstance(exc, OSError):
        return f"the connection to the proxy failed during the handshake: {describe(exc)}"
    if proxy.scheme == "http":
        if isinstance(exc, _ProxyClosedError):
            return "the proxy closed the connection without answering the CONNECT request"
        if code == 407:
            if has_credentials:
                return f"the proxy rejected the credentials ({exc}); {check_credentials}"
            return f"the proxy requires authentication ({exc}); {ask_credentials}"
        if isinstance(code, int):
            return f"the proxy refused: {exc}"
        return f"the proxy sent an invalid response: {exc}"
    # SOCKS5
    if stream.phase == "greeting":
        if stream.last_read == b"\x05\xff" or (
            isinstance(exc, _ProxyClosedError) and not has_credentials
        ):
            if has_credentials:
                return "the proxy accepts none of the offered authentication methods"
            return f"the proxy requires authentication; {ask_credentials}"
        if isinstance(exc, _ProxyClosedError):
            return "the proxy closed the connection during the greeting"
        return f"the proxy sent an invalid reply to the greeting: {exc}"
    if stream.phase == "authentication":
        return f"the proxy rejected the credentials; {check_credentials}"
    if isinstance(exc, _ProxyClosedError):
        return "the proxy closed the connection without answering the connect request"
    if isinstance(code, int):
        text = _SOCKS5_REPLIES.get(code, "unknown error")
        return f"the proxy reported: {text} (SOCKS5 reply {code})"
    return f"the proxy sent an invalid reply: {exc}"


def _check_destination_name(proxy: ProxySettings, host: str) -> None:
    """Refuse a host name the proxy protocol cannot carry, before sending anything."""
    if proxy.scheme != "socks5":
        return
    try:
        encoded = host.encode("idna")  # what python-socks sends
    except UnicodeError as exc:
        raise SocketError(f"host name {host!r} cannot be sent to a SOCKS5 proxy: {exc}") from exc
    if len(encoded) > 255:
        raise SocketError(f"host name {host!r} is too long for a SOCKS5 proxy (255 bytes)")


def _check_credentials(scheme: str, username: str, password: str) -> None:
    if not username:
        raise SocketError("proxy user name must not be empty")
    if scheme == "socks5":
        # RFC 1929: one length byte each; python-socks sends them as ASCII.
        if not (username.isascii() and password.isascii()):
            raise SocketError("socks5 proxy user name and password must be ASCII")
        if len(username) > 255 or len(password) > 255:
            raise SocketError("socks5 proxy user name and password must be 255 bytes or less")
    else:
        if ":" in username:
            raise SocketError("http proxy user name must not contain ':' (RFC 7617)")
        try:
            f"{username}:{password}".encode("latin-1")
        except UnicodeEncodeError:
            raise SocketError(
                "http proxy user name and password must be Latin-1 text (Basic auth)"
            ) from None


def _redact(url: str) -> str:
    """``url`` with everything between ``://`` and the last ``@`` shown as ``***``.

    The whole user information goes, not just the part after ``:``: in a malformed URL
    (an unencoded ``#`` or ``@`` in the password) the split is not where it seems.
    """
    scheme, sep, rest = url.partition("://")
    _, at, hostport = rest.rpartition("@")
    if not at:
        return url
    return f"{scheme}{sep}***@{hostport}"
