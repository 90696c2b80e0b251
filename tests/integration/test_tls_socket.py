"""``secure_transport="on"`` against real TLS servers: openssl s_server, nginx, failures.

Every socket verifies the server: through a ``Connector`` trusting the test CA
(``TLSSettings(ca_file=...)``, ``ca_data`` or an ``ssl.SSLContext``), or through the
default one, which trusts the system's store and so refuses the test CA. ``openssl
s_server -rev`` answers each line reversed and serves one connection at a time, so each
test closes its socket before the next one connects.
"""

from __future__ import annotations

import asyncio
import datetime
import ssl

import pytest

from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_pending,
    assert_settled,
    assert_socket_error,
    close_and_settle,
    read_all,
    rejection,
    settle,
    settled_exception,
    write_until_blocked,
)
from tests.peers.nginx import HELLO, NginxServer
from tests.peers.openssl_server import (
    OpenSSLServer,
    OpenSSLServerPool,
    non_tls_server,
    sni_recording_server,
    stalling_server,
)
from tests.peers.scripted import ScriptedPeer
from tests.peers.tls_certs import TLSCerts, trusting
from wintersockets.connector.connector import Connector, connect
from wintersockets.connector.tls import TLSSettings
from wintersockets.errors import SocketError
from wintersockets.socket.info import SocketInfo, TLSInfo
from wintersockets.socket.socket import Socket


async def opened(sock: Socket) -> SocketInfo:
    async with asyncio.timeout(WITHIN):
        return await sock.opened


async def read_line(sock: Socket) -> bytes:
    """Read up to and including the next newline (s_server answers line by line)."""
    reader = sock.readable.get_reader()
    data = bytearray()
    try:
        async with asyncio.timeout(WITHIN):
            while not data.endswith(b"\n"):
                result = await reader.read()
                assert not result.done, f"the readable ended after {bytes(data)!r}"
                data += result.value
    finally:
        reader.release_lock()
    return bytes(data)


async def reversed_line(sock: Socket, line: bytes) -> bytes:
    writer = sock.writable.get_writer()
    await writer.write(line + b"\n")
    writer.release_lock()
    return await read_line(sock)


# -- handshake, ALPN, SNI, data ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("alpn", "selected"), [(["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1"), ([], None)]
)
async def test_tls_socket_negotiates_alpn_and_carries_data_both_ways(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer, alpn: list[str], selected: str | None
) -> None:
    sock = trusting(tls_certs).connect(openssl_server.address, secure_transport="on", alpn=alpn)
    try:
        assert sock.secure_transport == "on"
        info = await opened(sock)
        assert info.alpn == selected
        assert info.remote_address == openssl_server.address
        assert await reversed_line(sock, b"hello") == b"olleh\n"
        big = bytes(range(32, 127)) * 100  # 9.5 KB: s_server reverses what it reads at once
        assert_bytes_received(await reversed_line(sock, big), big[::-1] + b"\n")
    finally:
        await close_and_settle(sock)
    assert settled_exception(sock.closed) is None


async def test_opened_resolves_after_the_handshake_with_the_certificate_in_tls_info(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer
) -> None:
    sock = trusting(tls_certs).connect(
        openssl_server.address, secure_transport="on", sni="localhost"
    )
    try:
        assert_pending(sock.opened)
        info = await opened(sock)
        tls = info.tls
        assert isinstance(tls, TLSInfo)
        assert tls.version in ("TLSv1.2", "TLSv1.3")
        assert tls.cipher
        assert tls.server_hostname == "localhost"
        assert tls.issuer is not None
        assert "wintersockets test CA" in tls.issuer
        assert tls.subject is not None
        assert "DNS:localhost" in tls.subject_alt_names
        assert "IP Address:127.0.0.1" in tls.subject_alt_names
        now = datetime.datetime.now(datetime.UTC)
        assert tls.not_before is not None
        assert tls.not_after is not None
        assert tls.not_before < now < tls.not_after
        assert tls.certificate is not None
        assert ssl.DER_cert_to_PEM_cert(tls.certificate) == tls_certs.server.cert.read_text()
    finally:
        await close_and_settle(sock)


async def test_plain_sockets_have_no_tls_info() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        try:
            info = await opened(sock)
            assert (info.alpn, info.tls) == (None, None)
        finally:
            await close_and_settle(sock)


@pytest.mark.parametrize("spelling", ["ca_data", "ssl_context"])
async def test_another_ca_can_be_trusted_as_pem_text_or_an_ssl_context(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer, spelling: str
) -> None:
    tls: TLSSettings | ssl.SSLContext = (
        TLSSettings(ca_data=tls_certs.ca_pem)
        if spelling == "ca_data"
        else tls_certs.client_context(alpn=("http/1.1",))
    )
    sock = Connector(tls=tls).connect(openssl_server.address, secure_transport="on")
    try:
        info = await opened(sock)
        assert info.alpn == (None if spelling == "ca_data" else "http/1.1")
        assert await reversed_line(sock, b"trusted") == b"detsurt\n"
    finally:
        await close_and_settle(sock)


async def test_the_default_connector_trusts_the_system_store_not_the_test_ca(
    openssl_server: OpenSSLServer,
) -> None:
    sock = connect(openssl_server.address, secure_transport="on")
    exc = await rejection(sock.opened)
    assert_socket_error(
        exc, match="self-signed / untrusted certificate", cause=ssl.SSLCertVerificationError
    )
    assert "TLSSettings(ca_file=...)" in str(exc)
    await close_and_settle(sock)


async def test_sni_is_sent_as_given_or_as_the_hostname_and_never_for_ip_literals(
    tls_certs: TLSCerts,
) -> None:
    async with sni_recording_server(tls_certs.server_context()) as server:
        for address, sni in (
            (f"127.0.0.1:{server.port}", "localhost"),
            (f"127.0.0.1:{server.port}", None),
            ({"hostname": "localhost", "port": server.port}, None),
        ):
            sock = trusting(tls_certs).connect(address, secure_transport="on", sni=sni)
            try:
                info = await opened(sock)
                assert info.tls is not None
                writer = sock.writable.get_writer()
                await writer.write(b"ping")
                assert (await sock.readable.get_reader().read()).value == b"ping"
            finally:
                await close_and_settle(sock)
    assert server.names == ["localhost", None, "localhost"]


async def test_ipv6_literals_are_verified_as_ip_addresses(
    tls_certs: TLSCerts, openssl_server_ipv6: OpenSSLServer
) -> None:
    sock = trusting(tls_certs).connect(openssl_server_ipv6.address, secure_transport="on")
    try:
        info = await opened(sock)
        assert info.remote_address == openssl_server_ipv6.address
        assert info.tls is not None
        assert info.tls.server_hostname == "::1"
        assert await reversed_line(sock, b"six") == b"xis\n"
    finally:
        await close_and_settle(sock)


async def test_sni_is_also_the_name_the_certificate_must_match(
    tls_certs: TLSCerts, openssl_server_wrong_host: OpenSSLServer
) -> None:
    sock = trusting(tls_certs).connect(
        openssl_server_wrong_host.address, secure_transport="on", sni="wrong.example"
    )
    try:
        await opened(sock)
        assert await reversed_line(sock, b"named") == b"deman\n"
    finally:
        await close_and_settle(sock)


async def test_a_client_certificate_is_presented_when_the_server_asks(
    tls_certs: TLSCerts, openssl_server_mtls: OpenSSLServer
) -> None:
    settings = TLSSettings(
        ca_file=tls_certs.ca, cert_file=tls_certs.client.cert, key_file=tls_certs.client.key
    )
    sock = Connector(tls=settings).connect(openssl_server_mtls.address, secure_transport="on")
    try:
        await opened(sock)
        assert await reversed_line(sock, b"mutual") == b"lautum\n"
    finally:
        await close_and_settle(sock)


async def test_a_refused_client_certificate_breaks_the_connection_with_the_ssl_error(
    tls_certs: TLSCerts, openssl_server_mtls: OpenSSLServer
) -> None:
    """TLS 1.3 servers judge the client certificate after the client's handshake is done:
    the refusal arrives as an alert on the open connection."""
    sock = trusting(tls_certs).connect(openssl_server_mtls.address, secure_transport="on")
    try:
        async with asyncio.timeout(WITHIN):
            await asyncio.wait([sock.opened])
        if settled_exception(sock.opened) is None:
            writer = sock.writable.get_writer()
            writer.write(b"let me in\n").add_done_callback(lambda f: f.exception())
        exc = await rejection(sock.closed)
        assert_socket_error(
            exc,
            match="(the TLS connection with '127.0.0.1.*' failed|could not establish TLS "
            "with '127.0.0.1'): the server requires a client certificate or rejected ours",
            cause=ssl.SSLError,
        )
    finally:
        await close_and_settle(sock)


# -- failures: each rejects opened and closed with one SocketError caused by the ssl error ----


async def assert_tls_failure(
    sock: Socket, words: str, cause: type[BaseException] | tuple[type[BaseException], ...]
) -> SocketError:
    """``opened`` and ``closed`` reject with one SocketError naming ``words``; both streams
    are errored; every future settles."""
    reader = sock.readable.get_reader()
    writer = sock.writable.get_writer()
    early_write = writer.write(b"queued before the handshake")
    exc = await rejection(sock.opened)
    error = assert_socket_error(exc, match=words, cause=cause)
    assert await rejection(sock.closed) is error
    assert await rejection(reader.read()) is error
    assert await rejection(early_write) is error
    assert await rejection(writer.write(b"later")) is error
    await settle(reader.closed, writer.closed)
    assert_settled(sock)
    return error


@pytest.mark.parametrize(
    ("variant", "words"),
    [
        ("expired", "could not establish TLS with '127.0.0.1': certificate has expired"),
        ("not_yet_valid", "certificate is not yet valid"),
        ("wrong_host", r"hostname mismatch \(the certificate is not valid for '127.0.0.1'"),
        ("untrusted", "self-signed / untrusted certificate"),
        ("self_signed", r"self-signed / untrusted certificate \(self-signed certificate"),
    ],
)
async def test_certificate_failures_reject_opened_and_closed_naming_the_reason(
    tls_certs: TLSCerts, openssl_server_pool: OpenSSLServerPool, variant: str, words: str
) -> None:
    server = openssl_server_pool.get(variant)
    sock = trusting(tls_certs).connect(server.address, secure_transport="on")
    await assert_tls_failure(sock, words, ssl.SSLCertVerificationError)


async def test_a_plain_text_peer_is_named_as_not_speaking_tls(tls_certs: TLSCerts) -> None:
    async with non_tls_server() as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="on")
        await assert_tls_failure(
            sock, "the peer did not answer with TLS .*is it a plain-text port", ssl.SSLError
        )


async def test_a_stalled_handshake_times_out_after_the_handshake_timeout(
    tls_certs: TLSCerts,
) -> None:
    async with stalling_server() as peer:
        sock = trusting(tls_certs, tls_handshake_timeout=0.2).connect(
            peer.address, secure_transport="on"
        )
        await assert_tls_failure(
            sock,
            r"the TLS handshake timed out \(no answer after 0.2 s",
            (ConnectionAbortedError, TimeoutError),
        )


async def test_a_stalled_handshake_is_also_bounded_by_the_connect_timeout(
    tls_certs: TLSCerts,
) -> None:
    async with stalling_server() as peer:
        sock = trusting(tls_certs, connect_timeout=0.2).connect(
            peer.address, secure_transport="on"
        )
        await assert_tls_failure(sock, "timed out after 0.2 seconds", TimeoutError)


async def test_close_during_the_handshake_abandons_it_at_once(tls_certs: TLSCerts) -> None:
    async with stalling_server() as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="on")
        await asyncio.sleep(0.05)  # let the handshake start: the server never answers it
        closed = sock.close()
        await settle(closed)
        assert settled_exception(closed) is None
        assert_socket_error(await rejection(sock.opened), match="closed", cause=None)


# -- bad settings are refused before any I/O ---------------------------------------------------


async def test_aborting_the_writable_releases_tls_writes_blocked_by_a_peer_that_never_reads(
    tls_certs: TLSCerts,
) -> None:
    async with ScriptedPeer(read=False, ssl=tls_certs.server_context()) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="on")
        await peer.accept()
        await settle(sock.opened)
        writer = sock.writable.get_writer()
        writes = await write_until_blocked(writer)
        aborted = writer.abort("the application gave up")
        await settle(aborted, *writes)
        assert settled_exception(aborted) is None
        assert "the application gave up" in str(settled_exception(writes[-1]))
        await settle(sock.close())
        assert settled_exception(sock.closed) is None
        assert_settled(sock, *writes)


async def test_tls_settings_and_options_are_checked_synchronously(tls_certs: TLSCerts) -> None:
    with pytest.raises(SocketError, match=r"tls must be TLSSettings, an ssl\.SSLContext or None"):
        Connector(tls="ca.pem")
    with pytest.raises(SocketError, match=r"could not read the CA file .*no such file"):
        Connector(tls=TLSSettings(ca_file=tls_certs.directory / "missing.pem"))
    with pytest.raises(SocketError, match="client context"):
        Connector(tls=ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER))
    with pytest.raises(SocketError, match="tls_handshake_timeout must be a positive number"):
        Connector(tls_handshake_timeout=0)
    own = Connector(tls=tls_certs.client_context())
    with pytest.raises(SocketError, match=r"alpn cannot be combined with your own ssl\.SSLCont"):
        own.connect("127.0.0.1:443", secure_transport="on", alpn=["h2"])
    with pytest.raises(SocketError, match="alpn protocol names must be 1 to 255 bytes"):
        connect("127.0.0.1:443", secure_transport="on", alpn=[""])


# -- nginx: a real HTTPS server ------------------------------------------------------------------


async def https_get(sock: Socket, path: str) -> tuple[bytes, dict[str, str], bytes]:
    """Send a GET with ``Connection: close`` and read the whole response."""
    writer = sock.writable.get_writer()
    await writer.write(
        f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    )
    writer.release_lock()
    response = await read_all(sock)
    head, _, body = response.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status.encode(), headers, body


@pytest.mark.parametrize("reader", ["default", "byob"])
async def test_nginx_serves_the_big_file_over_https_byte_for_byte(
    tls_certs: TLSCerts, nginx_server: NginxServer, reader: str
) -> None:
    sock = trusting(tls_certs).connect(
        nginx_server.address, secure_transport="on", alpn=["http/1.1"], sni="localhost"
    )
    try:
        info = await opened(sock)
        assert info.alpn == "http/1.1"
        writer = sock.writable.get_writer()
        await writer.write(
            b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        response = bytearray()
        async with asyncio.timeout(WITHIN):
            if reader == "default":
                async for chunk in sock.readable:
                    response += chunk
            else:
                byob = sock.readable.get_reader(mode="byob")
                while not (result := await byob.read(memoryview(bytearray(65536)))).done:
                    response += result.value
        head, _, body = bytes(response).partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert f"content-length: {len(nginx_server.big)}".encode() in head.lower()
        assert_bytes_received(body, nginx_server.big)
        await settle(sock.closed)
        assert settled_exception(sock.closed) is None
    finally:
        await close_and_settle(sock)


async def test_nginx_prefers_h2_when_offered(
    tls_certs: TLSCerts, nginx_server: NginxServer
) -> None:
    sock = trusting(tls_certs).connect(
        nginx_server.address, secure_transport="on", alpn=["h2", "http/1.1"]
    )
    try:
        assert (await opened(sock)).alpn == "h2"
    finally:
        await close_and_settle(sock)


async def test_nginx_small_file_then_the_server_closes_the_tls_socket(
    tls_certs: TLSCerts, nginx_server: NginxServer
) -> None:
    sock = trusting(tls_certs).connect(nginx_server.address, secure_transport="on")
    try:
        await opened(sock)
        status, headers, body = await https_get(sock, "/hello.txt")
        assert status == b"HTTP/1.1 200 OK"
        assert headers["content-type"] == "text/plain"
        assert body == HELLO
        await settle(sock.closed)
        assert settled_exception(sock.closed) is None
    finally:
        await close_and_settle(sock)


@pytest.mark.parametrize("proxy", ["socks5_proxy", "http_proxy"])
async def test_tls_through_a_proxy_verifies_the_destination_not_the_proxy(
    tls_certs: TLSCerts, nginx_server: NginxServer, proxy: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(proxy).url
    connector = trusting(tls_certs, proxy=url)
    sock = connector.connect(
        {"hostname": "localhost", "port": nginx_server.port}, secure_transport="on"
    )
    try:
        info = await opened(sock)
        assert info.tls is not None
        assert info.tls.server_hostname == "localhost"
        status, _, body = await https_get(sock, "/hello.txt")
        assert status == b"HTTP/1.1 200 OK"
        assert body == HELLO
    finally:
        await close_and_settle(sock)


async def test_tls_info_is_the_same_on_every_connection_and_unverified_fields_stay_none(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer
) -> None:
    # The decoded certificate fields are kept per certificate; an unverified connection to
    # the same server must still get none of them (getpeercert() decodes nothing then).
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE
    infos: list[TLSInfo] = []
    for connector in (trusting(tls_certs), trusting(tls_certs), Connector(tls=unverified)):
        sock = connector.connect(openssl_server.address, secure_transport="on", sni="localhost")
        try:
            tls = (await opened(sock)).tls
            assert tls is not None
            infos.append(tls)
        finally:
            await close_and_settle(sock)
    first, second, third = infos
    assert first == second
    assert first.subject is not None
    assert "DNS:localhost" in first.subject_alt_names
    assert third.certificate == first.certificate
    assert (third.subject, third.issuer, third.not_after, third.subject_alt_names) == (
        None,
        None,
        None,
        (),
    )
