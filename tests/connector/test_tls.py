"""TLS contexts, server names and error messages, checked by real handshakes on loopback.

The handshakes use plain asyncio streams (no Socket yet) against the peers of
``tests/peers``, so these tests also prove that each peer works: ``openssl s_server`` (ALPN
and data both ways, each failing certificate, mTLS), nginx (a 1 MiB download over ALPN
http/1.1, h2, mTLS), PostgreSQL (SSLRequest, TLS, a query) and the STARTTLS SMTP server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import smtplib
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.peers.nginx import HELLO, NginxServer
from tests.peers.openssl_server import (
    OpenSSLServer,
    OpenSSLServerPool,
    non_tls_server,
    sni_recording_server,
    stalling_server,
)
from tests.peers.postgres import PG_STARTUP, PostgresServer, pg_message
from tests.peers.smtp import SMTPServer
from tests.peers.tls_certs import TLSCerts
from wintersockets.connector.tls import (
    DEFAULT_MINIMUM_VERSION,
    TLSFailure,
    TLSSettings,
    classify_tls_error,
    clear_context_cache,
    client_context,
    connect_tls,
    negotiated_alpn,
    parse_tls_version,
    sends_sni,
    tls_error,
    tls_server_hostname,
    upgrade_tls,
    validate_alpn,
)
from wintersockets.errors import SocketError
from wintersockets.starttls_dialogues import (
    SSL_REQUEST,
    SMTPReply,
    StartTLSDialogue,
    parse_smtp_reply,
)

# A safety net only: every wait below ends long before this unless something hangs.
TIMEOUT = 10.0

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):  # ssl.SSLError is an OSError
        await writer.wait_closed()


@contextlib.asynccontextmanager
async def tls_connection(
    host: str, port: int, context: ssl.SSLContext, server_hostname: str, **kwargs: Any
) -> AsyncIterator[Streams]:
    """A TLS connection by plain asyncio streams, closed on exit."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            host, port, ssl=context, server_hostname=server_hostname, **kwargs
        ),
        TIMEOUT,
    )
    try:
        yield reader, writer
    finally:
        await close_quietly(writer)


async def handshake_failure(
    host: str, port: int, context: ssl.SSLContext, server_hostname: str, **kwargs: Any
) -> BaseException:
    """What a handshake that must fail raised."""
    try:
        async with tls_connection(host, port, context, server_hostname, **kwargs):
            pass
    except (OSError, TimeoutError) as exc:
        return exc
    raise AssertionError(f"the handshake with {host}:{port} succeeded")


def ca_settings(certs: TLSCerts, **kwargs: Any) -> TLSSettings:
    return TLSSettings(ca_file=certs.ca, **kwargs)


async def reversed_line(streams: Streams, line: bytes) -> bytes:
    """Send ``line`` to ``s_server -rev``; return its answer."""
    reader, writer = streams
    writer.write(line + b"\n")
    await writer.drain()
    return await asyncio.wait_for(reader.readline(), TIMEOUT)


# TLSSettings and the pure helpers


def test_settings_are_frozen_hashable_and_never_show_the_key_password() -> None:
    one = TLSSettings(cert_file="c.pem", key_file="k.pem", key_password="hunter2")
    assert one == TLSSettings(cert_file="c.pem", key_file="k.pem", key_password="hunter2")
    assert hash(one) == hash(
        TLSSettings(cert_file="c.pem", key_file="k.pem", key_password="hunter2")
    )
    assert "hunter2" not in repr(one)
    with pytest.raises(AttributeError):
        one.ca_file = "x.pem"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key_file": "k.pem"}, "key_file and key_password need cert_file"),
        ({"key_password": "pw"}, "need cert_file"),
        ({"ca_file": 42}, "ca_file must be a path"),
        ({"ca_data": ["pem"]}, "ca_data must be str or bytes, got a list"),
        ({"minimum_version": "1.2"}, r"minimum_version must be an ssl.TLSVersion.*'1.2'"),
        (
            {"minimum_version": ssl.TLSVersion.TLSv1_3, "maximum_version": ssl.TLSVersion.TLSv1_2},
            "minimum_version TLSv1_3 is above maximum_version TLSv1_2",
        ),
    ],
)
def test_settings_reject_bad_input(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(SocketError, match=match):
        TLSSettings(**kwargs)


@pytest.mark.parametrize(
    ("text", "version"),
    [("1.2", ssl.TLSVersion.TLSv1_2), ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
     ("tls1_3", ssl.TLSVersion.TLSv1_3), (" 1.3 ", ssl.TLSVersion.TLSv1_3)],
)  # fmt: skip
def test_parse_tls_version_reads_common_spellings(text: str, version: ssl.TLSVersion) -> None:
    assert parse_tls_version(text) is version


def test_parse_tls_version_rejects_unknown_names() -> None:
    with pytest.raises(SocketError, match=r"unknown TLS version '2\.0'"):
        parse_tls_version("2.0")


@pytest.mark.parametrize("alpn", ["h2", [""], ["x" * 256], ["ĥ2"], [b"h2"]])
def test_validate_alpn_rejects_what_the_handshake_cannot_send(alpn: Any) -> None:
    with pytest.raises(SocketError, match="alpn"):
        validate_alpn(alpn)


@pytest.mark.parametrize(
    ("hostname", "options", "expected"),
    [
        ("localhost", {}, "localhost"),
        ("localhost.", {}, "localhost"),
        ("db.internal", {"sni": "db.example"}, "db.example"),
        (
            "db.internal",
            {"sni": "a.example", "expected_server_hostname": "b.example"},
            "b.example",
        ),
        ("127.0.0.1", {}, "127.0.0.1"),
        ("[::1]", {}, "::1"),
        ("0:0::0001", {}, "::1"),
        ("fe80::1%eth0", {}, "fe80::1"),
        ("10.0.0.1", {"sni": "db.example"}, "db.example"),
        ("bücher.example", {}, "xn--bcher-kva.example"),
    ],
)
def test_tls_server_hostname_picks_and_normalizes_the_name(
    hostname: str, options: dict[str, str], expected: str
) -> None:
    assert tls_server_hostname(hostname, **options) == expected


@pytest.mark.parametrize(
    ("hostname", "options"),
    [
        ("a b", {}),
        ("x", {"sni": "a/b"}),
        ("x", {"sni": 5}),
        ("", {}),
        ("x", {"sni": "a\x00"}),
        ("☃.example", {}),
    ],
)
def test_tls_server_hostname_rejects_names_that_are_not_hostnames(
    hostname: str, options: dict[str, Any]
) -> None:
    with pytest.raises(SocketError, match=r"TLS server name|must be a string"):
        tls_server_hostname(hostname, **options)


def test_sni_is_sent_for_names_only() -> None:
    assert sends_sni("localhost")
    assert not sends_sni("127.0.0.1")
    assert not sends_sni("::1")


# Contexts


def test_contexts_are_cached_per_settings_and_alpn(tls_certs: TLSCerts) -> None:
    settings = ca_settings(tls_certs)
    first = client_context(settings, ["h2"])
    assert client_context(ca_settings(tls_certs), ("h2",)) is first
    assert client_context(settings, ["http/1.1"]) is not first
    assert client_context(settings) is not first
    clear_context_cache()
    assert client_context(settings, ["h2"]) is not first


@pytest.mark.parametrize("use_ca", [False, True])
def test_built_contexts_verify_certificates_and_hostnames(
    tls_certs: TLSCerts, use_ca: bool
) -> None:
    context = client_context(ca_settings(tls_certs) if use_ca else None)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.minimum_version == DEFAULT_MINIMUM_VERSION == ssl.TLSVersion.TLSv1_2


def test_versions_come_from_the_settings(tls_certs: TLSCerts) -> None:
    context = client_context(
        ca_settings(tls_certs, minimum_version=ssl.TLSVersion.TLSv1_3,
                    maximum_version=ssl.TLSVersion.TLSv1_3)
    )  # fmt: skip
    assert context.minimum_version == context.maximum_version == ssl.TLSVersion.TLSv1_3


def test_system_trust_store_holds_the_same_cas_as_the_stdlib_default() -> None:
    stats = client_context(None).cert_store_stats()
    assert stats == ssl.create_default_context().cert_store_stats()


def test_own_context_is_used_as_is(tls_certs: TLSCerts) -> None:
    own = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    own.check_hostname = False
    own.verify_mode = ssl.CERT_NONE
    assert client_context(own) is own
    assert own.verify_mode == ssl.CERT_NONE


def test_own_context_is_never_given_alpn() -> None:
    with pytest.raises(SocketError, match=r"call context.set_alpn_protocols\(...\) on it"):
        client_context(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ["h2"])


def test_wrong_tls_type_is_refused() -> None:
    with pytest.raises(SocketError, match=r"tls must be an ssl\.SSLContext, TLSSettings or None"):
        client_context("ca.pem")  # type: ignore[arg-type]


def test_missing_ca_file_is_named(tls_certs: TLSCerts) -> None:
    missing = tls_certs.directory / "missing.pem"
    with pytest.raises(SocketError, match=r"could not read the CA file '.*missing.pem': no such"):
        client_context(TLSSettings(ca_file=missing))


def test_unparsable_files_are_named(tls_certs: TLSCerts) -> None:
    garbage = tls_certs.directory / "garbage.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(SocketError, match=r"could not load the CA file '.*garbage.pem'") as info:
        client_context(TLSSettings(ca_file=garbage))
    assert isinstance(info.value.__cause__, ssl.SSLError)
    with pytest.raises(SocketError, match="could not load the CA data"):
        client_context(TLSSettings(ca_data="not a certificate"))
    mismatched = TLSSettings(cert_file=tls_certs.client.cert, key_file=tls_certs.server.key)
    with pytest.raises(SocketError, match=r"could not load the client certificate '.*client.pem'"):
        client_context(mismatched)


# Real handshakes with openssl s_server


@pytest.mark.parametrize(
    ("alpn", "selected"), [(["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1"), ([], None)]
)
async def test_s_server_handshake_negotiates_alpn_and_carries_data_both_ways(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer, alpn: list[str], selected: str | None
) -> None:
    context = client_context(ca_settings(tls_certs), alpn)
    name = tls_server_hostname("localhost")
    async with tls_connection("127.0.0.1", openssl_server.port, context, name) as streams:
        ssl_object = streams[1].get_extra_info("ssl_object")
        assert ssl_object.selected_alpn_protocol() == selected
        assert await reversed_line(streams, b"hello") == b"olleh\n"
        big = bytes(range(32, 127)) * 100  # 9.5 KB: several TLS records each way
        assert await reversed_line(streams, big) == big[::-1] + b"\n"


async def test_ca_data_is_trusted_like_ca_file(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer
) -> None:
    context = client_context(TLSSettings(ca_data=tls_certs.ca_pem))
    async with tls_connection("127.0.0.1", openssl_server.port, context, "localhost") as streams:
        assert await reversed_line(streams, b"abc") == b"cba\n"


@pytest.mark.parametrize("variant", ["good", "ipv6"])
async def test_ip_literals_are_verified_as_ip_addresses(
    tls_certs: TLSCerts, openssl_server_pool: OpenSSLServerPool, variant: str
) -> None:
    server = openssl_server_pool.get(variant)
    name = tls_server_hostname(f"[{server.host}]" if variant == "ipv6" else server.host)
    assert name == server.host
    context = client_context(ca_settings(tls_certs))
    async with tls_connection(server.host, server.port, context, name) as streams:
        assert await reversed_line(streams, b"ip") == b"pi\n"


async def test_sni_is_the_chosen_name_and_absent_for_ip_literals(tls_certs: TLSCerts) -> None:
    context = client_context(ca_settings(tls_certs))
    async with sni_recording_server(tls_certs.server_context()) as server:
        for name in (
            tls_server_hostname("localhost"),
            tls_server_hostname("127.0.0.1"),
            tls_server_hostname("127.0.0.1", sni="localhost"),
        ):
            async with tls_connection(server.host, server.port, context, name) as (reader, writer):
                writer.write(b"ping")
                assert await asyncio.wait_for(reader.readexactly(4), TIMEOUT) == b"ping"
    assert server.names == ["localhost", None, "localhost"]


async def test_expected_server_hostname_is_what_the_certificate_must_match(
    tls_certs: TLSCerts, openssl_server_wrong_host: OpenSSLServer, openssl_server: OpenSSLServer
) -> None:
    context = client_context(ca_settings(tls_certs))
    name = tls_server_hostname("localhost", expected_server_hostname="wrong.example")
    async with tls_connection("127.0.0.1", openssl_server_wrong_host.port, context, name) as s:
        assert await reversed_line(s, b"ok") == b"ko\n"
    exc = await handshake_failure("127.0.0.1", openssl_server.port, context, name)
    assert classify_tls_error(exc) is TLSFailure.HOSTNAME_MISMATCH


@pytest.mark.parametrize(
    ("variant", "failure", "words"),
    [
        ("expired", TLSFailure.EXPIRED, "certificate has expired"),
        ("not_yet_valid", TLSFailure.NOT_YET_VALID, "certificate is not yet valid"),
        ("wrong_host", TLSFailure.HOSTNAME_MISMATCH,
         "hostname mismatch (the certificate is not valid for 'localhost'"),
        ("untrusted", TLSFailure.UNTRUSTED,
         "self-signed / untrusted certificate (unable to get local issuer certificate"),
        ("self_signed", TLSFailure.UNTRUSTED,
         "self-signed / untrusted certificate (self-signed certificate"),
    ],
)  # fmt: skip
async def test_certificate_failures_are_named(
    tls_certs: TLSCerts,
    openssl_server_pool: OpenSSLServerPool,
    variant: str,
    failure: TLSFailure,
    words: str,
) -> None:
    server = openssl_server_pool.get(variant)
    context = client_context(ca_settings(tls_certs))
    exc = await handshake_failure("127.0.0.1", server.port, context, "localhost")
    assert isinstance(exc, ssl.SSLCertVerificationError)
    assert classify_tls_error(exc) is failure
    error = tls_error(exc, server_hostname="localhost")
    assert str(error).startswith(f"SocketError: could not establish TLS with 'localhost': {words}")
    assert error.__cause__ is exc


async def test_system_trust_store_does_not_trust_the_test_ca(
    openssl_server: OpenSSLServer,
) -> None:
    exc = await handshake_failure("127.0.0.1", openssl_server.port, client_context(), "localhost")
    assert classify_tls_error(exc) is TLSFailure.UNTRUSTED


async def test_versions_are_enforced(
    tls_certs: TLSCerts, openssl_server_tls12: OpenSSLServer, openssl_server: OpenSSLServer
) -> None:
    port12 = openssl_server_tls12.port
    async with tls_connection(
        "127.0.0.1", port12, client_context(ca_settings(tls_certs)), "localhost"
    ) as (_, writer):
        assert writer.get_extra_info("ssl_object").version() == "TLSv1.2"
    at_most_12 = client_context(ca_settings(tls_certs, maximum_version=ssl.TLSVersion.TLSv1_2))
    async with tls_connection("127.0.0.1", openssl_server.port, at_most_12, "localhost") as s:
        assert s[1].get_extra_info("ssl_object").version() == "TLSv1.2"
    only_13 = client_context(ca_settings(tls_certs, minimum_version=ssl.TLSVersion.TLSv1_3))
    exc = await handshake_failure("127.0.0.1", port12, only_13, "localhost")
    assert classify_tls_error(exc) is TLSFailure.NO_COMMON_VERSION
    assert "no TLS version in common with the server" in str(tls_error(exc, server_hostname="x"))


async def test_alpn_without_overlap_is_named(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer
) -> None:
    context = client_context(ca_settings(tls_certs), ["imap"])
    exc = await handshake_failure("127.0.0.1", openssl_server.port, context, "localhost")
    assert classify_tls_error(exc) is TLSFailure.NO_COMMON_ALPN
    message = str(tls_error(exc, server_hostname="localhost", alpn=["imap"]))
    assert "the server accepts none of the offered ALPN protocols (offered ['imap'])" in message


async def test_mtls_with_a_trusted_client_certificate_carries_data(
    tls_certs: TLSCerts, openssl_server_mtls: OpenSSLServer
) -> None:
    settings = ca_settings(
        tls_certs, cert_file=tls_certs.client.cert, key_file=tls_certs.client.key
    )
    context = client_context(settings)
    async with tls_connection("127.0.0.1", openssl_server_mtls.port, context, "localhost") as s:
        assert await reversed_line(s, b"mutual") == b"lautum\n"


async def send_then_read(port: int, context: ssl.SSLContext, data: bytes) -> bytes:
    """Connect to ``port``, send ``data`` and read a line."""
    async with tls_connection("127.0.0.1", port, context, "localhost") as (reader, writer):
        writer.write(data)  # no drain(): a failure there would hide its cause
        return await asyncio.wait_for(reader.readline(), TIMEOUT)


@pytest.mark.parametrize(
    ("client", "maximum", "failure"),
    [
        (None, None, TLSFailure.CLIENT_CERTIFICATE),
        ("untrusted_client", None, TLSFailure.CLIENT_CERTIFICATE),
        (None, ssl.TLSVersion.TLSv1_2, TLSFailure.HANDSHAKE_REFUSED),
    ],
)
async def test_mtls_refusals_are_named(
    tls_certs: TLSCerts,
    openssl_server_mtls: OpenSSLServer,
    client: str | None,
    maximum: ssl.TLSVersion | None,
    failure: TLSFailure,
) -> None:
    """TLS 1.3 servers judge the client certificate after the client's handshake is done,
    so the refusal surfaces on the first read; TLS 1.2 ones refuse during the handshake."""
    pair = getattr(tls_certs, client) if client else None
    settings = ca_settings(
        tls_certs,
        cert_file=pair.cert if pair else None,
        key_file=pair.key if pair else None,
        maximum_version=maximum,
    )
    context = client_context(settings)
    with pytest.raises(ssl.SSLError) as refused:
        await send_then_read(openssl_server_mtls.port, context, b"let me in\n")
    assert classify_tls_error(refused.value) is failure
    after = tls_error(refused.value, server_hostname="localhost", established=True)
    assert str(after).startswith(
        f"SocketError: the TLS connection with 'localhost' failed: {failure.value}"
    )


@pytest.mark.parametrize("how", ["ssl_handshake_timeout", "asyncio.timeout"])
async def test_a_silent_peer_is_a_handshake_timeout(tls_certs: TLSCerts, how: str) -> None:
    context = client_context(ca_settings(tls_certs))
    async with stalling_server() as peer:
        if how == "ssl_handshake_timeout":
            exc = await handshake_failure(
                peer.host, peer.port, context, "localhost", ssl_handshake_timeout=0.2
            )
        else:
            try:
                async with asyncio.timeout(0.2):
                    await handshake_failure(peer.host, peer.port, context, "localhost")
            except TimeoutError as timeout:
                exc = timeout
    assert classify_tls_error(exc) is TLSFailure.TIMEOUT
    message = str(tls_error(exc, server_hostname="localhost", timeout=0.2))
    assert "the TLS handshake timed out (no answer after 0.2 s" in message


async def test_a_plain_text_peer_did_not_answer_with_tls(tls_certs: TLSCerts) -> None:
    context = client_context(ca_settings(tls_certs))
    async with non_tls_server() as peer:
        exc = await handshake_failure(peer.host, peer.port, context, "localhost")
    assert classify_tls_error(exc) is TLSFailure.NOT_TLS
    message = str(tls_error(exc, server_hostname="localhost"))
    assert "the peer did not answer with TLS (wrong version number: is it a plain-text" in message


async def test_a_peer_that_hangs_up_closed_the_connection(tls_certs: TLSCerts) -> None:
    context = client_context(ca_settings(tls_certs))
    async with non_tls_server(reply=b"") as peer:
        exc = await handshake_failure(peer.host, peer.port, context, "localhost")
    assert classify_tls_error(exc) is TLSFailure.CLOSED


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"certificate verify failed: {message}")
    exc.verify_code = code
    exc.verify_message = message
    return exc


@pytest.mark.parametrize(
    ("exc", "failure"),
    [
        (_verify_error(50, "invalid or inconsistent certificate policy extension"),
         TLSFailure.VERIFY_FAILED),
        (ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), TLSFailure.CLOSED),
        (BrokenPipeError(32, "Broken pipe"), TLSFailure.CLOSED),
        (ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] bad mac (_ssl.c:1)"),
         TLSFailure.OTHER),
    ],
)  # fmt: skip
def test_rarer_failures_are_classified(exc: BaseException, failure: TLSFailure) -> None:
    """Failures the peers cannot be made to produce on cue, built by hand."""
    assert classify_tls_error(exc) is failure
    assert failure.value in str(tls_error(exc, server_hostname="h"))


def test_errors_no_handshake_produces_are_still_described() -> None:
    error = tls_error(ValueError("odd"), server_hostname=None)
    assert classify_tls_error(ValueError("odd")) is TLSFailure.OTHER
    assert str(error) == "SocketError: could not establish TLS with the server: TLS error (odd)"


# nginx


async def http_get(streams: Streams, path: str) -> tuple[bytes, dict[str, str], bytes]:
    """One HTTP/1.1 request with ``Connection: close``; the status line, headers and body."""
    reader, writer = streams
    writer.write(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    status, *lines = head.decode("latin-1").split("\r\n")[:-2]
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    body = await asyncio.wait_for(reader.read(), TIMEOUT)  # until nginx closes
    return status.encode(), headers, body


# The default loop only: this checks the context the Connector builds, through asyncio's
# own streams, and on uvloop those lose the end of a response when the server closes
# while the StreamReader has paused reading (uvloop's TLS shuts down without reading what
# it holds; MagicStack/uvloop#661). wintersockets' own sockets read it all on both loops
# (test_tls_socket.py's nginx test).
@pytest.mark.asyncio_only
async def test_nginx_serves_the_big_file_over_alpn_http11(
    tls_certs: TLSCerts, nginx_server: NginxServer
) -> None:
    context = client_context(ca_settings(tls_certs), ["http/1.1"])
    async with tls_connection("127.0.0.1", nginx_server.port, context, "localhost") as streams:
        assert streams[1].get_extra_info("ssl_object").selected_alpn_protocol() == "http/1.1"
        status, headers, body = await http_get(streams, "/big.bin")
    assert status == b"HTTP/1.1 200 OK"
    assert int(headers["content-length"]) == len(body) == 1 << 20
    assert hashlib.sha256(body).digest() == hashlib.sha256(nginx_server.big).digest()


async def test_nginx_prefers_h2_when_offered(
    tls_certs: TLSCerts, nginx_server: NginxServer
) -> None:
    context = client_context(ca_settings(tls_certs), ["h2", "http/1.1"])
    async with tls_connection("127.0.0.1", nginx_server.port, context, "localhost") as (_, writer):
        assert writer.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"


@pytest.mark.parametrize("with_cert", [True, False])
async def test_nginx_mtls_serves_only_clients_with_a_certificate(
    tls_certs: TLSCerts, nginx_server: NginxServer, with_cert: bool
) -> None:
    pair = tls_certs.client
    settings = (
        ca_settings(tls_certs, cert_file=pair.cert, key_file=pair.key)
        if with_cert
        else ca_settings(tls_certs)
    )
    context = client_context(settings, ["http/1.1"])
    async with tls_connection("127.0.0.1", nginx_server.mtls_port, context, "localhost") as s:
        status, _, body = await http_get(s, "/hello.txt")
    if with_cert:
        assert (status, body) == (b"HTTP/1.1 200 OK", HELLO)
    else:
        assert status == b"HTTP/1.1 400 Bad Request"
        assert b"No required SSL certificate was sent" in body


# PostgreSQL


async def drive(dialogue: StartTLSDialogue, streams: Streams) -> None:
    """Run a STARTTLS dialogue over plain asyncio streams."""
    reader, writer = streams
    while True:
        if outgoing := dialogue.data_to_send():
            writer.write(outgoing)
            await writer.drain()
        if dialogue.done:
            return
        data = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        if data:
            dialogue.receive_data(data)
        else:
            dialogue.receive_eof()


async def pg_read_until_ready(reader: asyncio.StreamReader) -> list[tuple[bytes, bytes]]:
    """Backend messages up to and including ReadyForQuery ('Z')."""
    messages = []
    while True:
        header = await asyncio.wait_for(reader.readexactly(5), TIMEOUT)
        payload = await asyncio.wait_for(
            reader.readexactly(int.from_bytes(header[1:], "big") - 4), TIMEOUT
        )
        kind = header[:1]
        assert kind != b"E", f"postgres reported an error: {payload!r}"
        messages.append((kind, payload))
        if kind == b"Z":
            return messages


async def test_postgres_upgrades_after_ssl_request_and_answers_a_query(
    tls_certs: TLSCerts, postgres_server: PostgresServer
) -> None:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(postgres_server.host, postgres_server.port), TIMEOUT
    )
    try:
        await drive(StartTLSDialogue("postgres"), (reader, writer))
        await writer.start_tls(
            client_context(ca_settings(tls_certs)),
            server_hostname=tls_server_hostname(postgres_server.host),
            ssl_handshake_timeout=TIMEOUT,
        )
        assert writer.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        writer.write(PG_STARTUP)
        assert (b"R", (0).to_bytes(4, "big")) in await pg_read_until_ready(reader)  # AuthOk
        writer.write(pg_message(b"Q", b"SELECT 42\0"))
        rows = [p for kind, p in await pg_read_until_ready(reader) if kind == b"D"]
        # DataRow: Int16 column count, then Int32 length and the bytes of each value.
        assert rows == [(1).to_bytes(2, "big") + (2).to_bytes(4, "big") + b"42"]
        writer.write(pg_message(b"X", b""))
    finally:
        await close_quietly(writer)


# SMTP


async def smtp_command(streams: Streams, buffer: bytearray, line: bytes | None) -> SMTPReply:
    reader, writer = streams
    if line is not None:
        writer.write(line)
        await writer.drain()
    while (reply := parse_smtp_reply(buffer)) is None:
        data = await asyncio.wait_for(reader.read(65536), TIMEOUT)
        assert data, "the SMTP server closed the connection"
        buffer += data
    return reply


async def test_smtp_starttls_then_mail_reaches_the_handler(
    tls_certs: TLSCerts, smtp_server: SMTPServer, loop_kind: str
) -> None:
    streams = await asyncio.wait_for(
        asyncio.open_connection(smtp_server.host, smtp_server.port), TIMEOUT
    )
    reader, writer = streams
    try:
        await drive(StartTLSDialogue("smtp", ehlo_name="client.example"), streams)
        await writer.start_tls(client_context(ca_settings(tls_certs)), server_hostname="localhost")
        buffer = bytearray()
        marker = f"starttls-over-asyncio-{loop_kind}".encode()
        for line, code in [
            (b"EHLO client.example\r\n", 250),
            (b"MAIL FROM:<a@client.example>\r\n", 250),
            (b"RCPT TO:<b@localhost>\r\n", 250),
            (b"DATA\r\n", 354),
            (b"Subject: " + marker + b"\r\n\r\nhello over TLS\r\n.\r\n", 250),
            (b"QUIT\r\n", 221),
        ]:
            assert (await smtp_command((reader, writer), buffer, line)).code == code
    finally:
        await close_quietly(writer)
    [message] = smtp_server.received(marker)
    assert message.tls
    assert message.rcpt_tos == ("b@localhost",)


def test_smtp_server_refuses_mail_before_starttls_and_takes_it_after(
    tls_certs: TLSCerts, smtp_server: SMTPServer
) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@x.example", ["b@localhost"], "Subject: plain\r\n\r\nno\r\n")
        assert refused.value.smtp_code == 530
        client.starttls(context=client_context(ca_settings(tls_certs)))
        client.ehlo()
        client.sendmail("a@x.example", ["b@localhost"], "Subject: via-smtplib\r\n\r\nyes\r\n")
    assert smtp_server.received(b"via-smtplib")[0].tls


# connect_tls and upgrade_tls: the calls the socket layer makes


class Collector(asyncio.Protocol):
    """Keeps what arrives, and when the connection is lost."""

    def __init__(self) -> None:
        self.transport: asyncio.BaseTransport | None = None
        self.data = bytearray()
        self.changed = asyncio.Event()
        self.lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.data += data
        self.changed.set()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)

    async def until(self, size: int) -> bytes:
        """Wait until ``size`` bytes have arrived, and return them."""
        while len(self.data) < size:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), TIMEOUT)
        return bytes(self.data)

    async def close(self) -> None:
        assert self.transport is not None
        self.transport.close()
        await asyncio.wait_for(self.lost, TIMEOUT)


async def connected_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), TIMEOUT
        )
    except BaseException:
        sock.close()
        raise
    return sock


async def test_connect_tls_hands_the_protocol_a_tls_transport(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer
) -> None:
    sock = await connected_socket(openssl_server.port)
    protocol = Collector()
    transport = await connect_tls(
        sock, protocol, tls=ca_settings(tls_certs), hostname="localhost",
        alpn=["h2", "http/1.1"], handshake_timeout=TIMEOUT,
    )  # fmt: skip
    try:
        assert protocol.transport is transport
        assert negotiated_alpn(transport) == "h2"
        transport.write(b"over tls\n")
        assert await protocol.until(9) == b"slt revo\n"
    finally:
        await protocol.close()


@pytest.mark.parametrize(
    ("variant", "words"),
    [("expired", "certificate has expired"), ("wrong_host", "hostname mismatch")],
)
async def test_connect_tls_failures_are_socket_errors_that_say_why(
    tls_certs: TLSCerts, openssl_server_pool: OpenSSLServerPool, variant: str, words: str
) -> None:
    sock = await connected_socket(openssl_server_pool.get(variant).port)
    try:
        with pytest.raises(
            SocketError, match=f"could not establish TLS with 'localhost': {words}"
        ) as info:
            await connect_tls(sock, Collector(), tls=ca_settings(tls_certs), hostname="localhost")
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
    finally:
        sock.close()  # asyncio closed it already; this is a no-op then


async def test_connect_tls_times_out_on_a_silent_peer(tls_certs: TLSCerts) -> None:
    async with stalling_server() as peer:
        sock = await connected_socket(peer.port)
        try:
            with pytest.raises(SocketError, match=r"handshake timed out \(no answer after 0.2 s"):
                await connect_tls(
                    sock, Collector(), tls=ca_settings(tls_certs), hostname="localhost",
                    handshake_timeout=0.2,
                )  # fmt: skip
        finally:
            sock.close()


async def test_connect_tls_checks_its_arguments_before_any_io(tls_certs: TLSCerts) -> None:
    with socket.socket() as sock, pytest.raises(SocketError, match="alpn protocol names"):
        await connect_tls(sock, Collector(), tls=None, hostname="localhost", alpn=[""])


async def test_upgrade_tls_after_postgres_ssl_request(
    tls_certs: TLSCerts, postgres_server: PostgresServer
) -> None:
    loop = asyncio.get_running_loop()
    plain = Collector()
    transport, _ = await asyncio.wait_for(
        loop.create_connection(lambda: plain, postgres_server.host, postgres_server.port), TIMEOUT
    )
    assert negotiated_alpn(transport) is None  # not TLS
    transport.write(SSL_REQUEST)
    assert await plain.until(1) == b"S"
    secure = Collector()
    tls_transport = await upgrade_tls(
        transport, secure, tls=ca_settings(tls_certs), hostname=postgres_server.host,
        handshake_timeout=TIMEOUT,
    )  # fmt: skip
    secure.connection_made(tls_transport)  # asyncio's start_tls does not call it
    try:
        assert negotiated_alpn(tls_transport) is None
        assert tls_transport.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
        tls_transport.write(PG_STARTUP)
        # AuthenticationOk: 'R', length 8, code 0.
        assert (await secure.until(9))[:9] == b"R" + (8).to_bytes(4, "big") + bytes(4)
    finally:
        await secure.close()


async def test_upgrade_tls_verifies_the_expected_server_hostname(
    tls_certs: TLSCerts, smtp_server: SMTPServer
) -> None:
    loop = asyncio.get_running_loop()
    plain = Collector()
    transport, _ = await asyncio.wait_for(
        loop.create_connection(lambda: plain, smtp_server.host, smtp_server.port), TIMEOUT
    )
    dialogue = StartTLSDialogue("smtp")
    fed = 0
    while not dialogue.done:
        await plain.until(fed + 1)
        dialogue.receive_data(plain.data[fed:])
        fed = len(plain.data)
        transport.write(dialogue.data_to_send())
    secure = Collector()
    with pytest.raises(SocketError, match=r"with 'mail\.example': hostname mismatch"):
        await upgrade_tls(
            transport, secure, tls=ca_settings(tls_certs), hostname=smtp_server.host,
            expected_server_hostname="mail.example", handshake_timeout=TIMEOUT,
        )  # fmt: skip
    assert transport.is_closing()
    # The TLS layer took the transport over, so its protocol is told of the loss.
    assert isinstance(await asyncio.wait_for(secure.lost, TIMEOUT), ssl.SSLCertVerificationError)
