"""Egress policy: which destinations a ``Connector`` may open connections to.

A service that connects on behalf of others (webhooks, crawlers, "connect to your
database" features) must not be steered into its own network: loopback, private ranges,
link-local (where clouds serve instance metadata at ``169.254.169.254``), and so on. An
:class:`EgressPolicy` decides, for one IP address and port, whether a connection may go
there; :meth:`EgressPolicy.public_only` is the preset for such services.

Everything here is pure: decisions are made on :mod:`ipaddress` objects, never on
spellings, and never look anything up. The dialer (``dial.py``) applies the policy to the
very address it connects to, after resolution, so DNS rebinding cannot slip a blocked
address past a check made on an earlier lookup.

Normalization, so that one address has one verdict whatever its spelling:

- Every spelling a resolver accepts as an IPv4 literal means the same address:
  ``"127.1"``, ``"2130706433"``, ``"0x7f000001"``, ``"0177.0.0.1"`` all parse to
  ``127.0.0.1`` (:func:`parse_ip_literal`). A trailing dot and IPv6 zone ids
  (``"fe80::1%eth0"``) are accepted too.
- An IPv6 address that carries an IPv4 address to which traffic is delivered is judged
  on both: IPv4-mapped ``::ffff:a.b.c.d`` (the kernel connects over IPv4),
  IPv4-translated ``::ffff:0:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64
  ``64:ff9b::/96``, 6to4 ``2002::/16`` and Teredo ``2001::/32`` (server and client). The
  connection is allowed only if the IPv6 address and every embedded IPv4 address pass.
  ``::`` and ``::1`` count as IPv4-compatible forms of ``0.0.0.0`` and ``0.0.0.1`` too,
  so a policy that blocks ``0.0.0.0/8`` (which Linux connects to this host) blocks them
  even if it lists no IPv6 network; but their own rules come first, so allowing
  ``::1/128`` allows the IPv6 loopback. ISATAP interface identifiers (``::5efe:a.b.c.d``) are not
  decoded.

``allowed_networks`` take precedence over blocked networks (not over blocked ports): an
address inside an allowed network passes the network check. Each embedded address must
be allowed on its own, so allowing ``64:ff9b::/96`` does not open ``64:ff9b::127.0.0.1``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias, final

# The helpers below the class are the dialer's (importable, not public API).
__all__ = ["EgressPolicy"]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

# The ranges EgressPolicy.public_only() blocks, most specific first so that a message
# names the narrowest rule. Sources: the IANA IPv4 and IPv6 Special-Purpose Address
# Registries (RFC 6890 and updates). Not relying on ipaddress.is_private and friends: their
# definitions changed between Python releases, and a policy must not change under an
# upgrade.
_PUBLIC_ONLY_BLOCKS: tuple[tuple[str, str], ...] = (
    # IPv4
    ("0.0.0.0/8", "unspecified, 'this network'"),  # Linux connects 0.0.0.0 to localhost
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),  # also Alibaba's metadata, 100.100.100.200
    ("127.0.0.0/8", "loopback"),
    ("169.254.169.254/32", "cloud metadata"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),  # incl. Oracle's metadata 192.0.0.192
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
    # IPv6
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::/96", "IPv4-compatible, deprecated"),
    ("::ffff:0:0:0/96", "IPv4-translated"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001:2::/48", "benchmarking"),
    ("2001:10::/28", "ORCHID, deprecated"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("fd00:ec2::254/128", "cloud metadata"),
    ("fc00::/7", "unique local, private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local, deprecated"),
    ("ff00::/8", "multicast"),
)
# SMTP: outbound mail from a service's address is how spam gets sent on its behalf.
_PUBLIC_ONLY_PORTS = (25,)

_LABELS: dict[IPNetwork, str] = {
    ipaddress.ip_network(net): label for net, label in _PUBLIC_ONLY_BLOCKS
}

_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@final
@dataclass(frozen=True, init=False)
class EgressPolicy:
    """Which destinations connections may go to: blocked ports and networks, exceptions.

    Immutable. An address is refused when its port is in ``blocked_ports``, or when it
    (or an IPv4 address it embeds) lies in a ``blocked_networks`` entry and not in an
    ``allowed_networks`` entry. Use :meth:`public_only` for the usual "public internet
    only" policy.

    Args:
        blocked_ports: TCP ports never connected to.
        blocked_networks: Networks (``"10.0.0.0/8"``, ``ipaddress`` objects) refused.
        allowed_networks: Networks allowed even if a blocked network contains them.

    Raises:
        ValueError: A port is not an integer from 1 to 65535, or a network is malformed.
    """

    blocked_ports: frozenset[int]
    blocked_networks: tuple[IPNetwork, ...]
    allowed_networks: tuple[IPNetwork, ...]

    def __init__(
        self,
        blocked_ports: Iterable[int] = (),
        blocked_networks: Iterable[str | IPNetwork] = (),
        allowed_networks: Iterable[str | IPNetwork] = (),
    ) -> None:
        ports = frozenset(blocked_ports)
        for port in ports:
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                raise ValueError(f"blocked port must be an integer from 1 to 65535, got {port!r}")
        object.__setattr__(self, "blocked_ports", ports)
        object.__setattr__(self, "blocked_networks", _networks(blocked_networks))
        object.__setattr__(self, "allowed_networks", _networks(allowed_networks))

    @classmethod
    def public_only(
        cls,
        *,
        allowed_networks: Iterable[str | IPNetwork] = (),
        blocked_ports: Iterable[int] = _PUBLIC_ONLY_PORTS,
    ) -> EgressPolicy:
        """A policy that lets connections reach public internet addresses only.

        Blocks loopback, private (RFC 1918, ``fc00::/7``), link-local (``169.254.0.0/16``
        with the cloud metadata address, ``fe80::/10``), carrier-grade NAT
        (``100.64.0.0/10``), multicast, broadcast, unspecified, reserved, documentation and
        benchmarking ranges, and port 25 (SMTP).

        Args:
            allowed_networks: Networks to let through anyway (say, one internal service).
            blocked_ports: Ports to refuse; defaults to ``(25,)``.
        """
        return cls(
            blocked_ports=blocked_ports,
            blocked_networks=[net for net, _ in _PUBLIC_ONLY_BLOCKS],
            allowed_networks=allowed_networks,
        )

    def check_port(self, port: int) -> str | None:
        """``None`` if ``port`` may be connected to, else the reason it may not."""
        if port in self.blocked_ports:
            return f"port {port} is not allowed"
        return None

    def check(self, address: IPAddress, port: int) -> str | None:
        """Decide on one destination: ``None`` if allowed, else the reason it is not.

        Args:
            address: The address the connection would go to (a zone id is ignored).
            port: The TCP port.

        Returns:
            ``None``, or a reason such as ``"127.0.0.0/8 (loopback) is not allowed"``.
        """
        reason = self.check_port(port)
        if reason is not None:
            return reason
        if isinstance(address, ipaddress.IPv6Address):
            address = ipaddress.IPv6Address(int(address))  # drop the zone id
            # "::" and "::1" are IPv6's unspecified and loopback addresses before they are
            # IPv4-compatible spellings of 0.0.0.0 and 0.0.0.1: their own rules come first,
            # so that allowing ::1/128 allows it and blocking it names loopback.
            if int(address) <= 1:
                if self._allows(address):
                    return None
                reason = self._check_network(address)
                if reason is not None:
                    return reason
            # Otherwise judge what the packets are delivered to first, so the message
            # names it.
            for embedded, how in embedded_ipv4(address):
                reason = self._check_network(embedded)
                if reason is not None:
                    return f"it embeds {embedded} ({how}), and {reason}"
        return self._check_network(address)

    def _allows(self, address: IPAddress) -> bool:
        return any(
            address.version == network.version and address in network
            for network in self.allowed_networks
        )

    def _check_network(self, address: IPAddress) -> str | None:
        if self._allows(address):
            return None
        for network in self.blocked_networks:
            if address.version == network.version and address in network:
                label = _LABELS.get(network)
                rule = f"{network} ({label})" if label else str(network)
                return f"{rule} is not allowed"
        return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[ipaddress.IPv4Address, str]]:
    """The IPv4 addresses an IPv6 address delivers traffic to, each with how it embeds it.

    Covers IPv4-mapped (``::ffff:a.b.c.d``), IPv4-translated (``::ffff:0:a.b.c.d``),
    IPv4-compatible (``::a.b.c.d``, including ``::`` and ``::1``, read as ``0.0.0.0`` and
    ``0.0.0.1``: a policy errs on the side of refusing), NAT64 (``64:ff9b::/96``), 6to4
    (``2002::/16``) and Teredo (``2001::/32``, both the server and the de-obfuscated
    client address).
    """
    found: list[tuple[ipaddress.IPv4Address, str]] = []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _MAPPED:
        found.append((low32, "IPv4-mapped"))
    elif address in _TRANSLATED:
        found.append((low32, "IPv4-translated"))
    elif address in _COMPATIBLE:
        found.append((low32, "IPv4-compatible"))
    elif address in _NAT64:
        found.append((low32, "NAT64"))
    elif address.sixtofour is not None:
        found.append((address.sixtofour, "6to4"))
    elif address.teredo is not None:
        server, client = address.teredo
        found.append((server, "Teredo server"))
        found.append((client, "Teredo client"))
    return found


def parse_ip_literal(host: str) -> IPAddress | None:
    """The IP address ``host`` spells if a resolver would read it as a literal, else None.

    Accepts what ``getaddrinfo(..., AI_NUMERICHOST)`` accepts, which for IPv4 is every
    ``inet_aton`` form (``"127.1"``, ``"2130706433"``, ``"0x7f000001"``,
    ``"0177.0.0.1"``), plus brackets around IPv6, an IPv6 zone id (kept on the result) and
    one trailing dot (``"127.0.0.1."``, which some resolvers read as the literal).
    """
    text = host
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    if not text or text.strip() != text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    # What the system resolver itself reads as a number, without any lookup.
    try:
        infos = socket.getaddrinfo(
            text, None, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
        )
    except (OSError, UnicodeError, ValueError):
        return None
    family, _, _, _, sockaddr = infos[0]
    parsed = ipaddress.ip_address(sockaddr[0])
    if family == socket.AF_INET6 and len(sockaddr) == 4 and sockaddr[3]:
        parsed = ipaddress.IPv6Address(f"{parsed}%{sockaddr[3]}")
    return parsed


def lenient_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address the most lenient parser (``inet_aton``) reads in ``host``.

    ``inet_aton`` accepts more than ``getaddrinfo`` does (``"127.0.0.1 junk"``). Such a
    string is not connected to as a literal here, but another resolver might read it as
    one, so policy checks treat it as that address.
    """
    text = host[:-1] if host.endswith(".") else host
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, UnicodeError, ValueError):
        return None


def format_address(address: IPAddress, port: int) -> str:
    """``"127.0.0.1:80"``, or ``"[::1]:80"`` for IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        return f"[{address}]:{port}"
    return f"{address}:{port}"


def blocked_message(destination: str, reason: str) -> str:
    """The message of the ``SocketError`` for a refused destination.

    ``destination`` is shown as given; callers quote it as other connection failures do.
    Example: ``connecting to '127.0.0.1:8080' is blocked by the egress policy: 127.0.0.0/8
    (loopback) is not allowed``.
    """
    return f"connecting to {destination} is blocked by the egress policy: {reason}"


def _networks(items: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    networks: list[IPNetwork] = []
    for item in items:
        if isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network):
            networks.append(item)
        elif isinstance(item, str):
            try:
                networks.append(ipaddress.ip_network(item))
            except ValueError as exc:
                raise ValueError(f"network must be like '10.0.0.0/8', got {item!r}") from exc
        else:
            raise TypeError(
                f"network must be a string or an ipaddress network, got {type(item).__name__}"
            )
    return tuple(networks)
