"""``SocketInfo``/``TLSInfo`` helpers that need no connection."""

from __future__ import annotations

import datetime
import ssl

import pytest

from wintersockets.socket.info import _time


@pytest.mark.parametrize(
    "text",
    [
        "Nov  5 21:42:10 2026 GMT",
        "Jan 19 03:14:07 2038 GMT",
        "Feb 29 00:00:00 2024 GMT",
        "Dec 31 23:59:59 9999 GMT",
        "Jan  1 00:00:00 1970 GMT",
    ],
)
def test_certificate_times_parse_as_ssl_does(text: str) -> None:
    expected = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), datetime.UTC)
    assert _time(text) == expected


def test_a_certificate_time_the_hand_parser_refuses_falls_back_to_ssl() -> None:
    text = "Feb 30 00:00:00 2024 GMT"  # ssl normalizes it to March 1
    expected = datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(text), datetime.UTC)
    assert _time(text) == expected
    with pytest.raises(ValueError):
        _time("2024-01-01T00:00:00Z")


def test_a_missing_certificate_time_is_none() -> None:
    assert _time(None) is None
