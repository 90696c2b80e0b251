"""DESIGN.md's ten decisions, each checked against real loopback peers.

Every test is named after the decision it proves (``test_decision_<n>_...``). Decision 8
(``start_tls``) is covered only in its synchronous ``SocketError`` parts here; the TLS
upgrade itself is tested with the TLS suites.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
from typing import Any

import pytest

from tests.integration import contract
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
)
from tests.peers.scripted import ScriptedPeer, hanging_address, refusing_address
from wintersockets.connector.address import SocketAddress
from wintersockets.connector.connector import connect
from wintersockets.errors import SocketError
from wintersockets.socket.info import SocketInfo

# -- 1. errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["no-port-here", "host:", "host:http", ":80", "[::1]", "exa mple.com:80"],
)
async def test_decision_1_invalid_input_raises_socket_error_synchronously(address: str) -> None:
    with pytest.raises(SocketError) as info:
        connect(address)
    assert_socket_error(info.value, cause=None)


async def test_decision_1_socket_error_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^SocketError: "):
        connect("missing-port")


async def test_decision_1_a_refused_connect_rejects_opened_and_closed_and_both_streams() -> None:
    with refusing_address() as address:
        sock = connect(address)
        reader = sock.readable.get_reader()
        writer = sock.writable.get_writer()
        exc = await rejection(sock.opened)
        assert_socket_error(exc, match="refused", cause=ConnectionRefusedError)
        assert await rejection(sock.closed) is exc
        assert isinstance(await rejection(reader.read()), Exception)
        assert isinstance(await rejection(writer.write(b"x")), Exception)
        assert_settled(sock)


async def test_decision_1_an_unknown_option_raises_socket_error() -> None:
    options: Any = {"secureTransprot": "on"}
    with pytest.raises(SocketError, match="secureTransprot"):
        connect("127.0.0.1:80", options)


# -- 2. address ------------------------------------------------------------------------------


async def test_decision_2_a_port_is_required() -> None:
    with pytest.raises(SocketError, match="port"):
        connect("example.com")
    with pytest.raises(SocketError, match="port"):
        connect({"hostname": "example.com"})


@pytest.mark.parametrize("port", [0, -1, 65536, True, 80.0, "80"])
async def test_decision_2_ports_are_integers_from_1_to_65535(port: object) -> None:
    with pytest.raises(SocketError, match="port"):
        connect({"hostname": "127.0.0.1", "port": port})


@pytest.mark.parametrize(
    "address",
    ["[localhost]:80", "[127.0.0.1]:80", "a b:80", "a/b:80", "user@host:80", "ho\x00st:80"],
)
async def test_decision_2_malformed_hosts_are_rejected(address: str) -> None:
    with pytest.raises(SocketError):
        connect(address)


async def test_decision_2_an_overlong_hostname_is_rejected() -> None:
    with pytest.raises(SocketError):
        connect(("a" * 63 + ".") * 4 + "com:80")


async def test_decision_2_every_spelling_of_the_ipv6_loopback_connects() -> None:
    async with ScriptedPeer(host="::1") as peer:
        spellings: list[Any] = [
            f"[::1]:{peer.port}",
            {"hostname": "::1", "port": peer.port},
            {"hostname": "[::1]", "port": peer.port},
            SocketAddress("::1", peer.port),
            f"[0:0:0:0:0:0:0:1]:{peer.port}",
        ]
        for address in spellings:
            sock = connect(address)
            async with asyncio.timeout(WITHIN):
                info = await sock.opened
            assert info.remote_address == f"[::1]:{peer.port}", address
            await close_and_settle(sock)
        assert peer.accepted == len(spellings)


async def test_decision_2_an_internationalized_name_is_accepted_then_fails_to_resolve() -> None:
    sock = connect("bücher.invalid:80")
    exc = await rejection(sock.opened)
    assert_socket_error(exc)
    await settle(sock)


# -- 3. allow_half_open ----------------------------------------------------------------------


async def test_decision_3_allow_half_open_defaults_to_false() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        conn = await peer.accept()
        await settle(sock.opened)
        conn.fin()
        await conn.wait_eof()  # our FIN answers the peer's, unasked
        await settle(sock.closed)
        assert settled_exception(sock.closed) is None


async def test_decision_3_peer_fin_without_half_open_flushes_writes_then_sends_fin() -> None:
    await contract.check_peer_fin_closes_the_socket_without_half_open(contract.plain_tcp)


async def test_decision_3_queued_writes_are_flushed_before_the_automatic_fin() -> None:
    payload = bytes(range(256)) * 4096 * 8  # 8 MiB: more than the kernel buffers hold
    async with contract.plain_tcp() as c:
        c.peer.stop_reading()
        writer = c.sock.writable.get_writer()
        write = writer.write(payload)
        await asyncio.sleep(0.05)  # let the write fill the buffers; order, not timing
        c.peer.fin()
        c.peer.resume_reading()
        assert_bytes_received(await c.peer.wait_eof(), payload)
        await settle(write, c.sock.closed)
        assert settled_exception(write) is None
        assert settled_exception(c.sock.closed) is None


async def test_decision_3_closed_resolves_whether_or_not_the_data_was_read() -> None:
    await contract.check_closed_resolves_when_the_peer_closes_even_unread(contract.plain_tcp)


async def test_decision_3_half_open_keeps_the_writable_until_the_application_closes_it() -> None:
    await contract.check_peer_fin_keeps_the_writable_with_half_open(contract.plain_tcp)


async def test_decision_3_closing_the_writable_sends_fin_and_does_not_resolve_closed() -> None:
    await contract.check_closing_the_writable_sends_fin_and_keeps_reading(contract.plain_tcp)


async def test_decision_3_cancelling_the_readable_does_not_resolve_closed() -> None:
    await contract.check_cancelling_the_readable_does_not_resolve_closed(contract.plain_tcp)


# -- 4. close(reason=None) ------------------------------------------------------------------


async def test_decision_4_close_returns_the_closed_future() -> None:
    await contract.check_close_returns_the_closed_future(contract.plain_tcp)


async def test_decision_4_close_right_after_connect_rejects_opened_with_a_socket_error() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        closed = sock.close()
        assert closed is sock.closed
        exc = await rejection(sock.opened)
        assert_socket_error(exc, match="clos", cause=None)
        await settle(closed)
        assert settled_exception(closed) is None


async def test_decision_4_close_during_a_hanging_connect_aborts_it_at_once() -> None:
    with hanging_address() as address:
        sock = connect(address)
        await asyncio.sleep(0.05)  # the attempt is under way; the peer never answers
        assert_pending(sock.opened)
        reason = RuntimeError("gave up")
        sock.close(reason)
        assert await rejection(sock.opened, within=2.0) is reason
        await settle(sock.closed, within=2.0)
        assert settled_exception(sock.closed) is None


async def test_decision_4_close_flushes_writes_already_accepted() -> None:
    await contract.check_close_flushes_writes_already_accepted(contract.plain_tcp)


async def test_decision_4_reads_and_writes_after_close_fail_with_a_type_error() -> None:
    async with contract.plain_tcp() as c:
        reader = c.sock.readable.get_reader()
        writer = c.sock.writable.get_writer()
        c.sock.close()
        read_error = await rejection(reader.read())
        write_error = await rejection(writer.write(b"late"))
        for exc in (read_error, write_error):
            assert isinstance(exc, TypeError), repr(exc)
            assert "clos" in str(exc), str(exc)


async def test_decision_4_close_with_a_reason_reaches_both_streams() -> None:
    await contract.check_close_with_reason_settles_pending_reads_and_resolves_closed(
        contract.plain_tcp
    )


# -- 5. opened/closed are marked handled ------------------------------------------------------


async def test_decision_5_a_failed_socket_nobody_awaits_logs_nothing() -> None:
    """The harness fails the test on any "exception was never retrieved" log."""
    with refusing_address() as address:
        sock = connect(address)
        opened, closed = sock.opened, sock.closed
        futures: list[asyncio.Future[Any]] = [opened, closed]
        # asyncio.wait does not retrieve exceptions: only the futures' own marking does.
        async with asyncio.timeout(WITHIN):
            await asyncio.wait(futures)
        assert opened.done()
        assert closed.done()
        del sock, opened, closed, futures
        gc.collect()
        await asyncio.sleep(0)


# -- 6. SocketInfo ---------------------------------------------------------------------------


async def test_decision_6_socket_info_has_the_actual_addresses() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(f"localhost:{peer.port}")
        conn = await peer.accept()
        async with asyncio.timeout(WITHIN):
            info = await sock.opened
        client_host, client_port = conn.transport.get_extra_info("peername")[:2]
        assert isinstance(info, SocketInfo)
        assert info.remote_address == f"127.0.0.1:{peer.port}"
        assert info.local_address == f"{client_host}:{client_port}"
        assert info.alpn is None
        with pytest.raises(dataclasses.FrozenInstanceError):
            info.alpn = "h2"  # type: ignore[misc]
        await close_and_settle(sock)


async def test_decision_6_ipv6_addresses_are_bracketed() -> None:
    async with ScriptedPeer(host="::1") as peer:
        sock = connect(peer.address)
        async with asyncio.timeout(WITHIN):
            info = await sock.opened
        assert info.remote_address == f"[::1]:{peer.port}"
        assert info.local_address is not None
        assert info.local_address.startswith("[::1]:")
        await close_and_settle(sock)


# -- 7. written chunks ----------------------------------------------------------------------


async def test_decision_7_writes_made_before_opened_are_sent_once_open() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        writer = sock.writable.get_writer()
        writes = [writer.write(b"early "), writer.write("bird")]
        assert not sock.opened.done()
        conn = await peer.accept()
        assert_bytes_received(await conn.wait_received(10), b"early bird")
        await settle(*writes)
        await close_and_settle(sock)


async def test_decision_7_bytes_like_chunks_are_copied_at_write_time() -> None:
    await contract.check_written_bytes_are_copied_at_write_time(contract.plain_tcp)


async def test_decision_7_str_chunks_are_utf8() -> None:
    await contract.check_str_chunks_are_sent_as_utf8(contract.plain_tcp)


async def test_decision_7_empty_chunks_are_a_no_op() -> None:
    await contract.check_empty_chunks_are_a_no_op(contract.plain_tcp)


async def test_decision_7_other_chunk_types_reject_with_type_error() -> None:
    await contract.check_a_chunk_that_is_not_bytes_rejects_with_type_error(contract.plain_tcp)


# -- 8. start_tls: the synchronous SocketErrors --------------------------------------------


async def test_decision_8_start_tls_needs_secure_transport_starttls() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        with pytest.raises(SocketError, match="starttls"):
            sock.start_tls()
        await close_and_settle(sock)


async def test_decision_8_start_tls_on_a_tls_socket_raises() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address, secure_transport="on")
        with pytest.raises(SocketError):
            sock.start_tls()
        await close_and_settle(sock)


async def test_decision_8_start_tls_on_a_closed_socket_raises() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address, secure_transport="starttls")
        await settle(sock.opened)
        await close_and_settle(sock)
        with pytest.raises(SocketError, match="clos"):
            sock.start_tls()


async def test_decision_8_sni_or_alpn_without_tls_raises() -> None:
    with pytest.raises(SocketError, match="sni"):
        connect("127.0.0.1:80", sni="example.com")
    with pytest.raises(SocketError, match="alpn"):
        connect("127.0.0.1:80", alpn=["h2"])


# -- 9. upgraded and secure_transport -----------------------------------------------------


@pytest.mark.parametrize("mode", ["off", "starttls"])
async def test_decision_9_sockets_expose_secure_transport_and_upgraded(mode: Any) -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address, secure_transport=mode)
        assert sock.secure_transport == mode
        assert sock.upgraded is False
        await settle(sock.opened)
        assert sock.upgraded is False
        await close_and_settle(sock)
        assert sock.secure_transport == mode


async def test_decision_9_secure_transport_reflects_the_javascript_spelling_of_options() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address, {"secureTransport": "starttls", "allowHalfOpen": True})
        assert sock.secure_transport == "starttls"
        await settle(sock.opened)
        await close_and_settle(sock)


# -- 10. a reset by the peer is a failure -----------------------------------------------------


async def test_decision_10_a_reset_rejects_closed_with_connection_reset_as_cause() -> None:
    await contract.check_reset_by_peer_errors_the_readable_and_rejects_closed(contract.plain_tcp)


@pytest.mark.parametrize("allow_half_open", [False, True])
async def test_decision_10_a_reset_after_data_is_not_a_clean_close(allow_half_open: bool) -> None:
    async with contract.plain_tcp(allow_half_open=allow_half_open) as c:
        await c.peer.send(b"partial")
        c.peer.rst()
        exc = await rejection(c.sock.closed)
        assert_socket_error(exc, match="reset", cause=ConnectionResetError)
        with pytest.raises(SocketError):
            await read_all(c.sock)
