"""wintersockets: the WinterTC Sockets API and WHATWG Streams for asyncio.

``connect()`` opens a TCP connection and returns a :class:`Socket` at once; its
``readable`` and ``writable`` are WHATWG streams (:mod:`wintersockets.streams`).
A :class:`Connector` carries what ``connect()`` cannot say: TLS settings, a proxy, an
egress policy, a connect timeout.
"""

from __future__ import annotations

# connector: the binding object and what it is configured with
from wintersockets.connector import (
    Connector,
    EgressPolicy,
    ProxySettings,
    SocketAddress,
    TLSSettings,
    connect,
)

# errors
from wintersockets.errors import SocketError

# socket
from wintersockets.socket import Socket, SocketInfo, TLSInfo

# Grouped by layer above; kept sorted here.
__all__ = [
    "Connector",
    "EgressPolicy",
    "ProxySettings",
    "Socket",
    "SocketAddress",
    "SocketError",
    "SocketInfo",
    "TLSInfo",
    "TLSSettings",
    "connect",
]
