"""Egress policy decisions: pure, on ipaddress objects and on every literal spelling."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wintersockets.connector.dial import check_literal_destination
from wintersockets.connector.egress import (
    EgressPolicy,
    IPAddress,
    blocked_message,
    embedded_ipv4,
    format_address,
    lenient_ipv4,
    parse_ip_literal,
)
from wintersockets.errors import SocketError

PUBLIC_ONLY = EgressPolicy.public_only()
BLOCKED_V4 = [net for net in PUBLIC_ONLY.blocked_networks if net.version == 4]
BLOCKED_V6 = [net for net in PUBLIC_ONLY.blocked_networks if net.version == 6]


def v4(text: str) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(text)


def v6(text: str) -> ipaddress.IPv6Address:
    return ipaddress.IPv6Address(text)


# --- the preset ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("127.0.0.1", "127.0.0.0/8 (loopback)"),
        ("127.255.255.254", "127.0.0.0/8 (loopback)"),
        ("10.1.2.3", "10.0.0.0/8 (private)"),
        ("172.16.0.1", "172.16.0.0/12 (private)"),
        ("172.31.255.255", "172.16.0.0/12 (private)"),
        ("192.168.1.1", "192.168.0.0/16 (private)"),
        ("169.254.169.254", "169.254.169.254/32 (cloud metadata)"),
        ("169.254.1.1", "169.254.0.0/16 (link-local)"),
        ("100.64.0.1", "100.64.0.0/10 (carrier-grade NAT)"),
        ("100.100.100.200", "100.64.0.0/10 (carrier-grade NAT)"),
        ("0.0.0.0", "0.0.0.0/8 (unspecified, 'this network')"),
        ("224.0.0.1", "224.0.0.0/4 (multicast)"),
        ("255.255.255.255", "255.255.255.255/32 (broadcast)"),
        ("240.0.0.1", "240.0.0.0/4 (reserved)"),
        ("192.0.2.1", "192.0.2.0/24 (documentation)"),
        ("198.18.0.1", "198.18.0.0/15 (benchmarking)"),
        ("::1", "::1/128 (loopback)"),
        ("::", "::/128 (unspecified)"),
        ("fc00::1", "fc00::/7 (unique local, private)"),
        ("fd12:3456::1", "fc00::/7 (unique local, private)"),
        ("fd00:ec2::254", "fd00:ec2::254/128 (cloud metadata)"),
        ("fe80::1", "fe80::/10 (link-local)"),
        ("fe80::1%eth0", "fe80::/10 (link-local)"),
        ("ff02::1", "ff00::/8 (multicast)"),
        ("2001:db8::1", "2001:db8::/32 (documentation)"),
    ],
)
def test_public_only_blocks_non_public_ranges_and_names_the_rule(address: str, rule: str) -> None:
    reason = PUBLIC_ONLY.check(ipaddress.ip_address(address), 443)
    assert reason == f"{rule} is not allowed"


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::1"],
)
def test_public_only_allows_public_addresses(address: str) -> None:
    assert PUBLIC_ONLY.check(ipaddress.ip_address(address), 443) is None


def test_public_only_blocks_port_25_whatever_the_address() -> None:
    assert PUBLIC_ONLY.check(v4("8.8.8.8"), 25) == "port 25 is not allowed"
    assert PUBLIC_ONLY.check_port(25) == "port 25 is not allowed"
    assert PUBLIC_ONLY.check_port(587) is None


def test_public_only_takes_other_blocked_ports() -> None:
    policy = EgressPolicy.public_only(blocked_ports=[22, 3389])
    assert policy.check(v4("8.8.8.8"), 22) == "port 22 is not allowed"
    assert policy.check(v4("8.8.8.8"), 25) is None


def test_allowed_networks_take_precedence_over_blocked_ranges() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["10.1.0.0/16", "fd00::/8"])
    assert policy.check(v4("10.1.2.3"), 443) is None
    assert policy.check(v4("10.2.0.1"), 443) == "10.0.0.0/8 (private) is not allowed"
    assert policy.check(v6("fd00::5"), 443) is None


def test_allowed_networks_do_not_override_blocked_ports() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["10.0.0.0/8"])
    assert policy.check(v4("10.0.0.1"), 25) == "port 25 is not allowed"


def test_an_empty_policy_allows_everything() -> None:
    policy = EgressPolicy()
    assert policy.check(v4("127.0.0.1"), 25) is None
    assert policy.check(v6("::1"), 1) is None


def test_custom_networks_without_a_known_label_are_named_plainly() -> None:
    policy = EgressPolicy(blocked_networks=["203.0.113.0/25"], blocked_ports=[8080])
    assert policy.check(v4("203.0.113.7"), 80) == "203.0.113.0/25 is not allowed"
    assert policy.check(v4("203.0.113.200"), 80) is None
    assert policy.check(v4("203.0.113.200"), 8080) == "port 8080 is not allowed"


def test_policies_are_frozen_values() -> None:
    one = EgressPolicy(blocked_ports=[25], blocked_networks=["10.0.0.0/8"])
    two = EgressPolicy(blocked_ports=(25,), blocked_networks=[ipaddress.ip_network("10.0.0.0/8")])
    assert one == two
    assert hash(one) == hash(two)
    with pytest.raises(AttributeError):
        one.blocked_ports = frozenset()  # type: ignore[misc]


@pytest.mark.parametrize("port", [0, 65536, -1, True, "25"])
def test_bad_blocked_port_is_a_value_error(port: object) -> None:
    with pytest.raises(ValueError, match="blocked port must be an integer from 1 to 65535"):
        EgressPolicy(blocked_ports=[port])  # type: ignore[list-item]


def test_bad_network_is_a_value_error() -> None:
    with pytest.raises(
        ValueError, match=r"network must be like '10\.0\.0\.0/8', got '10\.0\.0\.1/8'"
    ):
        EgressPolicy(blocked_networks=["10.0.0.1/8"])
    with pytest.raises(TypeError, match="network must be a string or an ipaddress network"):
        EgressPolicy(allowed_networks=[42])  # type: ignore[list-item]


# --- IPv4 embedded in IPv6 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "embedded", "how"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1", "IPv4-mapped"),
        ("::ffff:0:10.0.0.1", "10.0.0.1", "IPv4-translated"),
        ("::127.0.0.1", "127.0.0.1", "IPv4-compatible"),
        ("64:ff9b::169.254.169.254", "169.254.169.254", "NAT64"),
        ("2002:c0a8:0101::1", "192.168.1.1", "6to4"),
    ],
)
def test_embedded_ipv4_addresses_are_found(address: str, embedded: str, how: str) -> None:
    assert embedded_ipv4(v6(address)) == [(v4(embedded), how)]


def test_teredo_embeds_both_the_server_and_the_obfuscated_client() -> None:
    client = int(v4("127.0.0.1")) ^ 0xFFFFFFFF
    address = ipaddress.IPv6Address((0x20010000 << 96) | (int(v4("8.8.8.8")) << 64) | client)
    assert embedded_ipv4(address) == [
        (v4("8.8.8.8"), "Teredo server"),
        (v4("127.0.0.1"), "Teredo client"),
    ]
    assert PUBLIC_ONLY.check(address, 443) == (
        "it embeds 127.0.0.1 (Teredo client), and 127.0.0.0/8 (loopback) is not allowed"
    )


@pytest.mark.parametrize("address", ["2606:4700::1", "fe80::1", "::2:0:0:1", "fd00::1"])
def test_plain_ipv6_addresses_embed_nothing(address: str) -> None:
    assert embedded_ipv4(v6(address)) == []


def test_the_unspecified_and_loopback_addresses_are_also_read_as_ipv4_compatible() -> None:
    assert embedded_ipv4(v6("::")) == [(v4("0.0.0.0"), "IPv4-compatible")]
    assert embedded_ipv4(v6("::1")) == [(v4("0.0.0.1"), "IPv4-compatible")]


def test_blocking_0_0_0_0_blocks_the_ipv6_unspecified_address_too() -> None:
    """Linux connects both 0.0.0.0 and :: to this host: one rule must cover both."""
    policy = EgressPolicy(blocked_networks=["0.0.0.0/8"])
    assert policy.check(v6("::"), 443) == (
        "it embeds 0.0.0.0 (IPv4-compatible), and 0.0.0.0/8 (unspecified, 'this network')"
        " is not allowed"
    )
    assert policy.check(v6("::1"), 443) is not None
    assert policy.check(v6("::2"), 443) is not None


def test_unspecified_and_loopback_ipv6_are_named_by_their_own_rules() -> None:
    assert PUBLIC_ONLY.check(v6("::"), 443) == "::/128 (unspecified) is not allowed"
    assert PUBLIC_ONLY.check(v6("::1"), 443) == "::1/128 (loopback) is not allowed"


def test_allowing_ipv6_loopback_allows_it_although_it_embeds_0_0_0_1() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["::1/128"])
    assert policy.check(v6("::1"), 443) is None
    assert policy.check(v6("::"), 443) is not None
    assert policy.check(v6("::127.0.0.1"), 443) is not None


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",
        "::ffff:7f00:1",
        "::127.0.0.1",
        "64:ff9b::127.0.0.1",
        "2002:7f00:1::",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:a00:1::1",
    ],
)
def test_ipv6_carrying_a_blocked_ipv4_is_blocked_and_says_why(address: str) -> None:
    reason = PUBLIC_ONLY.check(v6(address), 443)
    assert reason is not None
    assert reason.startswith("it embeds ")
    assert reason.endswith("is not allowed")


@pytest.mark.parametrize(
    "address", ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1", "::ffff:1.1.1.1"]
)
def test_ipv6_carrying_a_public_ipv4_is_allowed(address: str) -> None:
    assert PUBLIC_ONLY.check(v6(address), 443) is None


def test_allowing_the_ipv6_prefix_does_not_allow_the_embedded_ipv4() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["64:ff9b::/96"])
    assert policy.check(v6("64:ff9b::8.8.8.8"), 443) is None
    assert policy.check(v6("64:ff9b::127.0.0.1"), 443) is not None


def test_allowing_the_ipv4_network_allows_its_mapped_form() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["127.0.0.0/8"])
    assert policy.check(v6("::ffff:127.0.0.1"), 443) is None


# --- literal spellings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.0.0.01", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("4294967295", "255.255.255.255"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("::FFFF:7F00:1", "::ffff:127.0.0.1"),
        ("0:0:0:0:0:ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
    ],
)
def test_every_literal_spelling_parses_to_its_address(spelling: str, address: str) -> None:
    assert parse_ip_literal(spelling) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "name",
    ["localhost", "example.com", "1.2.3.4.5", "256.0.0.1", "4294967296", "08.0.0.1", "1e1", ""],
)
def test_names_and_invalid_numbers_are_not_literals(name: str) -> None:
    assert parse_ip_literal(name) is None


def test_lenient_parsing_reads_what_inet_aton_accepts() -> None:
    assert lenient_ipv4("127.0.0.1 junk") == v4("127.0.0.1")
    assert parse_ip_literal("127.0.0.1 junk") is None
    assert lenient_ipv4("example.com") is None


def test_messages_name_the_destination_and_the_rule() -> None:
    assert format_address(v4("127.0.0.1"), 8080) == "127.0.0.1:8080"
    assert format_address(v6("::1"), 8080) == "[::1]:8080"
    message = blocked_message("'127.0.0.1:8080'", "127.0.0.0/8 (loopback) is not allowed")
    with pytest.raises(SocketError) as caught:
        raise SocketError(message)
    assert str(caught.value) == (
        "SocketError: connecting to '127.0.0.1:8080' is blocked by the egress policy:"
        " 127.0.0.0/8 (loopback) is not allowed"
    )


# --- property: no spelling of a blocked address gets through ---------------------------


def _v4_number_spelling(value: int, base: str) -> str:
    if base == "hex":
        return f"0x{value:x}"
    if base == "octal":
        return f"0{value:o}"
    return str(value)


@st.composite
def blocked_v4(draw: st.DrawFn) -> ipaddress.IPv4Address:
    network = draw(st.sampled_from(BLOCKED_V4))
    offset = draw(st.integers(0, network.num_addresses - 1))
    return network[offset]


@st.composite
def v4_spelling(draw: st.DrawFn, address: ipaddress.IPv4Address) -> str:
    """Any inet_aton form: 1 to 4 parts, each decimal, hex or octal."""
    value = int(address)
    parts = draw(st.sampled_from([1, 2, 3, 4]))
    if parts == 1:
        numbers = [value]
    elif parts == 2:
        numbers = [value >> 24, value & 0xFFFFFF]
    elif parts == 3:
        numbers = [value >> 24, (value >> 16) & 0xFF, value & 0xFFFF]
    else:
        numbers = list(address.packed)
    bases = st.sampled_from(["decimal", "hex", "octal"])
    return ".".join(_v4_number_spelling(n, draw(bases)) for n in numbers)


@st.composite
def v6_carrying(draw: st.DrawFn, address: ipaddress.IPv4Address) -> ipaddress.IPv6Address:
    """An IPv6 address that delivers to ``address``: mapped, compatible, NAT64, ..."""
    value = int(address)
    how = draw(st.sampled_from(["mapped", "translated", "compat", "nat64", "6to4", "teredo"]))
    host_bits = draw(st.integers(0, 2**64 - 1))
    if how == "mapped":
        return ipaddress.IPv6Address((0xFFFF << 32) | value)
    if how == "translated":
        return ipaddress.IPv6Address((0xFFFF << 48) | value)
    if how == "compat":
        return ipaddress.IPv6Address(value)
    if how == "nat64":
        return ipaddress.IPv6Address((0x64FF9B << 96) | value)
    if how == "6to4":
        return ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | (host_bits & (2**80 - 1)))
    server = draw(st.integers(0, 2**32 - 1))
    flags_port = draw(st.integers(0, 2**32 - 1))
    if draw(st.booleans()):  # the blocked address as the client, else as the server
        return ipaddress.IPv6Address(
            (0x20010000 << 96) | (server << 64) | (flags_port << 32) | (value ^ 0xFFFFFFFF)
        )
    return ipaddress.IPv6Address((0x20010000 << 96) | (value << 64) | host_bits)


@st.composite
def v6_spelling(draw: st.DrawFn, address: ipaddress.IPv6Address) -> str:
    form = draw(st.sampled_from(["compressed", "exploded", "upper", "dotted"]))
    if form == "exploded":
        text = address.exploded
    elif form == "upper":
        text = address.compressed.upper()
    elif form == "dotted":
        # The six high groups in hex (not from .exploded: Python 3.13 writes an
        # IPv4-mapped address's last two groups dotted there), the low 32 bits dotted.
        head = ":".join(f"{(int(address) >> (16 * (7 - i))) & 0xFFFF:04x}" for i in range(6))
        text = f"{head}:{ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)}"
    else:
        text = address.compressed
    return f"[{text}]" if draw(st.booleans()) else text


def _resolver_reads(spelling: str) -> IPAddress:
    """What the system resolver reads the literal as (no lookup is made)."""
    text = spelling.strip("[]").removesuffix(".")
    sockaddr = socket.getaddrinfo(
        text, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
    )[0][4]
    return ipaddress.ip_address(sockaddr[0])


def _assert_blocked(spelling: str) -> None:
    with pytest.raises(SocketError, match="blocked by the egress policy") as caught:
        check_literal_destination(spelling, 443, PUBLIC_ONLY)
    assert "is not allowed" in str(caught.value)


@pytest.mark.parametrize(
    "spelling", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0x7f.1", "127.0.0.1."]
)
def test_classic_loopback_spellings_are_blocked(spelling: str) -> None:
    _assert_blocked(spelling)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), trailing_dot=st.booleans())
def test_no_ipv4_spelling_of_a_blocked_address_gets_through(
    data: st.DataObject, trailing_dot: bool
) -> None:
    address = data.draw(blocked_v4())
    spelling = data.draw(v4_spelling(address))
    assert _resolver_reads(spelling) == address, "the generator must spell the same address"
    assert parse_ip_literal(spelling) == address
    _assert_blocked(spelling + ("." if trailing_dot else ""))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_no_ipv6_form_carrying_a_blocked_ipv4_address_gets_through(data: st.DataObject) -> None:
    address = data.draw(blocked_v4())
    carrier = data.draw(v6_carrying(address))
    spelling = data.draw(v6_spelling(carrier))
    assert _resolver_reads(spelling) == carrier
    assert any(embedded == address for embedded, _ in embedded_ipv4(carrier))
    _assert_blocked(spelling)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_no_spelling_of_a_blocked_ipv6_address_gets_through(data: st.DataObject) -> None:
    network = data.draw(st.sampled_from(BLOCKED_V6))
    address = network[data.draw(st.integers(0, min(network.num_addresses, 2**64) - 1))]
    spelling = data.draw(v6_spelling(address))
    if network.subnet_of(ipaddress.IPv6Network("fe80::/10")) and data.draw(st.booleans()):
        spelling = f"{spelling.strip('[]')}%lo"
    assert parse_ip_literal(spelling) is not None
    _assert_blocked(spelling)


@settings(max_examples=300, deadline=None)
@given(value=st.integers(0, 2**32 - 1))
def test_mapped_and_nat64_forms_get_the_same_verdict_as_the_ipv4_address(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    verdict = PUBLIC_ONLY.check(address, 443) is None
    mapped = ipaddress.IPv6Address((0xFFFF << 32) | value)
    nat64 = ipaddress.IPv6Address((0x64FF9B << 96) | value)
    assert (PUBLIC_ONLY.check(mapped, 443) is None) == verdict
    assert (PUBLIC_ONLY.check(nat64, 443) is None) == verdict


@settings(max_examples=300, deadline=None)
@given(value=st.integers(0, 2**32 - 1))
def test_the_verdict_is_exactly_membership_in_a_blocked_network(value: int) -> None:
    address = ipaddress.IPv4Address(value)
    inside = any(address in network for network in BLOCKED_V4)
    assert (PUBLIC_ONLY.check(address, 443) is not None) == inside
