"""Dial: from a host name and port to a connected socket, under policy and timeout.

:func:`dial` runs the connection-establishment pipeline below the ``Socket``::

    egress policy → resolve (once) → egress policy on every address → Happy Eyeballs
    → (proxy handshake) → connected non-blocking socket.socket

and :func:`check_literal_destination` is its synchronous first step, so that ``connect()``
can refuse a blocked IP literal before it returns.

What the egress policy guarantees, without a proxy:

- A connection only ever goes to an address the policy allowed: the name is resolved
  once, each resolved address is checked, and the sockets connect to exactly those
  checked addresses. There is no second lookup for DNS rebinding to slip through, and
  an IP literal is decided on its parsed value, so ``"127.1"``, ``"0x7f000001"`` or
  ``"::ffff:127.0.0.1"`` are all ``127.0.0.1`` (see ``egress.py`` for every spelling).
- Blocked addresses among a name's addresses are skipped; the connection goes to the
  allowed ones. If none is allowed, the dial fails with a "blocked" ``SocketError``
  listing each address and the rule that refused it.
- ``"localhost"`` and names under ``.localhost`` are refused up front when loopback is
  blocked (RFC 6761 §6.3 reserves them for loopback), as are IP literals.

With a proxy, the proxy makes the connection, so less can be guaranteed:

- Literal destinations and ``localhost`` names are checked here, and blocked ports are
  refused, before anything is sent. The proxy is sent the checked address in canonical
  form, never the original spelling, so the proxy cannot read it differently.
- Names are resolved by the proxy (SOCKS5 remote DNS, HTTP CONNECT): what they resolve
  to cannot be checked here. Resolving locally first would check a lookup the proxy
  never uses. A deployment that needs the policy for proxied names must enforce it in
  the proxy (or not configure one).
- The policy does not apply to the proxy's own address: the proxy URL is the operator's
  configuration, not the caller's input, and proxies commonly run on loopback or a
  private network.

The timeout covers the whole dial: resolution, every attempt, and the proxy handshake.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import math
import os
import socket

from wintersockets.connector.egress import (
    EgressPolicy,
    IPAddress,
    blocked_message,
    format_address,
    lenient_ipv4,
    parse_ip_literal,
)
from wintersockets.connector.happy_eyeballs import (
    DEFAULT_DELAY,
    AddrInfo,
    DialError,
    attempt_failed,
    connect_socket,
    format_sockaddr,
    interleave_addrinfos,
    race_connections,
    sockaddr_ip,
)
from wintersockets.connector.proxy import ProxySettings, parse_proxy_url, proxy_handshake
from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port
from wintersockets.transport.errors import describe
from wintersockets.transport.protocol import is_asyncio_loop

# The Connector's machinery (importable, not public API).
__all__: list[str] = []

_LOOPBACKS = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))


async def dial(
    hostname: str,
    port: int,
    *,
    policy: EgressPolicy | None = None,
    proxy: ProxySettings | str | None = None,
    happy_eyeballs_delay: float = DEFAULT_DELAY,
    # The Connector's setting, applied with asyncio.timeout inside; callers need not wrap.
    timeout: float | None = None,  # noqa: ASYNC109
) -> socket.socket:
    """Open a TCP connection to ``hostname:port`` and return the connected socket.

    Args:
        hostname: A DNS name (ASCII, IDNA-encoded) or an IP literal in any spelling a
            resolver accepts; IPv6 with or without brackets.
        port: The TCP port, 1 to 65535.
        policy: The egress policy to enforce, or ``None`` for none.
        proxy: Connect through this proxy (settings or a URL such as
            ``"socks5://user:pass@127.0.0.1:1080"``), or directly if ``None``.
        happy_eyeballs_delay: Seconds between connection attempts (RFC 8305).
        timeout: Seconds the whole dial may take, or ``None`` for no limit.

    Returns:
        A connected, non-blocking ``socket.socket``; the caller owns it.

    Raises:
        SocketError: The destination is blocked, the name does not resolve, every
            attempt failed, the proxy refused, or the dial timed out. The cause is chained.

    Warning:
        Cancelling the dial closes every socket it opened before ``CancelledError``
        propagates.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise SocketError(f"port must be an integer from 1 to 65535, got {port!r}")
    _check_number("happy_eyeballs_delay", happy_eyeballs_delay, allow_zero=True)
    if timeout is not None:
        _check_number("timeout", timeout, allow_zero=False)
    settings = parse_proxy_url(proxy) if isinstance(proxy, str) else proxy
    literal = parse_ip_literal(hostname)
    _check_destination(hostname, literal, port, policy)
    description = _host_port(hostname, port) if literal is None else format_address(literal, port)
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            if settings is None:
                return await _connect_direct(
                    hostname, literal, port, policy, happy_eyeballs_delay, description
                )
            return await _connect_through_proxy(
                hostname, literal, port, settings, happy_eyeballs_delay, description
            )
    except TimeoutError as exc:
        if not deadline.expired():
            raise
        through = f" through {settings.description}" if settings else ""
        raise SocketError(
            f"connecting to {description!r}{through} timed out after {timeout:g} seconds:"
            " check that the host is reachable, or allow a longer timeout"
        ) from exc


@functools.lru_cache(maxsize=1024)
def canonical_literal(hostname: str, port: int) -> AddrInfo | None:
    """The address to connect to, if ``hostname`` is an IP literal written canonically.

    Canonically means as ``ipaddress`` writes it, with no zone id (``"127.0.0.1"``,
    ``"::1"``): then resolving and formatting it, as :func:`dial` does, gives it back
    unchanged. Names and other spellings (``"127.1"``, ``"0:0::1"``) give ``None``.
    Cached: the answer depends on the arguments alone, and is an immutable tuple.
    """
    try:
        packed = socket.inet_pton(socket.AF_INET, hostname)
    except OSError:
        if ":" not in hostname or "%" in hostname:
            return None
        try:
            canonical = str(ipaddress.IPv6Address(hostname))
        except ValueError:
            return None
        if canonical != hostname:
            return None
        return (
            socket.AF_INET6,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
            "",
            (hostname, port, 0, 0),
        )
    if socket.inet_ntop(socket.AF_INET, packed) != hostname:
        return None
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (hostname, port))


async def connect_literal(
    info: AddrInfo,
    description: str,
    protocol: asyncio.BaseProtocol,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
) -> asyncio.BaseTransport:
    """Connect to a :func:`canonical_literal` address with a transport driving ``protocol``.

    The fast path of :func:`dial` followed by ``loop.create_connection(sock=...)``, when
    there is neither an egress policy nor a proxy and the destination is a literal: one
    ``loop.create_connection(host, port)`` call, which uvloop runs entirely in C and the
    default loop without a lookup. Failures are the ones :func:`dial` raises.

    ``loop`` is the running loop, when the caller has it at hand.

    Raises:
        DialError: The connection failed; the ``OSError`` is chained as the cause.
    """
    if loop is None:
        loop = asyncio.get_running_loop()
    try:
        if is_asyncio_loop(loop):
            transport = await _connect_socket_now(loop, protocol, info)
        else:
            transport, _ = await loop.create_connection(lambda: protocol, info[4][0], info[4][1])
    except OSError as exc:
        error = literal_connect_failed(exc, info, description)
        raise error from error.__cause__
    return transport


async def _connect_socket_now(
    loop: asyncio.AbstractEventLoop, protocol: asyncio.BaseProtocol, info: AddrInfo
) -> asyncio.BaseTransport:
    # The default loop's create_connection(host, port) always waits for the socket to
    # become writable: two loop turns, even on loopback, where a non-blocking connect is
    # usually complete as soon as connect() returns. connect_socket() checks for that.
    sock = await connect_socket(loop, info)
    try:
        transport, _ = await loop.create_connection(lambda: protocol, sock=sock)
    except BaseException:
        sock.close()
        raise
    return transport


def literal_connect_failed(exc: OSError, info: AddrInfo, description: str) -> DialError:
    """The error :func:`dial` raises for the failed connect ``exc`` to a literal ``info``.

    Its ``__cause__`` is the ``OSError`` as dial's own attempt reports it: the errno's
    subclass with the system's message (the default loop words it "Connect call failed").
    """
    failure = exc
    if failure.errno is not None:
        failure = OSError(failure.errno, os.strerror(failure.errno))
    return attempt_failed(description, info, failure)


def check_literal_destination(hostname: str, port: int, policy: EgressPolicy | None) -> None:
    """Refuse, synchronously, a destination the policy blocks without any lookup.

    Checks the port, IP literals in every spelling, and ``localhost`` names. Names that
    need resolving pass here and are checked by :func:`dial` on every resolved address.

    Raises:
        SocketError: The destination is blocked; the message says by which rule.
    """
    if policy is not None:
        _check_destination(hostname, parse_ip_literal(hostname), port, policy)


def _check_destination(
    hostname: str, literal: IPAddress | None, port: int, policy: EgressPolicy | None
) -> None:
    if policy is None:
        return
    reason = policy.check_port(port)
    if reason is not None:
        raise SocketError(blocked_message(repr(_host_port(hostname, port)), reason))
    lenient = lenient_ipv4(hostname)
    for address in (literal, lenient):
        if address is None:
            continue
        reason = policy.check(address, port)
        if reason is not None:
            raise SocketError(blocked_message(_shown(hostname, address, port), reason))
    name = hostname.lower().rstrip(".")
    if literal is None and (name == "localhost" or name.endswith(".localhost")):
        for address in _LOOPBACKS:
            reason = policy.check(address, port)
            if reason is not None:
                raise SocketError(
                    blocked_message(
                        repr(_host_port(hostname, port)),
                        f"{hostname!r} always means loopback (RFC 6761), and {reason}",
                    )
                )


async def _connect_direct(
    hostname: str,
    literal: IPAddress | None,
    port: int,
    policy: EgressPolicy | None,
    delay: float,
    description: str,
) -> socket.socket:
    infos = await _resolve(hostname, literal, port, description)
    if policy is not None:
        infos = _allowed(infos, hostname, port, policy)
    sock = await race_connections(
        interleave_addrinfos(infos), delay=delay, description=description
    )
    if policy is not None:
        # Defense in depth: the peer is one of the checked addresses by construction.
        peer = sockaddr_ip(sock.getpeername())
        reason = policy.check(peer, port)
        if reason is not None:
            sock.close()
            raise SocketError(blocked_message(repr(format_address(peer, port)), reason))
    return sock


async def _connect_through_proxy(
    hostname: str,
    literal: IPAddress | None,
    port: int,
    proxy: ProxySettings,
    delay: float,
    description: str,
) -> socket.socket:
    # Not the policy: the proxy's address is trusted configuration (module docstring).
    try:
        sock = await _connect_direct(
            proxy.host,
            parse_ip_literal(proxy.host),
            proxy.port,
            None,
            delay,
            _host_port(proxy.host, proxy.port),
        )
    except DialError as exc:
        # One sentence about the destination, the proxy and why, not one nested in another.
        raise SocketError(
            f"connecting to {description!r} failed: cannot reach the {proxy.description}:"
            f" {exc.reason}"
        ) from exc.__cause__
    try:
        if literal is not None:
            # The checked address, never the spelling: the proxy must not reread it.
            bare = literal if literal.version == 4 else ipaddress.IPv6Address(int(literal))
            target = str(bare)
        else:
            target = hostname
        await proxy_handshake(sock, proxy, target, port)
    except BaseException:
        sock.close()
        raise
    return sock


async def _resolve(
    hostname: str, literal: IPAddress | None, port: int, description: str
) -> list[AddrInfo]:
    if literal is not None:
        return [_literal_addrinfo(hostname, literal, port)]
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(
            hostname, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except OSError as exc:
        reason = describe(exc)
        if not isinstance(exc, socket.gaierror):  # describe() says so for those only
            reason = f"could not resolve the name: {reason}"
        raise DialError(description, f"{reason}; check the host name") from exc
    except UnicodeError as exc:
        raise DialError(
            description, f"could not resolve the name: {exc}; check the host name"
        ) from exc
    usable = [info for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]
    if not usable:
        raise DialError(description, "could not resolve the name: no IPv4 or IPv6 address")
    return usable  # type: ignore[return-value]  # typeshed's sockaddr union is wider


def _allowed(
    infos: list[AddrInfo], hostname: str, port: int, policy: EgressPolicy
) -> list[AddrInfo]:
    allowed: list[AddrInfo] = []
    refused: list[str] = []
    for info in infos:
        reason = policy.check(sockaddr_ip(info[4]), port)
        if reason is None:
            allowed.append(info)
        else:
            refused.append(f"{format_sockaddr(info[4])}: {reason}")
    if allowed:
        return allowed
    shown = repr(_host_port(hostname, port))
    if len(refused) == 1:
        address, _, reason = refused[0].partition(": ")
        raise SocketError(blocked_message(f"{shown} ({address})", reason))
    raise SocketError(
        blocked_message(shown, f"all {len(refused)} addresses are refused: " + "; ".join(refused))
    )


def _literal_addrinfo(hostname: str, address: IPAddress, port: int) -> AddrInfo:
    if isinstance(address, ipaddress.IPv4Address):
        return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (str(address), port))
    scope_index = 0
    if address.scope_id:
        scope = address.scope_id
        try:
            scope_index = int(scope) if scope.isdigit() else socket.if_nametoindex(scope)
        except OSError as exc:
            raise SocketError(
                f"unknown network interface {scope!r} in {hostname!r};"
                " use the name or index of an interface of this host"
            ) from exc
    bare = str(ipaddress.IPv6Address(int(address)))
    return (
        socket.AF_INET6,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
        "",
        (bare, port, 0, scope_index),
    )


def _shown(hostname: str, address: IPAddress, port: int) -> str:
    """The destination as a message shows it: the spelling too when it is unusual."""
    shown = format_address(address, port)
    if hostname.strip("[]") == str(address):
        return repr(shown)
    return f"{_host_port(hostname, port)!r} ({shown})"


def _host_port(hostname: str, port: int) -> str:
    """``"host:port"``, ``"[v6]:port"``, whether or not ``hostname`` has brackets."""
    if hostname.startswith("[") and hostname.endswith("]"):
        hostname = hostname[1:-1]
    return format_host_port(hostname, port)


def _check_number(name: str, value: object, *, allow_zero: bool) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        bound = "zero or more" if allow_zero else "more than zero"
        raise SocketError(f"{name} must be a finite number of seconds, {bound}, got {value!r}")
