"""wintersockets.transport: the one layer that touches asyncio transports.

``protocol.py`` bridges a transport to a socket's readable byte stream and writable stream
(backpressure both ways, half-close, zero-copy BYOB reads) and reports to the socket
through ``listener.py``'s interface; ``chunks.py`` says what a written chunk sends;
``errors.py`` turns low-level failures into ``SocketError``. Nothing here is public API:
the socket layer uses it.
"""

from __future__ import annotations

__all__: list[str] = []
