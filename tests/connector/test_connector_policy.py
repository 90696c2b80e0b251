"""The egress policy through ``Connector.connect``, against live listeners on loopback.

What a service connecting on behalf of others relies on: a blocked IP literal, in any
spelling, is refused by ``connect()`` itself, before it returns; a name is refused once
it resolves, by rejecting ``opened``; in both cases no connection reaches the listener,
and no file descriptor is left open. Every address the policy allows works as usual.

The spellings are checked against a :func:`~tests.peers.listeners.loopback_pair`, which
listens on 127.0.0.1 and ::1 on one port, so that a spelling the kernel delivers to this
host would show up there. Each deliverable spelling is first shown to connect without a
policy, so that "nothing arrived" means the policy stopped it, not a wrong address.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.assertions import assert_echo, outcome
from tests.peers.listeners import (
    listener,
    loopback_name,
    loopback_pair,
    no_socket_leak,
    same_port_listeners,
    stand_in_resolver,
)
from tests.socket.peer import serve
from wintersockets.connector.connector import Connector
from wintersockets.connector.egress import EgressPolicy
from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port
from wintersockets.socket.socket import Socket

LIMIT = 10.0
PUBLIC_ONLY = EgressPolicy.public_only()

# Spellings the kernel delivers to a loopback listener: 127.0.0.1 and ::1 written every
# way a resolver reads as those addresses, and the unspecified addresses, which Linux
# connects to this host.
DELIVERED = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0x7f.1",
    "017700000001",
    "127.0.0.01",
    "127.0.0.1.",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:7f00:1]",
    "[::1]",
    "[0:0:0:0:0:0:0:1]",
    "[0000:0000:0000:0000:0000:0000:0000:0001]",
    "0.0.0.0",
    "0",
    "[::]",
]
# IPv6 forms that carry 127.0.0.1 for a translator or tunnel to deliver: NAT64 (RFC 6052),
# 6to4, IPv4-compatible, IPv4-translated (SIIT) and Teredo (the client address is stored
# inverted: 0x80fffffe is 127.0.0.1).
CARRIED = [
    "[64:ff9b::127.0.0.1]",
    "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]",
    "[2002:7f00:1:1234::1]",
    "[::127.0.0.1]",
    "[::ffff:0:127.0.0.1]",
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",
]
# Names reserved for loopback (RFC 6761 §6.3): refused without a lookup, like literals.
LOOPBACK_NAMES = ["localhost", "localhost.", "LOCALHOST", "api.localhost", "a.b.localhost."]


async def close(sock: Socket) -> None:
    await asyncio.wait_for(sock.close(), LIMIT)


def assert_blocked(error: BaseException | None, rule: str = "is not allowed") -> None:
    assert isinstance(error, SocketError)
    assert " is blocked by the egress policy: " in str(error)
    assert rule in str(error)


# --- literals: refused by connect() itself -----------------------------------------------


async def test_a_blocked_literal_raises_at_once_and_nothing_connects() -> None:
    with no_socket_leak(), listener("127.0.0.1") as peer:
        connector = Connector(policy=PUBLIC_ONLY)
        with pytest.raises(SocketError) as caught:
            connector.connect(f"127.0.0.1:{peer.port}")
        assert str(caught.value) == (
            f"SocketError: connecting to '127.0.0.1:{peer.port}' is blocked by the egress"
            " policy: 127.0.0.0/8 (loopback) is not allowed"
        )
        await asyncio.sleep(0.05)  # time to connect, had anything been started
        assert not peer.has_pending_connection()


@pytest.mark.parametrize("spelling", DELIVERED)
async def test_each_spelling_reaches_the_listener_without_a_policy(spelling: str) -> None:
    """The control for the next test: each spelling really points at the listeners."""
    with no_socket_leak(), loopback_pair() as pair:
        sock = Connector().connect(f"{spelling}:{pair.port}")
        info = await asyncio.wait_for(sock.opened, LIMIT)
        # An IPv4-mapped spelling connects an IPv6 socket, which names the peer that way.
        reached = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
        assert info.remote_address in {format_host_port(host, pair.port) for host in reached}
        await close(sock)
        assert pair.accept_all() == 1


@pytest.mark.parametrize("spelling", DELIVERED + CARRIED + LOOPBACK_NAMES)
async def test_every_spelling_of_loopback_raises_at_once_and_nothing_connects(
    spelling: str,
) -> None:
    with no_socket_leak(), loopback_pair() as pair:
        with pytest.raises(SocketError) as caught:
            Connector(policy=PUBLIC_ONLY).connect(f"{spelling}:{pair.port}")
        assert_blocked(caught.value)
        await asyncio.sleep(0.05)
        assert not pair.has_pending_connection()


@pytest.mark.parametrize(
    ("spelling", "rule"),
    [
        ("[::ffff:127.0.0.1]", "it embeds 127.0.0.1 (IPv4-mapped), and 127.0.0.0/8 (loopback)"),
        ("[64:ff9b::7f00:1]", "it embeds 127.0.0.1 (NAT64), and 127.0.0.0/8 (loopback)"),
        ("[2002:7f00:1::]", "it embeds 127.0.0.1 (6to4), and 127.0.0.0/8 (loopback)"),
        ("0x7f000001", "127.0.0.0/8 (loopback)"),
        ("[::]", "::/128 (unspecified)"),
        ("0", "0.0.0.0/8 (unspecified, 'this network')"),
        ("[fe80::1%1]", "fe80::/10 (link-local)"),
        ("169.254.169.254", "169.254.169.254/32 (cloud metadata)"),
        ("0xa9fea9fe", "169.254.169.254/32 (cloud metadata)"),
        ("[fd00:ec2::254]", "fd00:ec2::254/128 (cloud metadata)"),
        ("10.1", "10.0.0.0/8 (private)"),
        ("192.168.1.1", "192.168.0.0/16 (private)"),
        ("localhost", "'localhost' always means loopback (RFC 6761), and 127.0.0.0/8 (loopback)"),
    ],
)
def test_the_error_names_what_the_spelling_means_and_the_rule(spelling: str, rule: str) -> None:
    with pytest.raises(SocketError) as caught:
        Connector(policy=PUBLIC_ONLY).connect(f"{spelling}:443")
    assert str(caught.value).endswith(f"{rule} is not allowed")


def test_a_blocked_port_raises_at_once_for_a_name_too() -> None:
    policy = EgressPolicy.public_only(blocked_ports=[25, 6379])
    for address in ("example.com:6379", "8.8.8.8:25"):
        with pytest.raises(SocketError) as caught:
            Connector(policy=policy).connect(address)
        port = address.rpartition(":")[2]
        assert str(caught.value) == (
            f"SocketError: connecting to {address!r} is blocked by the egress policy:"
            f" port {port} is not allowed"
        )


async def test_a_literal_refused_at_once_leaves_no_socket_and_no_task() -> None:
    """connect() raises before it creates a socket, so there is nothing to settle."""
    tasks = asyncio.all_tasks()
    with no_socket_leak(), pytest.raises(SocketError):
        Connector(policy=PUBLIC_ONLY).connect("127.0.0.1:80")
    assert asyncio.all_tasks() == tasks


# --- names: refused once they resolve ------------------------------------------------------


async def test_a_name_resolving_to_a_blocked_address_rejects_opened_and_nothing_connects() -> None:
    name = loopback_name()
    with no_socket_leak(), loopback_pair() as pair:
        sock = Connector(policy=PUBLIC_ONLY).connect(f"{name}:{pair.port}")  # no raise
        error = await outcome(sock.opened)
        assert_blocked(error, "(loopback) is not allowed")
        assert str(error).startswith(f"SocketError: connecting to '{name}:{pair.port}' ")
        assert await outcome(sock.closed) is error
        assert not pair.has_pending_connection()


async def test_every_address_of_a_name_is_checked() -> None:
    answers = {"internal.test": ["::1", "127.0.0.1", "10.0.0.7"]}
    with no_socket_leak(), loopback_pair() as pair, stand_in_resolver(answers):
        sock = Connector(policy=PUBLIC_ONLY).connect(f"internal.test:{pair.port}")
        error = await outcome(sock.opened)
        assert str(error) == (
            f"SocketError: connecting to 'internal.test:{pair.port}' is blocked by the egress"
            f" policy: all 3 addresses are refused: [::1]:{pair.port}: ::1/128 (loopback) is"
            f" not allowed; 127.0.0.1:{pair.port}: 127.0.0.0/8 (loopback) is not allowed;"
            f" 10.0.0.7:{pair.port}: 10.0.0.0/8 (private) is not allowed"
        )
        assert not pair.has_pending_connection()


async def test_a_blocked_address_among_allowed_ones_is_skipped() -> None:
    """The connection goes only to an address that passed the check."""
    policy = EgressPolicy(blocked_networks=["127.0.0.1/32"])
    answers = {"mixed.test": ["127.0.0.1", "127.0.0.2"]}
    with (
        no_socket_leak(),
        same_port_listeners("127.0.0.1", "127.0.0.2") as (blocked, allowed),
        stand_in_resolver(answers),
    ):
        sock = Connector(policy=policy).connect(f"mixed.test:{allowed.port}")
        info = await asyncio.wait_for(sock.opened, LIMIT)
        assert info.remote_address == f"127.0.0.2:{allowed.port}"
        await close(sock)
        assert not blocked.has_pending_connection()
        allowed.accept().close()


async def test_a_name_is_resolved_once_so_a_rebinding_answer_is_never_used() -> None:
    """A DNS server that answers a public address, then loopback, gets one question."""
    policy = EgressPolicy(blocked_networks=["127.0.0.1/32"])
    answers = {"rebind.test": [["127.0.0.2"], ["127.0.0.1"]]}
    with (
        no_socket_leak(),
        same_port_listeners("127.0.0.1", "127.0.0.2") as (blocked, allowed),
        stand_in_resolver(answers) as resolver,
    ):
        sock = Connector(policy=policy).connect(f"rebind.test:{allowed.port}")
        info = await asyncio.wait_for(sock.opened, LIMIT)
        assert info.remote_address == f"127.0.0.2:{allowed.port}"
        assert resolver.lookups == ["rebind.test"]
        await close(sock)
        assert not blocked.has_pending_connection()
        allowed.accept().close()


# --- what the policy allows works as usual ---------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "127.1", "[::ffff:127.0.0.1]", "name"])
async def test_allowed_networks_let_traffic_through(host: str) -> None:
    policy = EgressPolicy.public_only(allowed_networks=["127.0.0.0/8", "::1/128"])
    peer_host = "::1" if host == "::1" else "127.0.0.1"
    if host == "name":
        host = loopback_name()
    shown = f"[{host}]" if host == "::1" else host
    with no_socket_leak():
        async with serve(peer_host) as peer:
            sock = Connector(policy=policy).connect(f"{shown}:{peer.port}")
            conn = await peer.accept()
            info = await asyncio.wait_for(sock.opened, LIMIT)
            mapped = host.startswith("[::ffff:")
            assert info.remote_address == (f"{host}:{peer.port}" if mapped else peer.address)
            await assert_echo(sock, conn)
            await close(sock)


async def test_an_allowed_network_opens_only_itself() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["127.0.0.2/32"])
    with no_socket_leak(), same_port_listeners("127.0.0.1", "127.0.0.2") as (other, allowed):
        sock = Connector(policy=policy).connect(f"127.0.0.2:{allowed.port}")
        await asyncio.wait_for(sock.opened, LIMIT)
        await close(sock)
        allowed.accept().close()
        with pytest.raises(SocketError, match=r"127\.0\.0\.0/8 \(loopback\) is not allowed"):
            Connector(policy=policy).connect(f"127.0.0.1:{other.port}")
        assert not other.has_pending_connection()
