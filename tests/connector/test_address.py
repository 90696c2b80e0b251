"""Tests of address parsing (DESIGN.md decision 2): every spelling, every way to be wrong."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wintersockets.connector.address import (
    SocketAddress,
    ip_literal,
    normalize_hostname,
    parse_address,
)
from wintersockets.errors import SocketError


@pytest.mark.parametrize(
    ("address", "hostname", "port"),
    [
        ("example.com:443", "example.com", 443),
        ("127.0.0.1:8080", "127.0.0.1", 8080),
        ("[::1]:80", "::1", 80),
        ("[0:0:0:0:0:0:0:1]:80", "::1", 80),
        ("localhost:1", "localhost", 1),
        ("localhost:65535", "localhost", 65535),
        ("Example.COM:80", "example.com", 80),
        ("example.com.:80", "example.com.", 80),
        ("_dmarc.example.com:53", "_dmarc.example.com", 53),
        ("a-b.c:0080", "a-b.c", 80),
        (SocketAddress("example.com", 25), "example.com", 25),
        (SocketAddress("[::1]", 25), "::1", 25),
        ({"hostname": "example.com", "port": 443}, "example.com", 443),
        ({"hostname": "::1", "port": 80}, "::1", 80),
        ({"hostname": "[::1]", "port": 80}, "::1", 80),
    ],
)
def test_accepted_spellings_are_normalized(address: Any, hostname: str, port: int) -> None:
    assert parse_address(address) == SocketAddress(hostname, port)


def test_ipv6_loopback_has_three_equivalent_spellings() -> None:
    spellings = ["[::1]:80", {"hostname": "::1", "port": 80}, {"hostname": "[::1]", "port": 80}]
    assert {parse_address(a) for a in spellings} == {SocketAddress("::1", 80)}


def test_internationalized_names_are_idna_encoded() -> None:
    assert parse_address("bücher.de:80").hostname == "xn--bcher-kva.de"
    assert parse_address("BÜCHER.de:80").hostname == "xn--bcher-kva.de"
    assert parse_address("例え.テスト:80").hostname == "xn--r8jz45g.xn--zckzah"
    # UTS #46 maps the ideographic full stop to a dot.
    assert parse_address("bücher。de:80").hostname == "xn--bcher-kva.de"


def test_invalid_internationalized_name_is_rejected_with_the_cause_chained() -> None:
    with pytest.raises(SocketError, match="not a valid internationalized name") as info:
        parse_address("\u0300a.example:80")  # a label may not begin with a combining mark
    assert info.value.__cause__ is not None


def test_socket_address_prints_as_host_port() -> None:
    assert str(SocketAddress("example.com", 443)) == "example.com:443"
    assert str(SocketAddress("::1", 80)) == "[::1]:80"


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("example.com", "has no port"),
        ("example.com:", "has no port"),
        ("[::1]", "has no port"),
        ("[::1]:", "has no port"),
        ("[::1]80", "':port' right after ']'"),
        ("[::1:80", "never closes"),
        ("::1:80", "IPv6 address without brackets"),
        ("[localhost]:80", "brackets are only for IPv6"),
        ("[127.0.0.1]:80", "brackets are only for IPv6"),
        ({"hostname": "[example.com]", "port": 80}, "brackets are only for IPv6"),
        ({"hostname": "[::1", "port": 80}, "brackets are only for IPv6"),
        ({"hostname": "1:2:3", "port": 80}, "not a valid IPv6 address"),
        (":80", "must not be empty"),
        ("example.com:0", "from 1 to 65535, got 0"),
        ("example.com:65536", "from 1 to 65535, got 65536"),
        ("example.com:-1", "got '-1'"),
        ("example.com:+1", "got '+1'"),
        ("example.com: 80", "got ' 80'"),
        ("example.com:http", "got 'http'"),
        ("example.com:٨٠", "got '٨٠'"),  # Arabic-Indic digits are not a port
        ("https://example.com:443", "without a scheme"),
        ("exa mple.com:80", "contains ' '"),
        ("example.com/x:80", "contains '/'"),
        ("user@example.com:80", "contains '@'"),
        ("exa\tmple.com:80", "contains '\\t'"),
        ("exa\x00mple.com:80", "contains '\\x00'"),
        ("a..b:80", "empty label"),
        (".a:80", "empty label"),
        ("a!b:80", "contains '!'"),
        ("x" * 64 + ".com:80", "label of 64 characters"),
        (".".join(["abcdefghi"] * 26) + ":80", "the limit is 253"),
        ({"hostname": "example.com"}, "no 'port'"),
        ({"port": 80}, "no 'hostname'"),
        ({"hostname": "example.com", "port": 80, "extra": 1}, "unknown address field 'extra'"),
        ({"hostname": "example.com", "port": "80"}, "got '80' (str)"),
        ({"hostname": "example.com", "port": True}, "got True (bool)"),
        ({"hostname": "example.com", "port": 80.0}, "got 80.0 (float)"),
        ({"hostname": 1, "port": 80}, "hostname must be a string"),
        (SocketAddress("example.com", 0), "got 0"),
        (("example.com", 80), "got tuple"),
        (b"example.com:80", "got bytes"),
        (None, "got NoneType"),
    ],
)
def test_malformed_addresses_raise_socket_error_saying_why(address: Any, message: str) -> None:
    with pytest.raises(SocketError, match=re.escape(message)) as info:
        parse_address(address)
    assert str(info.value).startswith("SocketError: ")


@pytest.mark.parametrize(
    "address",
    [
        "a" * 10_000_000 + ":80",  # a name: refused before its characters are looked at
        "\u00e4" * 1_000_000 + ":80",  # before IDNA
        "example.com:" + "9" * 100_000,  # more digits than int() takes
        "[" + ":" * 100_000 + "]:80",
        {"hostname": "h", "port": "8" * 100_000},
        "no port " * 100_000,
    ],
    ids=["huge-name", "huge-unicode-name", "huge-port", "huge-brackets", "huge-field", "no-port"],
)
def test_huge_addresses_are_refused_with_a_short_message(address: Any) -> None:
    with pytest.raises(SocketError) as info:
        parse_address(address)
    assert len(str(info.value)) < 250, str(info.value)[:300]


def test_a_port_may_have_leading_zeros_but_no_more_than_five_digits_after() -> None:
    assert parse_address("example.com:0000000443").port == 443
    with pytest.raises(SocketError, match="port must be an integer from 1 to 65535"):
        parse_address("example.com:0000100000")


def test_longest_allowed_hostname_is_accepted() -> None:
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    assert len(name) == 253
    assert parse_address(f"{name}:80").hostname == name


@given(st.integers(min_value=1, max_value=65535))
def test_every_valid_port_round_trips(port: int) -> None:
    assert parse_address(f"example.com:{port}").port == port
    assert parse_address({"hostname": "example.com", "port": port}).port == port


@given(st.integers().filter(lambda p: not 1 <= p <= 65535))
def test_every_out_of_range_port_is_rejected(port: int) -> None:
    with pytest.raises(SocketError, match="from 1 to 65535"):
        parse_address({"hostname": "example.com", "port": port})


@given(st.ip_addresses())
def test_every_ip_literal_parses_to_itself(ip: Any) -> None:
    text = f"[{ip}]:80" if ip.version == 6 else f"{ip}:80"
    parsed = parse_address(text)
    assert ip_literal(parsed.hostname) == ip
    assert parse_address(str(parsed)) == parsed


@given(st.text(alphabet=" /@\t\r\n\x7f", min_size=1), st.text(max_size=5))
def test_forbidden_characters_are_always_rejected(bad: str, rest: str) -> None:
    with pytest.raises(SocketError):
        normalize_hostname("a" + bad + rest)


def test_ip_literal_recognizes_only_standard_spellings() -> None:
    assert ip_literal("127.0.0.1") is not None
    assert ip_literal("::1") is not None
    assert ip_literal("127.1") is None
    assert ip_literal("0x7f.0.0.1") is None
    assert ip_literal("localhost") is None
