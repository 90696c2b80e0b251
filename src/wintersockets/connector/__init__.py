"""wintersockets.connector: the binding object, ``connect()``, and what they check.

``connector.py`` holds :class:`~wintersockets.connector.connector.Connector` and the
module-level ``connect()``; ``address.py`` and ``options.py`` parse and check the
``connect()`` arguments; the modules beside them make the connection (dial, egress policy,
Happy Eyeballs, proxies, TLS).
"""

from __future__ import annotations

from wintersockets.connector.address import SocketAddress
from wintersockets.connector.connector import Connector, connect
from wintersockets.connector.egress import EgressPolicy
from wintersockets.connector.proxy import ProxySettings
from wintersockets.connector.tls import TLSSettings

__all__ = ["Connector", "EgressPolicy", "ProxySettings", "SocketAddress", "TLSSettings", "connect"]
