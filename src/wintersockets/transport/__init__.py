"""wintersockets.transport: the one layer that touches asyncio transports.

``protocol.py`` bridges a transport to a socket's readable byte stream and writable stream
(backpressure both ways, half-close, zero-copy BYOB reads); ``errors.py`` turns low-level
failures into ``SocketError``. Nothing here is public API: the socket layer uses it.
"""

from __future__ import annotations

__all__: list[str] = []
