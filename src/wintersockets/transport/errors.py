"""Translate low-level failures into ``SocketError``: the one place per boundary.

Two boundaries meet the operating system: making a connection (DNS, ``connect()``, TLS
handshake) and using it (reads and writes that fail). Each has one function here, and both
chain the original exception as ``__cause__`` (DESIGN.md decision 1).

As trio distinguishes ``ClosedResourceError`` from ``BrokenResourceError``, messages keep
"closed by this program" (:func:`closed_error`) apart from "broken by the peer or the
network" (:func:`broken_error`): the first is the application's own doing, the second is
not.
"""

from __future__ import annotations

import errno
import socket
import ssl

from wintersockets.errors import SocketError

from .tls_errors import TLSFailure, classify_tls_error, tls_error

__all__: list[str] = []

# Short, lowercase reasons for the errors a connection commonly meets; others use strerror.
_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the peer",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "broken pipe (the peer closed the connection)",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.EADDRNOTAVAIL: "address not available",
}


def describe(exc: BaseException) -> str:
    """A short lowercase reason for ``exc``, without the type name when it adds nothing."""
    if isinstance(exc, SocketError):
        return exc.message
    if isinstance(exc, socket.gaierror):
        return f"could not resolve the name: {_lower_first(exc.strerror or str(exc))}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verification failed: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, TimeoutError) and exc.errno is None:
        return "timed out"
    if isinstance(exc, OSError) and exc.errno is not None:
        reason = _REASONS.get(exc.errno) or _lower_first(exc.strerror or str(exc))
        return f"{reason} (errno {errno.errorcode.get(exc.errno, exc.errno)})"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def connect_error(exc: BaseException, address: str) -> SocketError:
    """The ``SocketError`` for a failed attempt to connect to ``address`` (``host:port``).

    The caller raises it ``from exc``, or the socket sets ``__cause__`` itself.
    """
    if isinstance(exc, SocketError):
        return exc
    error = SocketError(f"connecting to {address!r} failed: {describe(exc)}")
    error.__cause__ = exc
    return error


def broken_error(exc: BaseException, address: str) -> SocketError:
    """The ``SocketError`` for an open connection to ``address`` that failed (RST, EPIPE...).

    A TLS alert on an established connection (a TLS 1.3 server refusing the client's
    certificate after the handshake, say) is worded by :func:`.tls_errors.tls_error`.
    """
    if isinstance(exc, SocketError):
        return exc
    if isinstance(exc, ssl.SSLError) and classify_tls_error(exc) not in _NOT_WORTH_NAMING:
        return tls_error(exc, server_hostname=address, established=True)
    error = SocketError(f"the connection to {address!r} broke: {describe(exc)}")
    error.__cause__ = exc
    return error


# What an established connection's failure says better in plain words: an unexpected EOF
# is the peer hanging up, and an unknown alert gains nothing from the TLS wording.
_NOT_WORTH_NAMING = frozenset({TLSFailure.CLOSED, TLSFailure.OTHER})


def closed_error(address: str, why: str) -> SocketError:
    """The ``SocketError`` for using a socket this program closed; ``why`` says how."""
    return SocketError(f"the socket connected to {address!r} {why}")


def _lower_first(text: str) -> str:
    # "Connection refused" → "connection refused", but "SSL ..." stays as it is.
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
