"""wintersockets: the WinterTC Sockets API and WHATWG Streams for asyncio."""

from __future__ import annotations

from wintersockets.errors import SocketError

__all__ = ["SocketError"]
