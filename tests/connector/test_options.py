"""Tests of options parsing: both spellings, defaults, and every way to be wrong."""

from __future__ import annotations

import re
from typing import Any

import pytest

from wintersockets.connector.options import SocketOptions, parse_options
from wintersockets.errors import SocketError


def test_defaults_match_the_spec() -> None:
    assert parse_options() == SocketOptions("off", False, None, ())
    assert parse_options(None, {}) == parse_options({})


@pytest.mark.parametrize(
    "options",
    [
        {"secureTransport": "on", "allowHalfOpen": True, "sni": "example.com", "alpn": ["h2"]},
        {"secure_transport": "on", "allow_half_open": True, "sni": "example.com", "alpn": ("h2",)},
        SocketOptions("on", True, "example.com", ("h2",)),
    ],
)
def test_camel_case_snake_case_and_records_mean_the_same(options: Any) -> None:
    assert parse_options(options) == SocketOptions("on", True, "example.com", ("h2",))


def test_keyword_arguments_combine_with_a_mapping() -> None:
    parsed = parse_options({"allowHalfOpen": True}, {"secure_transport": "starttls"})
    assert parsed == SocketOptions("starttls", True, None, ())


def test_none_means_not_given() -> None:
    parsed = parse_options(
        {"secureTransport": None, "allowHalfOpen": None, "sni": None, "alpn": None}
    )
    assert parsed == SocketOptions()


def test_sni_is_checked_and_idna_encoded() -> None:
    assert parse_options({"secureTransport": "on", "sni": "Bücher.de"}).sni == "xn--bcher-kva.de"
    with pytest.raises(SocketError, match="contains ' '"):
        parse_options({"secureTransport": "on", "sni": "a b"})


@pytest.mark.parametrize(
    ("options", "kwargs", "message"),
    [
        ({"highWaterMark": 10}, {}, "unknown option 'highWaterMark'"),
        (None, {"allowHalfopen": True}, "unknown option 'allowHalfopen'"),
        ({1: "x"}, {}, "unknown option 1"),
        (
            {"secureTransport": "on"},
            {"secure_transport": "on"},
            "'secure_transport' is given twice, as 'secureTransport' and as 'secure_transport'",
        ),
        ({"secureTransport": "on", "secure_transport": "on"}, {}, "given twice"),
        ({"secureTransport": "ON"}, {}, "secure_transport must be 'off', 'on' or 'starttls'"),
        ({"secureTransport": True}, {}, "got True"),
        ({"secureTransport": ["on"]}, {}, "got ['on']"),
        ({"allowHalfOpen": 1}, {}, "allow_half_open must be True or False, got 1 (int)"),
        ({"allowHalfOpen": "false"}, {}, "got 'false'"),
        ({"secureTransport": "on", "sni": 5}, {}, "sni must be a hostname string, got int"),
        ({"secureTransport": "on", "sni": ""}, {}, "must not be empty"),
        ({"secureTransport": "on", "alpn": "h2"}, {}, "alpn must be a list"),
        ({"secureTransport": "on", "alpn": b"h2"}, {}, "alpn must be a list"),
        ({"secureTransport": "on", "alpn": {"h2"}}, {}, "alpn must be a list"),
        ({"secureTransport": "on", "alpn": [b"h2"]}, {}, "must be strings, got b'h2'"),
        ({"secureTransport": "on", "alpn": [""]}, {}, "1 to 255 bytes long"),
        ({"secureTransport": "on", "alpn": ["x" * 256]}, {}, "1 to 255 bytes long"),
        ({"sni": "example.com"}, {}, "sni needs TLS"),
        ({"alpn": ["h2"]}, {}, "alpn needs TLS"),
        ({"secureTransport": "off", "sni": "a", "alpn": ["h2"]}, {}, "sni and alpn need TLS"),
        ("secureTransport=on", {}, "options must be a mapping"),
    ],
)
def test_bad_options_raise_socket_error_naming_them(
    options: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(SocketError, match=re.escape(message)):
        parse_options(options, kwargs)


def test_empty_alpn_without_tls_is_the_default_not_an_error() -> None:
    assert parse_options({"alpn": []}).alpn == ()


@pytest.mark.parametrize("mode", ["on", "starttls"])
def test_sni_and_alpn_are_accepted_with_either_tls_mode(mode: str) -> None:
    parsed = parse_options({"secureTransport": mode, "sni": "example.com", "alpn": ["h2", "x"]})
    assert (parsed.sni, parsed.alpn) == ("example.com", ("h2", "x"))


def test_an_alpn_list_over_the_tls_extension_limit_is_refused() -> None:
    # RFC 7301: the protocol name list is at most 65535 bytes, each name with a length byte.
    fits = ["h2"] * (65535 // 3)
    assert parse_options({"secure_transport": "on", "alpn": fits}).alpn == tuple(fits)
    with pytest.raises(SocketError, match=r"alpn lists 21846 protocol names, 65538 bytes"):
        parse_options({"secure_transport": "on", "alpn": [*fits, "h2"]})


@pytest.mark.parametrize(
    "options",
    [
        {"x" * 1_000_000: 1},
        {"secure_transport": "y" * 1_000_000},
        {"secure_transport": "on", "alpn": ["z" * 1_000_000]},
        {"secure_transport": "on", "alpn": "w" * 1_000_000},
        {"secure_transport": "on", "sni": "v" * 1_000_000},
    ],
    ids=["key", "secure-transport", "alpn-name", "alpn-string", "sni"],
)
def test_huge_option_values_are_refused_with_a_short_message(options: dict[str, Any]) -> None:
    with pytest.raises(SocketError) as info:
        parse_options(options)
    assert len(str(info.value)) < 300, str(info.value)[:400]
