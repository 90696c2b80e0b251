"""What an open socket reports about its connection [SocketInfo].

The spec's ``SocketInfo`` dictionary becomes a frozen dataclass. Addresses are written the
way a URL authority writes them: ``"93.184.216.34:443"`` for IPv4 and names, and
``"[::1]:8080"`` for IPv6, so the port can always be split off at the last colon.

For a TLS connection ``SocketInfo.tls`` adds a :class:`TLSInfo` (a Python addition to the
spec's three members): the protocol version, the cipher and the server's certificate, as
Node's ``TLSSocket.getProtocol()``, ``getCipher()`` and ``getPeerCertificate()`` give them.
"""

from __future__ import annotations

import datetime
import ssl
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SocketInfo", "TLSInfo"]

# Short names of the attributes ``ssl.SSLObject.getpeercert()`` spells out (RFC 4514).
_SHORT_NAMES = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "stateOrProvinceName": "ST",
    "localityName": "L",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}


@dataclass(frozen=True, slots=True)
class TLSInfo:
    """What the TLS handshake settled, in ``SocketInfo.tls`` of a TLS socket.

    The certificate fields are ``None`` when the certificate was not verified (an
    ``ssl.SSLContext`` of your own with ``verify_mode=CERT_NONE``); :attr:`certificate`
    always holds it.

    Attributes:
        version: The protocol version, e.g. ``"TLSv1.3"``.
        cipher: The cipher suite, e.g. ``"TLS_AES_256_GCM_SHA384"``.
        server_hostname: The name the certificate was verified against (sent as SNI
            unless it is an IP address).
        subject: The certificate's subject, e.g. ``"CN=example.com"`` (in certificate
            order, attributes by their short names).
        issuer: Who signed the certificate, written as ``subject`` is.
        not_before: When the certificate became valid (UTC).
        not_after: When the certificate expires (UTC).
        subject_alt_names: The names it is valid for, e.g. ``("DNS:example.com",
            "IP Address:127.0.0.1")``.
        certificate: The certificate in DER (``ssl.DER_cert_to_PEM_cert`` makes PEM).
    """

    version: str | None
    cipher: str | None
    server_hostname: str | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: datetime.datetime | None = None
    not_after: datetime.datetime | None = None
    subject_alt_names: tuple[str, ...] = ()
    certificate: bytes | None = field(default=None, repr=False)


def tls_info(ssl_object: ssl.SSLObject) -> TLSInfo:
    """The :class:`TLSInfo` of a completed handshake."""
    cipher = ssl_object.cipher()
    der = ssl_object.getpeercert(binary_form=True)
    verified = ssl_object.context.verify_mode != ssl.CERT_NONE
    fields = _certificate_fields.get((der, verified)) if der is not None else None
    if fields is None:
        fields = _decode(ssl_object.getpeercert() or {})
        if der is not None:
            if len(_certificate_fields) >= _CERTIFICATES_KEPT:
                # Start over: one atomic step, safe with loops in several threads.
                _certificate_fields.clear()
            _certificate_fields[(der, verified)] = fields
    subject, issuer, not_before, not_after, subject_alt_names = fields
    return TLSInfo(
        version=ssl_object.version(),
        cipher=None if cipher is None else cipher[0],
        server_hostname=ssl_object.server_hostname,
        subject=subject,
        issuer=issuer,
        not_before=not_before,
        not_after=not_after,
        subject_alt_names=subject_alt_names,
        certificate=der,
    )


_CertificateFields = tuple[
    str | None, str | None, datetime.datetime | None, datetime.datetime | None, tuple[str, ...]
]

# The decoded fields of the certificates seen lately, by (DER, verified): connecting to the
# same server again (a pool, a retry) sees the same certificate, and decoding it costs
# more than the rest of a TLSInfo (2% of a loopback handshake). Verification matters
# because getpeercert() decodes nothing for an unverified certificate. All immutable.
_certificate_fields: dict[tuple[bytes, bool], _CertificateFields] = {}
_CERTIFICATES_KEPT = 64


def _decode(decoded: dict[str, Any]) -> _CertificateFields:
    return (
        _name(decoded.get("subject")),
        _name(decoded.get("issuer")),
        _time(decoded.get("notBefore")),
        _time(decoded.get("notAfter")),
        tuple(f"{kind}:{value}" for kind, value in decoded.get("subjectAltName", ())),
    )


def _name(rdns: Any) -> str | None:
    if not rdns:
        return None
    return ", ".join(f"{_SHORT_NAMES.get(key, key)}={value}" for rdn in rdns for key, value in rdn)


_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _time(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str):
        return None
    # OpenSSL writes "Nov  5 21:42:10 2026 GMT". Parsed by hand: ssl.cert_time_to_seconds
    # goes through time.strptime, which costs more than the rest of TLSInfo together.
    fields = text.split()
    if len(fields) == 5 and fields[0] in _MONTHS and fields[4] == "GMT":
        hour, _, rest = fields[2].partition(":")
        minute, _, second = rest.partition(":")
        try:
            return datetime.datetime(
                int(fields[3]),
                _MONTHS[fields[0]],
                int(fields[1]),
                int(hour),
                int(minute),
                int(second),
                tzinfo=datetime.UTC,
            )
        except ValueError:
            pass
    return datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), datetime.UTC)


@dataclass(frozen=True, slots=True)
class SocketInfo:
    """Details of an established connection [SocketInfo].

    ``opened`` resolves with one of these once the connection (and, for secure transport,
    the TLS handshake) is complete.

    Attributes:
        remote_address: The peer's actual address and port, e.g. ``"[::1]:8080"``.
        local_address: This end's address and port.
        alpn: The protocol the server picked by ALPN, or ``None``.
        tls: For a TLS connection, its version, cipher and the server's certificate
            (:class:`TLSInfo`); ``None`` for plain TCP. Not in the spec.
    """

    remote_address: str | None
    local_address: str | None
    alpn: str | None = None
    tls: TLSInfo | None = None


def format_host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 literal in brackets (``"[::1]:80"``)."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"
