"""The binding object [binding object]: ``Connector`` and the module-level ``connect()``.

A :class:`Connector` holds what a plain ``connect()`` call cannot say: TLS settings, a
proxy, an egress policy, a connect timeout and the Happy Eyeballs delay. Its
:meth:`~Connector.connect` has the spec's contract: check the address and options
synchronously, return a pending :class:`~wintersockets.socket.socket.Socket`, and connect
in the background. The module-level :func:`connect` uses a default ``Connector``.

The connection is made in steps, each one method, so that each can be extended alone:

1. :meth:`Connector.dial` gives a connected ``socket.socket`` for a host and port;
2. :meth:`Connector.open_transport` wraps it in an asyncio transport (and, for
   ``secure_transport="on"``, in TLS) with the socket's protocol;
3. :meth:`Connector.upgrader` gives the socket what ``start_tls()`` needs.

A connection to an IP literal, with neither egress policy nor proxy, takes steps 1 and 2
in one ``loop.create_connection()`` call (:func:`~.dial.connect_literal`, and
:func:`~.tls.connect_tls_literal` with its TLS handshake: the whole connect runs in C on
uvloop), which fails with the same errors. A subclass that
overrides :meth:`~Connector.dial` or :meth:`~Connector.open_transport` always gets them
called.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import socket
import ssl
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack

from wintersockets.errors import SocketError
from wintersockets.socket.socket import Opener, Socket, Upgrader, UpgradeStep, running_loop
from wintersockets.transport.errors import connect_error

from .address import SocketAddress, parse_address
from .dial import canonical_literal, check_literal_destination, connect_literal, dial
from .egress import EgressPolicy
from .options import SocketOptions, SocketOptionsKwargs, parse_options
from .proxy import ProxySettings, parse_proxy_url
from .tls import (
    TLSSettings,
    client_context,
    connect_tls,
    connect_tls_literal,
    tls_server_hostname,
    upgrade_tls,
)

if TYPE_CHECKING:
    from .happy_eyeballs import AddrInfo
    from .options import SocketOptionsDict

__all__ = ["Connector", "connect"]


def _positive(value: object, *, allow_zero: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return False
    return value >= 0 if allow_zero else value > 0


class Connector:
    """Opens sockets with settings that plain ``connect()`` cannot express [binding object].

    Args:
        tls: TLS settings for ``secure_transport="on"`` and ``start_tls()``: ``None``
            (verify servers against the system's trust store), :class:`TLSSettings`
            (another CA, a client certificate, versions) or an ``ssl.SSLContext`` of
            your own, used as it is.
        proxy: A proxy URL (``http://``, ``socks5://``) to connect through.
        policy: An egress policy: which destinations may be connected to.
        connect_timeout: Seconds a connection may take to open (through the TLS handshake),
            or ``None`` for no limit.
        happy_eyeballs_delay: Seconds between attempts to a dual-stack host's addresses.
        tls_handshake_timeout: Seconds a TLS handshake may take (``secure_transport="on"``
            and ``start_tls()``); 60 as in asyncio. ``connect_timeout``, if shorter,
            bounds it too.

    Raises:
        SocketError: A setting has the wrong type or value, or a file named by ``tls``
            cannot be read.
    """

    __slots__ = (
        "connect_timeout",
        "happy_eyeballs_delay",
        "policy",
        "proxy",
        "tls",
        "tls_handshake_timeout",
    )

    def __init__(
        self,
        tls: Any = None,
        proxy: Any = None,
        policy: Any = None,
        connect_timeout: float | None = None,
        happy_eyeballs_delay: float = 0.25,
        tls_handshake_timeout: float = 60.0,
    ) -> None:
        if connect_timeout is not None and not _positive(connect_timeout):
            raise SocketError(
                f"connect_timeout must be a positive number of seconds or None, "
                f"got {connect_timeout!r}"
            )
        if not _positive(happy_eyeballs_delay, allow_zero=True):
            raise SocketError(
                f"happy_eyeballs_delay must be a number of seconds >= 0, "
                f"got {happy_eyeballs_delay!r}"
            )
        if policy is not None and not isinstance(policy, EgressPolicy):
            raise SocketError(f"policy must be an EgressPolicy or None, got {policy!r}")
        if isinstance(proxy, str):
            proxy = parse_proxy_url(proxy)
        elif proxy is not None and not isinstance(proxy, ProxySettings):
            raise SocketError(
                f"proxy must be a URL such as 'socks5://host:1080', ProxySettings or None, "
                f"got {type(proxy).__name__}"
            )
        if not _positive(tls_handshake_timeout):
            raise SocketError(
                f"tls_handshake_timeout must be a positive number of seconds, "
                f"got {tls_handshake_timeout!r}"
            )
        if isinstance(tls, ssl.SSLContext):
            if tls.protocol is ssl.PROTOCOL_TLS_SERVER:
                raise SocketError(
                    "tls must be a client context, got one made with PROTOCOL_TLS_SERVER: "
                    "use ssl.create_default_context() or TLSSettings"
                )
        elif isinstance(tls, TLSSettings):
            client_context(tls)  # read its files now: a missing one is an error here
        elif tls is not None:
            raise SocketError(
                f"tls must be TLSSettings, an ssl.SSLContext or None, got {type(tls).__name__}"
            )
        self.tls: TLSSettings | ssl.SSLContext | None = tls
        self.tls_handshake_timeout = tls_handshake_timeout
        self.proxy: ProxySettings | None = proxy
        self.policy: EgressPolicy | None = policy
        self.connect_timeout = connect_timeout
        self.happy_eyeballs_delay = happy_eyeballs_delay

    def connect(
        self,
        address: str | SocketAddress | Mapping[str, object],
        options: SocketOptionsDict | Mapping[str, object] | SocketOptions | None = None,
        /,
        **kwargs: Unpack[SocketOptionsKwargs],
    ) -> Socket:
        """Open a TCP connection to ``address`` and return its socket at once [connect].

        Args:
            address: ``"host:port"``, ``"[v6]:port"``, a ``SocketAddress`` or a mapping
                ``{"hostname": ..., "port": ...}``.
            options: The options as a mapping, in camelCase or snake_case.
            **kwargs: The options as keyword arguments: ``secure_transport`` (``"off"``,
                ``"on"``, ``"starttls"``), ``allow_half_open``, ``sni``, ``alpn``.

        Returns:
            A socket whose ``opened`` resolves once it is connected.

        Raises:
            SocketError: The address or an option is malformed.
            RuntimeError: No asyncio event loop is running.
        """
        if type(address) is str:
            parsed, name, literal = _parse_text(address)
        else:
            parsed = parse_address(address)
            name = str(parsed)
            literal = canonical_literal(parsed.hostname, parsed.port)
        parsed_options = parse_options(options, kwargs)
        if self.policy is not None:
            # A literal destination is judged now; a name once it resolves (opened rejects).
            check_literal_destination(parsed.hostname, parsed.port, self.policy)
        direct = literal if self._fast_path_allowed() else None
        upgrader = self.upgrader(parsed, parsed_options)
        opener: Opener
        if (
            direct is not None
            and self.connect_timeout is None
            and parsed_options.secure_transport != "on"
        ):
            # The plain fast path ends with the transport's connection_made: open the socket
            # then (not under a connect_timeout, whose expiry could still undo the
            # connection). Not for TLS: asyncio's create_connection(ssl=...) still reads the
            # transport after connection_made, which fails if it was closed meanwhile.
            loop = running_loop()
            opener = functools.partial(connect_literal, direct, name, loop=loop)
            opened_by_connection_made = True
        else:
            loop = None  # the socket finds it
            opener = functools.partial(self._open, parsed, parsed_options, direct)
            opened_by_connection_made = False
        return Socket(
            opener,
            name=name,
            secure_transport=parsed_options.secure_transport,
            allow_half_open=parsed_options.allow_half_open,
            upgrader=upgrader,
            opened_by_connection_made=opened_by_connection_made,
            loop=loop,
        )

    async def _open(
        self,
        address: SocketAddress,
        options: SocketOptions,
        direct: AddrInfo | None,
        protocol: asyncio.BaseProtocol,
    ) -> None:
        # Connection failures are translated here, once: every cause is chained.
        timeout = self.connect_timeout
        try:
            if timeout is None:
                if direct is not None:
                    await self._connect_direct(direct, protocol, address, options)
                    return
                sock = await self.dial(address.hostname, address.port)
                await self.open_transport(sock, protocol, address, options)
                return
            async with asyncio.timeout(timeout):
                if direct is not None:
                    await self._connect_direct(direct, protocol, address, options)
                    return
                sock = await self.dial(address.hostname, address.port)
                await self.open_transport(sock, protocol, address, options)
        except SocketError:
            raise
        except TimeoutError as exc:
            raise SocketError(
                f"connecting to {str(address)!r} timed out after {timeout:g} seconds: "
                "check that the host is reachable, or allow a longer connect_timeout"
            ) from exc
        except OSError as exc:
            raise connect_error(exc, str(address)) from exc

    async def _connect_direct(
        self,
        direct: AddrInfo,
        protocol: asyncio.BaseProtocol,
        address: SocketAddress,
        options: SocketOptions,
    ) -> None:
        if options.secure_transport == "on":
            await connect_tls_literal(
                protocol,
                direct,
                str(address),
                tls=self.tls,
                hostname=address.hostname,
                sni=options.sni,
                alpn=options.alpn,
                handshake_timeout=self.tls_handshake_timeout,
            )
        else:
            await connect_literal(direct, str(address), protocol)

    def _fast_path_allowed(self) -> bool:
        # The fast path (connect_literal, connect_tls_literal) takes a connection to a
        # canonical IP literal with neither policy nor proxy, when dial() and
        # open_transport() are this class's own; a subclass that overrides either always
        # gets the seams called.
        return (
            self.policy is None
            and self.proxy is None
            and type(self).dial is Connector.dial
            and type(self).open_transport is Connector.open_transport
        )

    async def dial(self, hostname: str, port: int) -> socket.socket:
        """A connected, non-blocking ``socket.socket`` to ``hostname:port``.

        Applies the egress policy to every resolved address, goes through the proxy if one
        is set, and races a dual-stack host's addresses (Happy Eyeballs). The caller owns
        the socket. Cancelling the dial closes whatever it opened.

        Raises:
            SocketError: The connection failed; the ``OSError`` is chained as the cause.
        """
        # The Connector's connect_timeout wraps dial and TLS together (see _open).
        return await dial(
            hostname,
            port,
            policy=self.policy,
            proxy=self.proxy,
            happy_eyeballs_delay=self.happy_eyeballs_delay,
            timeout=None,
        )

    async def open_transport(
        self,
        sock: socket.socket,
        protocol: asyncio.BaseProtocol,
        address: SocketAddress,
        options: SocketOptions,
    ) -> asyncio.BaseTransport:
        """Wrap a connected socket in a transport whose protocol is ``protocol``.

        This is where TLS wraps the connection for ``secure_transport="on"``: the
        handshake verifies the certificate against ``sni`` or the address's hostname,
        offers ``alpn``, and is done when this returns. Takes ownership of ``sock``: it is
        closed if this fails.

        Raises:
            SocketError: the TLS handshake failed; the message says why (see
                :func:`~wintersockets.connector.tls.tls_error`).
        """
        try:
            if options.secure_transport == "on":
                return await connect_tls(
                    sock,
                    protocol,
                    tls=self.tls,
                    hostname=address.hostname,
                    sni=options.sni,
                    alpn=options.alpn,
                    handshake_timeout=self.tls_handshake_timeout,
                )
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_connection(lambda: protocol, sock=sock)
        except BaseException:
            sock.close()  # a no-op if the transport closed it already
            raise
        return transport

    def upgrader(self, address: SocketAddress, options: SocketOptions) -> Upgrader | None:
        """What ``start_tls()`` calls to run TLS over the open connection, if anything.

        Called by :meth:`connect`, so it also checks now what TLS will need for
        ``secure_transport="on"`` or ``"starttls"`` (the ALPN list against the context,
        the server name), and ``connect()`` raises what is wrong.

        Raises:
            SocketError: ``alpn`` was given with an ``ssl.SSLContext`` of your own, or
                the name to verify is not a valid hostname.
        """
        if options.secure_transport == "off":
            return None
        client_context(self.tls, options.alpn)
        tls_server_hostname(address.hostname, sni=options.sni)
        if options.secure_transport != "starttls":
            return None

        def check(expected_server_hostname: str | None) -> UpgradeStep:
            # start_tls() raises a bad expected_server_hostname at once.
            tls_server_hostname(
                address.hostname, expected_server_hostname=expected_server_hostname
            )
            return functools.partial(self._upgrade, address, options, expected_server_hostname)

        return check

    async def _upgrade(
        self,
        address: SocketAddress,
        options: SocketOptions,
        expected_server_hostname: str | None,
        transport: asyncio.Transport,
        protocol: asyncio.BaseProtocol,
    ) -> None:
        # The handshake of start_tls() is bounded as a connection's is: by the handshake
        # timeout, and by connect_timeout when it is set.
        timeout = self.connect_timeout
        limit = asyncio.timeout(timeout) if timeout is not None else contextlib.nullcontext()
        try:
            async with limit:
                tls_transport = await upgrade_tls(
                    transport,
                    protocol,
                    tls=self.tls,
                    hostname=address.hostname,
                    sni=options.sni,
                    expected_server_hostname=expected_server_hostname,
                    alpn=options.alpn,
                    handshake_timeout=self.tls_handshake_timeout,
                )
        except TimeoutError as exc:
            raise SocketError(
                f"start_tls() with {str(address)!r} timed out after {timeout:g} seconds: "
                "check that the server agreed to TLS, or allow a longer connect_timeout"
            ) from exc
        # loop.start_tls() leaves this to the caller (connect_tls's create_connection does it).
        protocol.connection_made(tls_transport)

    def __repr__(self) -> str:
        return (
            f"Connector(tls={self.tls!r}, proxy={self.proxy!r}, policy={self.policy!r}, "
            f"connect_timeout={self.connect_timeout!r}, "
            f"happy_eyeballs_delay={self.happy_eyeballs_delay!r}, "
            f"tls_handshake_timeout={self.tls_handshake_timeout!r})"
        )


@functools.lru_cache(maxsize=1024)
def _parse_text(address: str) -> tuple[SocketAddress, str, AddrInfo | None]:
    # Programs connect to the same few addresses again and again; a SocketAddress is
    # immutable, and a malformed address raises (nothing is cached for it). With it: its
    # "host:port" name and, for a canonical IP literal, the fast path's target.
    parsed = parse_address(address)
    return parsed, str(parsed), canonical_literal(parsed.hostname, parsed.port)


_default_connector = Connector()


def connect(
    address: str | SocketAddress | Mapping[str, object],
    options: SocketOptionsDict | Mapping[str, object] | SocketOptions | None = None,
    /,
    **kwargs: Unpack[SocketOptionsKwargs],
) -> Socket:
    """Open a TCP connection to ``address`` and return its socket at once [connect].

    Uses a default :class:`Connector`: no proxy, no egress policy, the system's CAs.
    See :meth:`Connector.connect` for the arguments.

    Raises:
        SocketError: The address or an option is malformed.
        RuntimeError: No asyncio event loop is running.
    """
    return _default_connector.connect(address, options, **kwargs)
