"""Why a TLS connection failed, in words: the :class:`SocketError` of a TLS failure.

:func:`tls_error` turns what a handshake raised (or a read or write on an established TLS
connection) into a ``SocketError`` naming the reason (expired, hostname mismatch,
untrusted, not TLS, timed out, ...) and what to do about it, with the exception chained.
The connector uses it for handshakes (``connector/tls.py`` re-exports these names), the
bridge for TLS alerts on an open connection (:func:`~.errors.broken_error`). Pure: no I/O.
"""

from __future__ import annotations

import enum
import ssl
from collections.abc import Sequence

from wintersockets.errors import SocketError

__all__: list[str] = []


class TLSFailure(enum.Enum):
    """Why a TLS connection failed; the value is the phrase :func:`tls_error` uses."""

    EXPIRED = "certificate has expired"
    NOT_YET_VALID = "certificate is not yet valid"
    HOSTNAME_MISMATCH = "hostname mismatch"
    UNTRUSTED = "self-signed / untrusted certificate"
    VERIFY_FAILED = "certificate verification failed"
    NOT_TLS = "the peer did not answer with TLS"
    TIMEOUT = "the TLS handshake timed out"
    NO_COMMON_VERSION = "no TLS version in common with the server"
    NO_COMMON_ALPN = "the server accepts none of the offered ALPN protocols"
    CLIENT_CERTIFICATE = "the server requires a client certificate or rejected ours"
    HANDSHAKE_REFUSED = "the server refused the handshake"
    CLOSED = "the peer closed the connection during the TLS handshake"
    OTHER = "TLS error"


# OpenSSL's X509_V_ERR_* codes (x509_vfy.h), as ssl.SSLCertVerificationError.verify_code.
_EXPIRED_CODES = {10}  # CERT_HAS_EXPIRED
_NOT_YET_VALID_CODES = {9}  # CERT_NOT_YET_VALID
_MISMATCH_CODES = {62, 64}  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH
# UNABLE_TO_GET_ISSUER_CERT, DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN,
# UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_UNTRUSTED
_UNTRUSTED_CODES = {2, 18, 19, 20, 21, 27}

# OpenSSL reason codes of ssl.SSLError, by what they mean for the caller.
_NOT_TLS_REASONS = {"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG",
                    "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE"}  # fmt: skip
_VERSION_REASONS = {"TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL",
                    "NO_PROTOCOLS_AVAILABLE", "TLSV1_ALERT_INAPPROPRIATE_FALLBACK"}  # fmt: skip
_CLIENT_CERT_REASONS = {"TLSV13_ALERT_CERTIFICATE_REQUIRED", "TLSV1_ALERT_UNKNOWN_CA",
                        "SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
                        "SSLV3_ALERT_CERTIFICATE_EXPIRED", "SSLV3_ALERT_CERTIFICATE_REVOKED",
                        "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", "TLSV1_ALERT_ACCESS_DENIED",
                        "SSLV3_ALERT_NO_CERTIFICATE"}  # fmt: skip


def classify_tls_error(exc: BaseException) -> TLSFailure:
    """Why the TLS connection failed, from what the handshake (or a later read) raised."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        if code in _EXPIRED_CODES:
            return TLSFailure.EXPIRED
        if code in _NOT_YET_VALID_CODES:
            return TLSFailure.NOT_YET_VALID
        if code in _MISMATCH_CODES:
            return TLSFailure.HOSTNAME_MISMATCH
        if code in _UNTRUSTED_CODES:
            return TLSFailure.UNTRUSTED
        return TLSFailure.VERIFY_FAILED
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return TLSFailure.CLOSED
    if isinstance(exc, ssl.SSLError):
        # Only errors raised by the ssl module carry `reason`; hand-made ones do not.
        reason = getattr(exc, "reason", None) or ""
        # Python 3.11 leaves `reason` unset for alerts its error table does not name.
        text = str(exc).lower()
        if reason in _NOT_TLS_REASONS:
            return TLSFailure.NOT_TLS
        if reason in _VERSION_REASONS:
            return TLSFailure.NO_COMMON_VERSION
        if reason == "TLSV1_ALERT_NO_APPLICATION_PROTOCOL" or "no application protocol" in text:
            return TLSFailure.NO_COMMON_ALPN
        if reason in _CLIENT_CERT_REASONS:
            return TLSFailure.CLIENT_CERTIFICATE
        if reason == "SSLV3_ALERT_HANDSHAKE_FAILURE":
            return TLSFailure.HANDSHAKE_REFUSED
        return TLSFailure.OTHER
    # asyncio and uvloop abort a slow handshake with this ConnectionAbortedError;
    # TimeoutError comes from a timeout the caller wrapped around the handshake.
    if isinstance(exc, TimeoutError) or (
        isinstance(exc, ConnectionAbortedError) and "handshake is taking longer" in str(exc)
    ):
        return TLSFailure.TIMEOUT
    # asyncio reports a peer that closes mid-handshake as ConnectionResetError.
    if isinstance(exc, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
        return TLSFailure.CLOSED
    return TLSFailure.OTHER


def ssl_detail(exc: BaseException) -> str:
    """OpenSSL's words without the ``[SSL: X]`` tag or the ``(_ssl.c:123)`` location."""
    verify_message = getattr(exc, "verify_message", None)
    if isinstance(exc, ssl.SSLCertVerificationError) and verify_message:
        return str(verify_message).rstrip(".")
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    if text.startswith("["):
        text = text.partition("] ")[2] or text
    head, sep, tail = text.rpartition(" (_ssl.c:")
    return (head if sep and tail.endswith(")") else text).rstrip(".")


def tls_error(
    exc: BaseException,
    *,
    server_hostname: str | None,
    timeout: float | None = None,
    alpn: Sequence[str] = (),
    established: bool = False,
    starttls: bool = False,
) -> SocketError:
    """A :class:`SocketError` that says why TLS with ``server_hostname`` failed.

    Pass what the handshake raised, or with ``established=True`` what a read or write
    raised after it (TLS 1.3 servers reject a client certificate only then). ``timeout``
    is the handshake timeout in seconds and ``alpn`` the protocols offered, both only for
    the message; ``starttls`` says the handshake upgraded a plain-text connection, whose
    usual mistakes the message then names. The error's ``__cause__`` is ``exc``; raise it
    with ``raise tls_error(...) from exc``.
    """
    failure = classify_tls_error(exc)
    detail = ssl_detail(exc)
    match failure:
        case TLSFailure.EXPIRED:
            hint = "the server must renew its certificate (or this machine's clock is wrong)"
        case TLSFailure.NOT_YET_VALID:
            hint = "check the clocks of this machine and of the server"
        case TLSFailure.HOSTNAME_MISMATCH:
            hint = (
                f"the certificate is not valid for {server_hostname!r}: connect with a name "
                "it lists, or pass sni= / expected_server_hostname= with one"
            )
        case TLSFailure.UNTRUSTED:
            hint = f"{detail}: trust its CA with TLSSettings(ca_file=...) or ca_data=..."
        case TLSFailure.NOT_TLS if starttls:
            hint = (
                f"{detail}: the server sent plain text where the handshake was expected; "
                "call start_tls() only once the server has agreed to TLS, after reading "
                "its whole reply"
            )
        case TLSFailure.NOT_TLS:
            hint = (
                f"{detail}: is it a plain-text port? use secure_transport='off', or "
                "'starttls' if the protocol upgrades in-band"
            )
        case TLSFailure.TIMEOUT:
            after = f" after {timeout:g} s" if timeout is not None else ""
            hint = (
                f"no answer{after}: did the server agree to TLS before start_tls()?"
                if starttls
                else f"no answer{after}: the peer accepted the connection but never finished it"
            )
        case TLSFailure.NO_COMMON_VERSION:
            hint = f"{detail}: the server may be too old, see TLSSettings(minimum_version=...)"
        case TLSFailure.NO_COMMON_ALPN:
            hint = f"offered {list(alpn)!r}" if alpn else detail
        case TLSFailure.CLIENT_CERTIFICATE:
            hint = f"{detail}: give one it trusts with TLSSettings(cert_file=..., key_file=...)"
        case TLSFailure.HANDSHAKE_REFUSED:
            hint = f"{detail}: no cipher in common, or it requires a client certificate"
        case _:
            hint = detail
    name = repr(server_hostname) if server_hostname else "the server"
    what = (
        f"the TLS connection with {name} failed"
        if established
        else (f"could not establish TLS with {name}")
    )
    error = SocketError(f"{what}: {failure.value} ({hint})")
    error.__cause__ = exc
    return error
