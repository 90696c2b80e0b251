"""Test certificates for TLS peers, as a session-scoped pytest fixture.

``tls_certs`` yields a :class:`TLSCerts`: a trustme CA the tests trust, and PEM files (in a
temporary directory) for every server and client the TLS tests need::

    ca.pem                               the CA the tests trust
    server.pem, key.pem                  "localhost", 127.0.0.1 and ::1, signed by ca.pem
    expired.pem, expired-key.pem         the same names, expired yesterday
    not-yet-valid.pem, ...-key.pem       the same names, valid from tomorrow
    wrong-host.pem, wrong-host-key.pem   only "wrong.example", signed by ca.pem
    untrusted.pem, untrusted-key.pem     the server's names, signed by another CA
    untrusted-ca.pem                     that other CA (trusted by nobody)
    self-signed.pem, self-signed-key.pem the server's names, signed by its own key
    client.pem, client-key.pem           a client certificate signed by ca.pem (mTLS)
    untrusted-client.pem, ...-key.pem    a client certificate signed by the other CA

:func:`trusting` is a client ``Connector`` that trusts ``ca.pem``.

Use it by importing the fixture into a test module (``from tests.peers.tls_certs import
tls_certs  # noqa: F401``) or by registering this module as a pytest plugin.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wintersockets.connector.connector import Connector
from wintersockets.connector.tls import TLSSettings

__all__ = ["SERVER_NAMES", "CertPair", "TLSCerts", "make_tls_certs", "tls_certs", "trusting"]

#: The identities of every "good" server certificate: a hostname and both loopbacks.
SERVER_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertPair:
    """A certificate (PEM, leaf first, then any intermediates) and its private key."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class TLSCerts:
    """The files written by :func:`make_tls_certs`; see the module docstring."""

    directory: Path
    ca: Path
    untrusted_ca: Path
    server: CertPair
    expired: CertPair
    not_yet_valid: CertPair
    wrong_host: CertPair
    untrusted: CertPair
    self_signed: CertPair
    client: CertPair
    untrusted_client: CertPair

    @property
    def ca_pem(self) -> str:
        """The trusted CA certificate as PEM text (for ``cadata=``)."""
        return self.ca.read_text()

    def client_context(self, *, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
        """A plain client context that trusts :attr:`ca` (for raw asyncio handshakes)."""
        context = ssl.create_default_context(cafile=str(self.ca))
        if alpn:
            context.set_alpn_protocols(list(alpn))
        return context

    def server_context(
        self, pair: CertPair | None = None, *, verify_client: bool = False
    ) -> ssl.SSLContext:
        """A server context presenting ``pair`` (default :attr:`server`).

        With ``verify_client``, clients must present a certificate signed by :attr:`ca`.
        """
        pair = pair or self.server
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(pair.cert), str(pair.key))
        if verify_client:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=str(self.ca))
        return context


def _write_leaf(directory: Path, stem: str, leaf: trustme.LeafCert) -> CertPair:
    cert = directory / f"{stem}.pem"
    key = directory / ("key.pem" if stem == "server" else f"{stem}-key.pem")
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    for blob in leaf.cert_chain_pems[1:]:
        blob.write_to_path(str(cert), append=True)
    leaf.private_key_pem.write_to_path(str(key))
    key.chmod(0o600)
    return CertPair(cert, key)


def _self_signed(directory: Path, now: datetime.datetime) -> CertPair:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )
    pair = CertPair(directory / "self-signed.pem", directory / "self-signed-key.pem")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    pair.key.chmod(0o600)
    return pair


def make_tls_certs(directory: Path) -> TLSCerts:
    """Write every certificate of :class:`TLSCerts` into ``directory`` (which must exist)."""
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    ca = trustme.CA(organization_name="wintersockets test CA")
    other_ca = trustme.CA(organization_name="wintersockets untrusted CA")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    other_ca.cert_pem.write_to_path(str(directory / "untrusted-ca.pem"))
    return TLSCerts(
        directory=directory,
        ca=directory / "ca.pem",
        untrusted_ca=directory / "untrusted-ca.pem",
        server=_write_leaf(directory, "server", ca.issue_cert(*SERVER_NAMES)),
        expired=_write_leaf(
            directory,
            "expired",
            ca.issue_cert(*SERVER_NAMES, not_before=now - 30 * day, not_after=now - day),
        ),
        not_yet_valid=_write_leaf(
            directory,
            "not-yet-valid",
            ca.issue_cert(*SERVER_NAMES, not_before=now + day, not_after=now + 30 * day),
        ),
        wrong_host=_write_leaf(directory, "wrong-host", ca.issue_cert("wrong.example")),
        untrusted=_write_leaf(directory, "untrusted", other_ca.issue_cert(*SERVER_NAMES)),
        self_signed=_self_signed(directory, now),
        client=_write_leaf(
            directory, "client", ca.issue_cert("client.example", common_name="client.example")
        ),
        untrusted_client=_write_leaf(
            directory, "untrusted-client", other_ca.issue_cert("client.example")
        ),
    )


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> TLSCerts:
    """Every test certificate, written once per session; see :class:`TLSCerts`."""
    return make_tls_certs(tmp_path_factory.mktemp("tls-certs"))


def trusting(certs: TLSCerts, **kwargs: Any) -> Connector:
    """A connector that trusts the test CA (``kwargs`` are the ``Connector``'s other options)."""
    return Connector(tls=TLSSettings(ca_file=certs.ca), **kwargs)
