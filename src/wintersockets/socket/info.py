"""What an open socket reports about its connection [SocketInfo].

The spec's ``SocketInfo`` dictionary becomes a frozen dataclass. Addresses are written the
way a URL authority writes them: ``"93.184.216.34:443"`` for IPv4 and names, and
``"[::1]:8080"`` for IPv6, so the port can always be split off at the last colon.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SocketInfo"]


@dataclass(frozen=True, slots=True)
class SocketInfo:
    """Details of an established connection [SocketInfo].

    ``opened`` resolves with one of these once the connection (and, for secure transport,
    the TLS handshake) is complete.

    Attributes:
        remote_address: The peer's actual address and port, e.g. ``"[::1]:8080"``.
        local_address: This end's address and port.
        alpn: The protocol the server picked by ALPN, or ``None``.
    """

    remote_address: str | None
    local_address: str | None
    alpn: str | None = None


def format_host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 literal in brackets (``"[::1]:80"``)."""
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"
