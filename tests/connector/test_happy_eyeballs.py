"""Happy Eyeballs: RFC 8305 ordering (pure) and the racing connect, on real loopback peers.

"localhost" resolves to 127.0.0.1 only on this machine (see /etc/hosts), so the racing
tests build their ``getaddrinfo``-style lists from ::1 and 127.0.0.1 themselves.
"""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest

from tests.peers.listeners import Listener, black_hole, closed_port, listener, no_socket_leak
from wintersockets.connector.happy_eyeballs import (
    AddrInfo,
    DialError,
    format_sockaddr,
    interleave_addrinfos,
    race_connections,
)
from wintersockets.errors import SocketError
from wintersockets.transport.errors import describe

# A bound on every racing test: generous, never reached when the code is right.
LIMIT = 10.0


def info(host: str, port: int) -> AddrInfo:
    if ":" in host:
        return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (host, port))


def info_of(peer: Listener) -> AddrInfo:
    return info(peer.host, peer.port)


def hosts(infos: list[AddrInfo]) -> list[str]:
    return [entry[4][0] for entry in infos]


# --- ordering (RFC 8305 §4) ------------------------------------------------------------


def test_families_alternate_starting_with_the_first_result() -> None:
    infos = [info("::1", 1), info("::2", 1), info("10.0.0.1", 1), info("10.0.0.2", 1)]
    assert hosts(interleave_addrinfos(infos)) == ["::1", "10.0.0.1", "::2", "10.0.0.2"]


def test_ipv4_goes_first_when_the_resolver_lists_it_first() -> None:
    infos = [info("10.0.0.1", 1), info("::1", 1), info("::2", 1)]
    assert hosts(interleave_addrinfos(infos)) == ["10.0.0.1", "::1", "::2"]


def test_first_address_family_count_front_loads_the_preferred_family() -> None:
    infos = [info("::1", 1), info("::2", 1), info("::3", 1), info("10.0.0.1", 1)]
    ordered = interleave_addrinfos(infos, first_address_family_count=2)
    assert hosts(ordered) == ["::1", "::2", "10.0.0.1", "::3"]


def test_duplicates_are_dropped_and_order_within_a_family_kept() -> None:
    infos = [info("10.0.0.2", 1), info("10.0.0.1", 1), info("10.0.0.2", 1)]
    assert hosts(interleave_addrinfos(infos)) == ["10.0.0.2", "10.0.0.1"]


def test_an_empty_list_orders_to_an_empty_list() -> None:
    assert interleave_addrinfos([]) == []


def test_first_address_family_count_must_be_positive() -> None:
    with pytest.raises(ValueError, match="first_address_family_count must be at least 1"):
        interleave_addrinfos([info("::1", 1)], first_address_family_count=0)


def test_addresses_are_formatted_with_brackets_and_scope() -> None:
    assert format_sockaddr(("127.0.0.1", 80)) == "127.0.0.1:80"
    assert format_sockaddr(("::1", 80, 0, 0)) == "[::1]:80"
    assert format_sockaddr(("fe80::1", 80, 0, 2)) == "[fe80::1%2]:80"


def test_os_errors_are_described_in_lowercase_words_with_the_errno() -> None:
    """The reasons in connection failure messages come from transport.errors.describe."""
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('x', 1)")
    assert describe(refused) == "connection refused (errno ECONNREFUSED)"
    assert describe(socket.gaierror(-2, "Name or service not known")) == (
        "could not resolve the name: name or service not known"
    )
    assert describe(OSError("odd")) == "OSError: odd"


# --- racing (RFC 8305 §5) --------------------------------------------------------------


@pytest.mark.parametrize("listening", ["::1", "127.0.0.1"])
@pytest.mark.parametrize("first", ["::1", "127.0.0.1"])
async def test_of_a_dual_stack_pair_the_one_that_listens_wins(listening: str, first: str) -> None:
    silent = "127.0.0.1" if listening == "::1" else "::1"
    with no_socket_leak(), listener(listening) as peer:
        order = [info_of(peer), info(silent, closed_port(silent))]
        if first != listening:
            order.reverse()
        async with asyncio.timeout(LIMIT):
            sock = await race_connections(order, delay=0.05)
        with sock:
            assert sock.getpeername()[:2] == (peer.host, peer.port)
            assert not sock.getblocking()
        peer.accept().close()


async def test_a_failed_attempt_starts_the_next_one_at_once() -> None:
    """With a delay far beyond the time limit, only the failure can start attempt two."""
    with no_socket_leak(), listener("127.0.0.1") as v4:
        order = [info("::1", closed_port("::1")), info_of(v4)]
        async with asyncio.timeout(LIMIT):
            sock = await race_connections(order, delay=3600)
        sock.close()
        v4.accept().close()


async def test_after_the_delay_the_next_attempt_wins_over_a_hanging_one() -> None:
    with no_socket_leak(), black_hole("::1") as hole, listener("127.0.0.1") as v4:
        async with asyncio.timeout(LIMIT):
            sock = await race_connections([info_of(hole), info_of(v4)], delay=0.05)
        with sock:
            assert sock.getpeername() == ("127.0.0.1", v4.port)
        v4.accept().close()


async def test_when_two_attempts_succeed_the_loser_is_closed() -> None:
    with no_socket_leak(), listener("::1") as v6, listener("127.0.0.1") as v4:
        async with asyncio.timeout(LIMIT):
            sock = await race_connections([info_of(v6), info_of(v4)], delay=0)
        sock.close()
        # Whatever reached a listener is accepted and closed here; the racer kept nothing.
        for peer in (v6, v4):
            while peer.has_pending_connection():
                peer.accept().close()


async def test_when_every_attempt_fails_one_error_lists_them_all() -> None:
    port6, port4 = closed_port("::1"), closed_port("127.0.0.1")
    order = [info("::1", port6), info("127.0.0.1", port4)]
    with no_socket_leak(), pytest.raises(SocketError) as caught:
        async with asyncio.timeout(LIMIT):
            await race_connections(order, description="example:1")
    reason = (
        f"all 2 attempts failed: [::1]:{port6}: connection refused (errno ECONNREFUSED);"
        f" 127.0.0.1:{port4}: connection refused (errno ECONNREFUSED)"
    )
    assert str(caught.value) == f"SocketError: connecting to 'example:1' failed: {reason}"
    assert isinstance(caught.value, DialError)
    assert (caught.value.target, caught.value.reason) == ("example:1", reason)
    group = caught.value.__cause__
    assert isinstance(group, ExceptionGroup)
    assert [type(exc) for exc in group.exceptions] == [ConnectionRefusedError] * 2
    assert f"while connecting to [::1]:{port6}" in (group.exceptions[0].__notes__ or [])


async def test_a_single_failed_attempt_chains_its_os_error() -> None:
    port = closed_port("127.0.0.1")
    with no_socket_leak(), pytest.raises(SocketError) as caught:
        await race_connections([info("127.0.0.1", port)])
    assert str(caught.value) == (
        f"SocketError: connecting to '127.0.0.1:{port}' failed: connection refused"
        " (errno ECONNREFUSED)"
    )
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    assert f"while connecting to 127.0.0.1:{port}" in (caught.value.__cause__.__notes__ or [])


async def test_cancelling_the_race_closes_every_attempt() -> None:
    with no_socket_leak(), black_hole("::1") as hole6, black_hole("127.0.0.1") as hole4:
        race = asyncio.ensure_future(
            race_connections([info_of(hole6), info_of(hole4)], delay=0.01)
        )
        await asyncio.sleep(0.1)  # both attempts are running now
        race.cancel()
        with pytest.raises(asyncio.CancelledError):
            await race


async def test_a_timeout_around_the_race_closes_every_attempt() -> None:
    with no_socket_leak(), black_hole("127.0.0.1") as hole, pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await race_connections([info_of(hole), info_of(hole)], delay=0.01)


async def test_a_crashing_attempt_propagates_and_closes_the_others() -> None:
    broken = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1",))
    with (
        no_socket_leak(),
        black_hole("127.0.0.1") as hole,
        pytest.raises((ValueError, TypeError)),
    ):
        async with asyncio.timeout(LIMIT):
            await race_connections([info_of(hole), broken], delay=0.01)  # type: ignore[list-item]


async def test_bad_arguments_are_value_errors() -> None:
    with pytest.raises(ValueError, match="at least one address"):
        await race_connections([])
    with pytest.raises(ValueError, match="delay must be a non-negative number"):
        await race_connections([info("127.0.0.1", 1)], delay=-1)


async def test_a_second_cancel_during_cleanup_still_closes_every_attempt() -> None:
    with no_socket_leak(), black_hole("::1") as hole6, black_hole("127.0.0.1") as hole4:
        race = asyncio.ensure_future(race_connections([info_of(hole6), info_of(hole4)], delay=0))
        await asyncio.sleep(0.1)
        race.cancel()
        await asyncio.sleep(0)  # the race is now cancelling its attempts and waiting for them
        race.cancel()
        with pytest.raises(asyncio.CancelledError):
            await race
