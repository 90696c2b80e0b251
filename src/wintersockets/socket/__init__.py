"""wintersockets.socket: the ``Socket`` [Socket], its lifecycle and ``SocketInfo``.

``socket.py`` holds :class:`~wintersockets.socket.socket.Socket`, ``info.py`` the
:class:`~wintersockets.socket.info.SocketInfo` record, and ``_state.py`` every state, event
and transition of a socket's lifecycle as tables. Sockets are made by the connector layer.
"""

from __future__ import annotations

from wintersockets.socket.info import SocketInfo, TLSInfo
from wintersockets.socket.socket import Socket

__all__ = ["Socket", "SocketInfo", "TLSInfo"]
