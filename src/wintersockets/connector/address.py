"""Where to connect: the ``SocketAddress`` record and the parser for every spelling of it.

``connect()`` accepts ``"host:port"``, ``"[v6]:port"``, a :class:`SocketAddress` or a
mapping ``{"hostname": ..., "port": ...}`` (the spec's ``AnySocketAddress``). All of them
go through :func:`parse_address`, which checks them (DESIGN.md decision 2) and returns one
normalized :class:`SocketAddress`: the hostname IDNA-encoded to ASCII, an IPv6 literal
without brackets and in its compressed form, and the port an ``int``.

This module is pure: no event loop, no DNS.

Other implementations, for comparison: workerd parses a string as the authority of
``https://<address>`` (so a missing port silently becomes 443) and then only checks the
characters; Node's ``net`` accepts anything and lets ``getaddrinfo`` fail. We require the
port and reject malformed input before any I/O, so mistakes surface where they are made.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass

import idna

from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port

__all__ = ["SocketAddress"]

# RFC 1035 §2.3.4: 255 octets on the wire, which is 253 characters in dotted text.
_MAX_HOSTNAME = 253
_MAX_LABEL = 63
# Longer than any hostname can be in any spelling: refused before anything else is done
# with it (IDNA mapping can shorten a name, so the limit of 253 is checked after it).
_MAX_HOSTNAME_INPUT = 1024
# How much of a value an error message quotes.
_QUOTED = 60
# Letters, digits, hyphen (RFC 952/1123) and underscore (used in service names such as
# ``_dmarc``, and accepted by workerd and getaddrinfo).
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
_ADDRESS_KEYS = ("hostname", "port")


@dataclass(frozen=True, slots=True)
class SocketAddress:
    """A host and port to connect to [SocketAddress].

    Passing one to ``connect()`` is the same as passing ``{"hostname": ..., "port": ...}``;
    ``connect()`` checks it. ``str(address)`` is ``"host:port"`` (``"[::1]:80"`` for IPv6).

    Attributes:
        hostname: A DNS name, an IPv4 literal or an IPv6 literal (brackets optional).
        port: The TCP port, an integer from 1 to 65535.
    """

    hostname: str
    port: int

    def __str__(self) -> str:
        return format_host_port(self.hostname, self.port)


def parse_address(address: object) -> SocketAddress:
    """Check any spelling of an address and return it normalized (DESIGN.md decision 2).

    Args:
        address: ``"host:port"``, ``"[v6]:port"``, a :class:`SocketAddress`, or a mapping
            with exactly the keys ``"hostname"`` and ``"port"``.

    Returns:
        A :class:`SocketAddress` whose hostname is ASCII (IDNA-encoded if needed, IPv6
        without brackets) and whose port is an ``int`` from 1 to 65535.

    Raises:
        SocketError: The address is malformed; the message says what is wrong with it.
    """
    hostname: object
    port: object
    if isinstance(address, str):
        hostname, port = _split_host_port(address)
    elif isinstance(address, SocketAddress):
        hostname, port = address.hostname, address.port
    elif isinstance(address, Mapping):
        hostname, port = _fields_of_mapping(address)
    else:
        raise SocketError(
            "address must be a 'host:port' string, a SocketAddress or a mapping with "
            f"'hostname' and 'port', got {type(address).__name__}"
        )
    if not isinstance(hostname, str):
        raise SocketError(f"hostname must be a string, got {type(hostname).__name__}")
    return SocketAddress(_normalize_host(hostname, bracketed_ok=True), check_port(port))


def ip_literal(hostname: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``hostname`` spells, or ``None`` if it is a name to resolve.

    Only the standard spellings count (dotted quad, RFC 4291 text), so a literal never
    needs ``getaddrinfo``; odd forms such as ``"127.1"`` are left to the resolver.
    """
    try:
        return ipaddress.ip_address(hostname)
    except ValueError:
        return None


def ip_version(hostname: str) -> int | None:
    """4 or 6 if ``hostname`` is an IP literal (as :func:`ip_literal` decides), else ``None``.

    The common canonical spellings are recognized by ``inet_pton`` without building an
    ``ipaddress`` object, which costs more than the rest of ``connect()``'s parsing.
    """
    version = _canonical_ip_version(hostname)
    if version:
        return version
    literal = ip_literal(hostname)
    return None if literal is None else literal.version


def _canonical_ip_version(hostname: str) -> int:
    """4 or 6 if ``hostname`` is an IP address in its canonical text form, else 0."""
    family, version = (socket.AF_INET6, 6) if ":" in hostname else (socket.AF_INET, 4)
    try:
        if socket.inet_ntop(family, socket.inet_pton(family, hostname)) == hostname:
            return version
    except (OSError, ValueError):
        pass
    return 0


def quote_input(value: object) -> str:
    """``repr(value)`` for an error message, cut short: a message quotes what it was
    given, not megabytes of it."""
    if isinstance(value, str) and len(value) > _QUOTED:
        return f"{value[:_QUOTED]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= _QUOTED else f"{text[:_QUOTED]}... ({len(text)} characters)"


def check_port(port: object) -> int:
    """``port`` if it is an ``int`` from 1 to 65535 (not a ``bool``); else a SocketError."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise SocketError(
            f"port must be an integer from 1 to 65535, got {quote_input(port)} "
            f"({type(port).__name__})"
        )
    if not 1 <= port <= 65535:
        raise SocketError(f"port must be an integer from 1 to 65535, got {quote_input(port)}")
    return port


def normalize_hostname(hostname: str) -> str:
    """Check a DNS name or IP literal (no brackets) and return its ASCII form.

    Raises:
        SocketError: The name is empty, too long, or has a character no hostname has.
    """
    return _normalize_host(hostname, bracketed_ok=False)


def _split_host_port(text: str) -> tuple[str, object]:
    if "://" in text:
        raise SocketError(
            f"address must be 'host:port' without a scheme, got {quote_input(text)}: drop the 'scheme://'"
        )
    if text.startswith("["):
        end = text.find("]")
        if end == -1:
            raise SocketError(f"address {quote_input(text)} opens '[' but never closes it")
        hostname, rest = text[: end + 1], text[end + 1 :]
        if not rest:
            raise _missing_port(text)
        if not rest.startswith(":"):
            raise SocketError(f"address {quote_input(text)} must have ':port' right after ']'")
        port_text = rest[1:]
    else:
        hostname, colon, port_text = text.rpartition(":")
        if not colon:
            raise _missing_port(text)
        if ":" in hostname:
            raise SocketError(
                f"address {quote_input(text)} looks like an IPv6 address without brackets: "
                "write it as '[v6]:port', e.g. '[::1]:80'"
            )
    if not port_text:
        raise _missing_port(text)
    # Digits only, and few enough for int() (which refuses over 4300 digits): a port has
    # five at most, after any leading zeros.
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text.lstrip("0")) > 5:
        raise SocketError(f"port must be an integer from 1 to 65535, got {quote_input(port_text)}")
    return hostname, int(port_text)


def _missing_port(text: str) -> SocketError:
    return SocketError(
        f"address {quote_input(text)} has no port: write it as 'host:port', e.g. 'example.com:443'"
    )


def _fields_of_mapping(address: Mapping[object, object]) -> tuple[object, object]:
    for key in address:
        if key not in _ADDRESS_KEYS:
            raise SocketError(
                f"unknown address field {quote_input(key)}: an address mapping has only "
                "'hostname' and 'port'"
            )
    if "hostname" not in address:
        raise SocketError("address mapping has no 'hostname'")
    if "port" not in address:
        raise SocketError(
            "address mapping has no 'port': there is no default port, give one from 1 to 65535"
        )
    return address["hostname"], address["port"]


def _normalize_host(hostname: str, *, bracketed_ok: bool) -> str:
    if not hostname:
        raise SocketError("hostname must not be empty")
    if len(hostname) > _MAX_HOSTNAME_INPUT:
        raise _too_long(hostname)
    if _canonical_ip_version(hostname):
        return hostname  # the common case, without building an ipaddress object
    if hostname.startswith("[") or hostname.endswith("]"):
        inner = hostname[1:-1] if hostname.startswith("[") and hostname.endswith("]") else ""
        if bracketed_ok and _canonical_ip_version(inner) == 6:
            return inner
        ip = ip_literal(inner) if bracketed_ok else None
        if not isinstance(ip, ipaddress.IPv6Address):
            raise SocketError(
                f"brackets are only for IPv6 literals, got {quote_input(hostname)}: "
                "write a name or IPv4 address without them"
            )
        return ip.compressed
    if ":" in hostname:
        ip = ip_literal(hostname)
        if not isinstance(ip, ipaddress.IPv6Address):
            raise SocketError(f"hostname {quote_input(hostname)} is not a valid IPv6 address")
        return ip.compressed
    ip = ip_literal(hostname)
    if ip is not None:
        return ip.compressed
    for char in hostname:
        if char.isspace() or not char.isprintable() or char in "/@\\?#%":
            raise SocketError(
                f"hostname {quote_input(hostname)} contains {char!r}, which no hostname can "
                "contain"
            )
    if not hostname.isascii():
        hostname = _idna_encode(hostname)
    name = hostname[:-1] if hostname.endswith(".") else hostname
    if len(name) > _MAX_HOSTNAME:
        raise _too_long(name)
    for label in name.split("."):
        if not label:
            raise SocketError(
                f"hostname {quote_input(hostname)} has an empty label (two dots in a row?)"
            )
        if len(label) > _MAX_LABEL:
            raise SocketError(
                f"hostname {quote_input(hostname)} has a label of {len(label)} characters, "
                f"the limit is {_MAX_LABEL}"
            )
        bad = next((c for c in label if c not in _LABEL_CHARS), None)
        if bad is not None:
            raise SocketError(
                f"hostname {quote_input(hostname)} contains {bad!r}: use letters, digits, "
                "'-', '_' and '.'"
            )
    return hostname.lower()


def _too_long(name: str) -> SocketError:
    return SocketError(
        f"hostname is {len(name)} characters long, the limit is {_MAX_HOSTNAME}: "
        f"{quote_input(name)}"
    )


def _idna_encode(hostname: str) -> str:
    """The ASCII (A-label) form of an internationalized name, as UTS #46 maps it."""
    try:
        mapped = idna.uts46_remap(hostname, std3_rules=False, transitional=False)
        labels = [
            label if label.isascii() else idna.alabel(label).decode("ascii")
            for label in mapped.split(".")
        ]
    except idna.IDNAError as exc:
        raise SocketError(
            f"hostname {quote_input(hostname)} is not a valid internationalized name: {exc}"
        ) from exc
    return ".".join(labels)
