"""How to connect: the ``SocketOptions`` record and the parser for both spellings of it.

Options come as keyword arguments (``secure_transport="on"``) or as a mapping in the
spec's camelCase (``{"secureTransport": "on"}``) or in snake_case, so code ported from
JavaScript works unchanged. :func:`parse_options` checks them all at ``connect()`` time and
returns one frozen :class:`SocketOptions`; nothing later looks at the caller's objects.

``None`` for any option means "not given", as ``undefined`` does for a member of a Web IDL
dictionary. An unknown option is an error rather than silently ignored (Web IDL would
ignore it): a misspelt ``allowHalfopen`` would otherwise change behavior without a word.

This module is pure: no event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, TypedDict

from wintersockets.connector.address import normalize_hostname, quote_input
from wintersockets.errors import SocketError

__all__ = ["SecureTransport", "SocketOptions", "SocketOptionsDict"]

SecureTransport: TypeAlias = Literal["off", "on", "starttls"]
_SECURE_TRANSPORTS: Final = ("off", "on", "starttls")

# Every accepted spelling → the field it sets.
_SPELLINGS: Final = {
    "secure_transport": "secure_transport",
    "secureTransport": "secure_transport",
    "allow_half_open": "allow_half_open",
    "allowHalfOpen": "allow_half_open",
    "sni": "sni",
    "alpn": "alpn",
}


class SocketOptionsDict(TypedDict, total=False):
    """The mapping spelling of the options, in either case style [SocketOptions]."""

    secure_transport: SecureTransport | None
    secureTransport: SecureTransport | None
    allow_half_open: bool | None
    allowHalfOpen: bool | None
    sni: str | None
    alpn: list[str] | tuple[str, ...] | None


class SocketOptionsKwargs(TypedDict, total=False):
    """The keyword-argument spelling of the options of ``connect()``."""

    secure_transport: SecureTransport | None
    allow_half_open: bool | None
    sni: str | None
    alpn: list[str] | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class SocketOptions:
    """Checked options of one ``connect()`` call [SocketOptions].

    Attributes:
        secure_transport: ``"off"`` (plain TCP), ``"on"`` (TLS from the start) or
            ``"starttls"`` (plain until ``start_tls()``).
        allow_half_open: Whether the writable stays usable after the peer's FIN
            (DESIGN.md decision 3).
        sni: The server name to send in the TLS handshake instead of the hostname.
        alpn: Protocols to offer by ALPN, most preferred first.
    """

    secure_transport: SecureTransport = "off"
    allow_half_open: bool = False
    sni: str | None = None
    alpn: tuple[str, ...] = ()


_DEFAULTS: Final = SocketOptions()


def parse_options(
    options: Mapping[str, object] | SocketOptions | None = None,
    kwargs: Mapping[str, object] | None = None,
) -> SocketOptions:
    """Check the options of a ``connect()`` call and return them as one record.

    Args:
        options: The positional options: a mapping in camelCase or snake_case, a
            :class:`SocketOptions`, or ``None``.
        kwargs: The keyword arguments (snake_case or camelCase).

    Returns:
        The options, with defaults filled in.

    Raises:
        SocketError: An option is unknown, given twice, of the wrong type or value, or
            ``sni``/``alpn`` is given without TLS.
    """
    if options is None and not kwargs:
        return _DEFAULTS
    given: dict[str, object] = {}
    spelt: dict[str, str] = {}
    sources: list[Mapping[str, object]] = []
    if isinstance(options, SocketOptions):
        sources.append(
            {
                "secure_transport": options.secure_transport,
                "allow_half_open": options.allow_half_open,
                "sni": options.sni,
                "alpn": options.alpn,
            }
        )
    elif isinstance(options, Mapping):
        sources.append(options)
    elif options is not None:
        raise SocketError(
            "options must be a mapping such as {'secureTransport': 'on'} or keyword "
            f"arguments, got {type(options).__name__}"
        )
    if kwargs:
        sources.append(kwargs)
    for source in sources:
        for key, value in source.items():
            field = _SPELLINGS.get(key) if isinstance(key, str) else None
            if field is None:
                known = ", ".join(repr(name) for name in _SPELLINGS)
                raise SocketError(f"unknown option {quote_input(key)}: the options are {known}")
            if value is None:
                continue
            if field in given:
                raise SocketError(
                    f"option {field!r} is given twice, as {quote_input(spelt[field])} and as "
                    f"{quote_input(key)}: "
                    "give it once"
                )
            given[field] = value
            spelt[field] = key
    return _check(given)


def _check(given: Mapping[str, object]) -> SocketOptions:
    secure = given.get("secure_transport", "off")
    if secure not in _SECURE_TRANSPORTS or not isinstance(secure, str):
        raise SocketError(
            f"secure_transport must be 'off', 'on' or 'starttls', got {quote_input(secure)}"
        )
    allow_half_open = given.get("allow_half_open", False)
    if not isinstance(allow_half_open, bool):
        raise SocketError(
            f"allow_half_open must be True or False, got {quote_input(allow_half_open)} "
            f"({type(allow_half_open).__name__})"
        )
    sni = given.get("sni")
    if sni is not None:
        if not isinstance(sni, str):
            raise SocketError(f"sni must be a hostname string, got {type(sni).__name__}")
        sni = normalize_hostname(sni)
    alpn = _check_alpn(given.get("alpn", ()))
    if secure == "off" and (sni is not None or alpn):
        names = [name for name, v in (("sni", sni), ("alpn", alpn)) if v]
        verb = "need" if len(names) > 1 else "needs"
        raise SocketError(
            f"{' and '.join(names)} {verb} TLS: pass secure_transport='on' or 'starttls', "
            "or leave them out for plain TCP"
        )
    return SocketOptions(secure, allow_half_open, sni, alpn)


# The ALPN extension's protocol name list: each name with its length byte (RFC 7301).
_MAX_ALPN_LIST: Final = 65535


def _check_alpn(alpn: object) -> tuple[str, ...]:
    if isinstance(alpn, str | bytes) or not isinstance(alpn, list | tuple):
        raise SocketError(
            "alpn must be a list of protocol names such as ['h2', 'http/1.1'], got "
            f"{quote_input(alpn)}"
        )
    total = 0
    for name in alpn:
        if not isinstance(name, str):
            raise SocketError(f"alpn protocol names must be strings, got {quote_input(name)}")
        size = len(name.encode())
        if not 1 <= size <= 255:
            raise SocketError(
                f"alpn protocol names must be 1 to 255 bytes long, got {quote_input(name)}"
            )
        total += 1 + size
    if total > _MAX_ALPN_LIST:
        raise SocketError(
            f"alpn lists {len(alpn)} protocol names, {total} bytes in the TLS handshake: "
            f"the limit is {_MAX_ALPN_LIST} (RFC 7301)"
        )
    return tuple(alpn)
