"""TLS for client connections: settings, SSL contexts, the name to verify, error messages.

The socket layer calls :func:`connect_tls` (``secure_transport="on"``) or
:func:`upgrade_tls` (``start_tls()``), then :func:`negotiated_alpn`. They are thin wrappers
of asyncio over three synchronous helpers, free of I/O:

- :func:`client_context` gives the ``ssl.SSLContext`` for a connection (built once per
  settings and ALPN list, then cached: building one costs a millisecond, loading the
  system's CA bundle tens of milliseconds);
- :func:`tls_server_hostname` gives the ``server_hostname`` to pass to
  ``loop.start_tls()``: the name the certificate must match and the SNI sent, if any;
- :func:`tls_error` turns what a handshake raised into a :class:`SocketError` naming the
  reason (expired, hostname mismatch, untrusted, not TLS, timed out, ...); it lives in
  ``transport/tls_errors.py``, where the bridge uses it too, and is re-exported here.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import ipaddress
import os
import socket
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import idna
import truststore

from wintersockets.errors import SocketError
from wintersockets.transport.tls_errors import (
    TLSFailure,
    classify_tls_error,
    ssl_detail,
    tls_error,
)

from .dial import literal_connect_failed
from .happy_eyeballs import AddrInfo

__all__ = [
    "DEFAULT_MINIMUM_VERSION",
    "TLSFailure",
    "TLSSettings",
    "classify_tls_error",
    "clear_context_cache",
    "client_context",
    "connect_tls",
    "connect_tls_literal",
    "negotiated_alpn",
    "parse_tls_version",
    "sends_sni",
    "tls_error",
    "tls_server_hostname",
    "upgrade_tls",
    "validate_alpn",
]

#: The oldest protocol version offered unless :attr:`TLSSettings.minimum_version` says.
DEFAULT_MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2

_StrPath = str | os.PathLike[str]

_VERSION_NAMES = {
    "1": ssl.TLSVersion.TLSv1,
    "1.0": ssl.TLSVersion.TLSv1,
    "1.1": ssl.TLSVersion.TLSv1_1,
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def parse_tls_version(text: str) -> ssl.TLSVersion:
    """The ``ssl.TLSVersion`` named ``"1.2"``, ``"1.3"``, ``"TLSv1.2"``, ``"tls1_3"``, ...

    For command lines and configuration files; :class:`TLSSettings` takes the enum.

    Raises:
        SocketError: ``text`` names no TLS version.
    """
    key = text.strip().lower().removeprefix("tlsv").removeprefix("tls").replace("_", ".")
    if key not in _VERSION_NAMES:
        raise SocketError(f"unknown TLS version {text!r}: use '1.2' or '1.3'")
    return _VERSION_NAMES[key]


@dataclass(frozen=True)
class TLSSettings:
    """TLS settings of a :class:`Connector` that ``connect()`` options cannot express.

    Without ``ca_file`` and ``ca_data`` the server is verified against the system's trust
    store; with either, against those CAs only. The settings are hashable: equal settings
    share one cached ``ssl.SSLContext`` (files are read when it is first built; after
    rotating them, call :func:`clear_context_cache`).

    Attributes:
        ca_file: PEM file of the CAs to trust instead of the system's.
        ca_data: the CAs to trust as PEM text (``str``) or DER (``bytes``).
        cert_file: client certificate (PEM, may hold the key and intermediates) for mTLS.
        key_file: the client certificate's private key, if not in ``cert_file``.
        key_password: the key's password, if it is encrypted (never shown in ``repr``).
        minimum_version: oldest protocol to offer (default TLS 1.2).
        maximum_version: newest protocol to offer (default: the newest supported).

    Raises:
        SocketError: a setting has the wrong type, ``key_file``/``key_password`` came
            without ``cert_file``, or ``minimum_version`` is above ``maximum_version``.
    """

    ca_file: _StrPath | None = None
    ca_data: str | bytes | None = None
    cert_file: _StrPath | None = None
    key_file: _StrPath | None = None
    key_password: str | bytes | None = field(default=None, repr=False)
    minimum_version: ssl.TLSVersion | None = None
    maximum_version: ssl.TLSVersion | None = None

    def __post_init__(self) -> None:
        for name in ("ca_file", "cert_file", "key_file"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str | os.PathLike):
                raise SocketError(f"{name} must be a path (str or os.PathLike), got {value!r}")
        for name in ("ca_data", "key_password"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str | bytes):
                kind = type(value).__name__
                raise SocketError(f"{name} must be str or bytes, got a {kind}")
        if self.cert_file is None and (self.key_file is not None or self.key_password):
            raise SocketError(
                "key_file and key_password need cert_file: pass the client certificate too"
            )
        for name in ("minimum_version", "maximum_version"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, ssl.TLSVersion):
                raise SocketError(
                    f"{name} must be an ssl.TLSVersion (see parse_tls_version()), got {value!r}"
                )
        low, high = self.minimum_version, self.maximum_version
        if low is not None and high is not None and low > high:
            raise SocketError(f"minimum_version {low.name} is above maximum_version {high.name}")


def validate_alpn(alpn: Sequence[str]) -> tuple[str, ...]:
    """Check an ALPN list as the handshake will need it, and return it as a tuple.

    Raises:
        SocketError: an entry is not a string of 1 to 255 ASCII characters.
    """
    if isinstance(alpn, str | bytes):
        raise SocketError(f"alpn must be a list of protocol names, got {alpn!r}")
    for protocol in alpn:
        if not (isinstance(protocol, str) and protocol.isascii() and 1 <= len(protocol) <= 255):
            raise SocketError(
                f"alpn protocol names must be 1 to 255 ASCII characters, got {protocol!r}"
            )
    return tuple(alpn)


# Contexts


def client_context(
    tls: ssl.SSLContext | TLSSettings | None = None, alpn: Sequence[str] = ()
) -> ssl.SSLContext:
    """The client ``ssl.SSLContext`` for a connection, offering the ALPN list ``alpn``.

    ``None`` verifies against the system's trust store; :class:`TLSSettings` as it says;
    an ``ssl.SSLContext`` is used as it is. Every context built here requires a valid
    certificate and checks the hostname. Built contexts are cached per settings and ALPN
    list (a few dozen), so calling this for every connection is cheap.

    Python sets ALPN on the context, not per connection, so a caller's own context is
    never changed: combine it with ``alpn`` only by setting ALPN on it yourself.

    Raises:
        SocketError: a file of the settings cannot be read or parsed (the message names
            it), an ALPN entry is invalid, or ``alpn`` was given with a caller's context.
    """
    protocols = validate_alpn(alpn)
    if isinstance(tls, ssl.SSLContext):
        if protocols:
            raise SocketError(
                "alpn cannot be combined with your own ssl.SSLContext (Python sets ALPN on "
                "the whole context): call context.set_alpn_protocols(...) on it instead, "
                f"got alpn={list(protocols)!r}"
            )
        return tls
    if tls is not None and not isinstance(tls, TLSSettings):
        raise SocketError(f"tls must be an ssl.SSLContext, TLSSettings or None, got {tls!r}")
    return _cached_context(tls, protocols)


@functools.lru_cache(maxsize=64)
def _cached_context(settings: TLSSettings | None, alpn: tuple[str, ...]) -> ssl.SSLContext:
    return _build_context(settings or TLSSettings(), alpn)


def clear_context_cache() -> None:
    """Forget every cached context, so the next ones re-read their files (and CA store)."""
    _cached_context.cache_clear()


def _build_context(settings: TLSSettings, alpn: tuple[str, ...]) -> ssl.SSLContext:
    if settings.ca_file is None and settings.ca_data is None:
        context = _system_trust_context()
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        what = {(True, False): "the CA file", (False, True): "the CA data"}.get(
            (settings.ca_file is not None, settings.ca_data is not None), "the CA file and data"
        )
        _load(
            what,
            settings.ca_file,
            lambda: context.load_verify_locations(
                cafile=settings.ca_file, cadata=settings.ca_data
            ),
        )
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    context.minimum_version = settings.minimum_version or DEFAULT_MINIMUM_VERSION
    if settings.maximum_version is not None:
        context.maximum_version = settings.maximum_version
    if settings.cert_file is not None:
        cert_file = settings.cert_file
        _load(
            "the client certificate",
            cert_file,
            lambda: context.load_cert_chain(cert_file, settings.key_file, settings.key_password),
        )
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


def _load(what: str, path: _StrPath | None, load: Callable[[], None]) -> None:
    """Run ``load()``; turn a missing or unparsable file into a :class:`SocketError`."""
    where = f" {os.fspath(path)!r}" if path is not None else ""
    try:
        load()
    except FileNotFoundError as exc:
        raise SocketError(f"could not read {what}{where}: no such file") from exc
    except (ssl.SSLError, OSError, ValueError, TypeError) as exc:
        raise SocketError(
            f"could not load {what}{where}: {ssl_detail(exc)}; "
            "check that it holds PEM certificates (and the matching key)"
        ) from exc


def _system_trust_context() -> ssl.SSLContext:
    """A client context that trusts the operating system's certificate store.

    On macOS and Windows this is ``truststore``'s context, which asks the system's own
    verifier. Elsewhere truststore only points OpenSSL at the system's CA bundle, but does
    it again on every connection (30 to 80 ms here, blocking the event loop); loading the
    bundle once into a plain context gives the same trust for a few microseconds each.
    """
    if sys.platform in ("darwin", "win32"):
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    paths = ssl.get_default_verify_paths()
    if paths.cafile or (paths.capath and _has_hashed_certs(paths.capath)):
        context.set_default_verify_paths()
    else:  # OpenSSL's compiled-in paths are empty: look where distributions put bundles
        for candidate in _CA_BUNDLES:
            if os.path.isfile(candidate):
                context.load_verify_locations(cafile=candidate)
                break
    return context


# Where distributions keep the system CA bundle (the list truststore and certifi-system-
# store search when OpenSSL's own paths have nothing).
_CA_BUNDLES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)


def _has_hashed_certs(capath: str) -> bool:
    try:
        names = os.listdir(capath)
    except OSError:
        return False
    return any(len(name) == 10 and name[8] == "." and name[9].isdigit() for name in names)


# Names


@functools.lru_cache(maxsize=256)  # called for every TLS connection; ipaddress is slow
def _ip_literal(name: str) -> str | None:
    """The canonical text of ``name`` if it is an IP literal (brackets, zone allowed)."""
    text = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    try:
        # A zone ("fe80::1%eth0") is local to this host; certificates never carry one.
        return str(ipaddress.ip_address(text.partition("%")[0]))
    except ValueError:
        return None


def tls_server_hostname(
    hostname: str, *, sni: str | None = None, expected_server_hostname: str | None = None
) -> str:
    """The ``server_hostname`` to pass to ``loop.start_tls()`` (DESIGN decision 8).

    It is the name the certificate must match and, unless it is an IP address, the SNI
    sent: ``expected_server_hostname`` when given (``start_tls()``), else ``sni`` when
    given, else the hostname connected to. IP literals come back in canonical form
    without brackets or zone, so Python's ``ssl`` verifies them as IP addresses and sends
    no SNI (RFC 6066 forbids IP literals there). A trailing dot is dropped and
    internationalized names are IDNA-encoded, as certificates spell names.

    Raises:
        SocketError: the chosen name is empty or not a valid hostname.
    """
    for option, value in (("expected_server_hostname", expected_server_hostname), ("sni", sni)):
        if value is not None and not isinstance(value, str):
            raise SocketError(f"{option} must be a string, got {value!r}")
    name = expected_server_hostname or sni or hostname
    ip = _ip_literal(name)
    if ip is not None:
        return ip
    if name.endswith("."):
        name = name[:-1]
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise SocketError(f"the TLS server name {name!r} is not a valid hostname") from exc
    if not name or any(c in name for c in " /@[]%") or not name.isprintable():
        raise SocketError(f"the TLS server name {name!r} is not a valid hostname")
    return name


def sends_sni(server_hostname: str) -> bool:
    """Whether a handshake with this ``server_hostname`` sends SNI (not for IP literals)."""
    return _ip_literal(server_hostname) is None


# The asyncio calls: thin, so that everything above stays testable without a network.


async def connect_tls(
    sock: socket.socket,
    protocol: asyncio.BaseProtocol,
    *,
    tls: ssl.SSLContext | TLSSettings | None,
    hostname: str,
    sni: str | None = None,
    alpn: Sequence[str] = (),
    handshake_timeout: float | None = None,
) -> asyncio.Transport:
    """Run a TLS handshake over the connected ``sock`` (``secure_transport="on"``).

    The context, server name and ALPN list are checked before any I/O. ``protocol`` gets
    ``connection_made`` with the TLS transport once the handshake is done, as with
    ``loop.create_connection(ssl=...)``, which this wraps.

    Args:
        sock: a connected TCP socket; the transport owns it from now on, and asyncio
            closes it if the handshake fails.
        protocol: the protocol of the TLS transport.
        tls: see :func:`client_context`.
        hostname: the host connected to; with ``sni``, see :func:`tls_server_hostname`.
        sni: the name to send and verify instead of ``hostname``.
        alpn: the protocols to offer; see :func:`negotiated_alpn` for the outcome.
        handshake_timeout: seconds the handshake may take (``None``: asyncio's 60).

    Raises:
        SocketError: from :func:`client_context` or :func:`tls_server_hostname`, or the
            handshake failed (the message says why, see :func:`tls_error`).
    """
    return await _create_tls_connection(
        protocol,
        tls=tls,
        hostname=hostname,
        sni=sni,
        alpn=alpn,
        handshake_timeout=handshake_timeout,
        sock=sock,
    )


# errnos of a failed TCP connect. The fast path below sees connect and handshake fail in
# one call: these say the connect did (SSL errors, resets and aborts are the handshake's).
_CONNECT_ERRNOS: Final = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ETIMEDOUT,
        errno.EADDRNOTAVAIL,
        errno.EADDRINUSE,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.EACCES,
        errno.EPERM,
    }
)


async def connect_tls_literal(
    protocol: asyncio.BaseProtocol,
    info: AddrInfo,
    description: str,
    *,
    tls: ssl.SSLContext | TLSSettings | None,
    hostname: str,
    sni: str | None = None,
    alpn: Sequence[str] = (),
    handshake_timeout: float | None = None,
) -> asyncio.Transport:
    """Connect to a canonical IP literal and run the TLS handshake, in one call.

    The fast path of ``dial()`` followed by :func:`connect_tls` (no policy, no proxy): one
    ``loop.create_connection(host, port, ssl=...)``, which uvloop runs in C. Failures are
    the ones those two raise: a refused or unreachable connect as ``dial()`` words it, a
    failed handshake as :func:`tls_error` does.

    Raises:
        SocketError: as ``dial()`` and :func:`connect_tls` do.
    """
    return await _create_tls_connection(
        protocol,
        tls=tls,
        hostname=hostname,
        sni=sni,
        alpn=alpn,
        handshake_timeout=handshake_timeout,
        host=info[4][0],
        port=info[4][1],
        connect_failed=lambda exc: literal_connect_failed(exc, info, description),
    )


async def _create_tls_connection(
    protocol: asyncio.BaseProtocol,
    *,
    tls: ssl.SSLContext | TLSSettings | None,
    hostname: str,
    sni: str | None,
    alpn: Sequence[str],
    handshake_timeout: float | None,
    sock: socket.socket | None = None,
    host: str | None = None,
    port: int | None = None,
    connect_failed: Callable[[OSError], SocketError] | None = None,
) -> asyncio.Transport:
    # loop.create_connection(ssl=...) over ``sock``, or connecting to ``host``:``port``
    # first; a failed connect is worded by ``connect_failed``, a failed handshake by
    # tls_error().
    context = client_context(tls, alpn)
    server_hostname = tls_server_hostname(hostname, sni=sni)
    loop = asyncio.get_running_loop()
    # create_connection() takes either a socket or a host and port.
    where: dict[str, Any] = {"sock": sock} if sock is not None else {"host": host, "port": port}
    try:
        transport, _ = await loop.create_connection(
            lambda: protocol,
            **where,
            ssl=context,
            server_hostname=server_hostname,
            ssl_handshake_timeout=handshake_timeout,
        )
    except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
        if (
            connect_failed is not None
            and not isinstance(exc, ssl.SSLError)
            and exc.errno in _CONNECT_ERRNOS
        ):
            error = connect_failed(exc)
            raise error from error.__cause__
        raise tls_error(
            exc, server_hostname=server_hostname, timeout=handshake_timeout, alpn=alpn
        ) from exc
    return transport


async def upgrade_tls(
    transport: asyncio.Transport,
    protocol: asyncio.BaseProtocol,
    *,
    tls: ssl.SSLContext | TLSSettings | None,
    hostname: str,
    sni: str | None = None,
    expected_server_hostname: str | None = None,
    alpn: Sequence[str] = (),
    handshake_timeout: float | None = None,
) -> asyncio.Transport:
    """Run a TLS handshake over the open plain ``transport`` (``start_tls()``).

    Wraps ``loop.start_tls()``, which, unlike :func:`connect_tls`, does **not** call
    ``protocol.connection_made``: hand the returned transport to the protocol yourself.
    Bytes the plain transport had already received and delivered stay with its old
    protocol; what arrives from now on is the handshake's. Pause reading on the plain
    transport as soon as the server's go-ahead is read (``Socket.start_tls()`` does), so
    no later plain text reaches the old protocol.

    Args:
        transport: the plain transport; on failure asyncio closes it.
        protocol: the protocol of the TLS transport.
        tls, hostname, sni, alpn, handshake_timeout: as for :func:`connect_tls`.
        expected_server_hostname: the name to verify, over ``sni`` and ``hostname``.

    Raises:
        SocketError: as :func:`connect_tls` does.
    """
    context = client_context(tls, alpn)
    server_hostname = tls_server_hostname(
        hostname, sni=sni, expected_server_hostname=expected_server_hostname
    )
    loop = asyncio.get_running_loop()
    try:
        tls_transport = await loop.start_tls(
            transport,
            protocol,
            context,
            server_hostname=server_hostname,
            ssl_handshake_timeout=handshake_timeout,
        )
    except (OSError, TimeoutError) as exc:
        raise tls_error(
            exc,
            server_hostname=server_hostname,
            timeout=handshake_timeout,
            alpn=alpn,
            starttls=True,
        ) from exc
    if tls_transport is None:  # only if the loop was closed meanwhile
        raise SocketError(f"start_tls() with {server_hostname!r} failed: the loop is closing")
    return tls_transport


def negotiated_alpn(transport: asyncio.BaseTransport) -> str | None:
    """The protocol the server chose by ALPN on a TLS transport, or ``None``."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    protocol: str | None = ssl_object.selected_alpn_protocol()
    return protocol
