"""wintersockets.connector: the binding object, ``connect()``, and what they check.

``connector.py`` holds :class:`~wintersockets.connector.connector.Connector` and the
module-level ``connect()``; ``address.py`` and ``options.py`` parse and check the
``connect()`` arguments; the modules beside them make the connection (dial, egress policy,
Happy Eyeballs, proxies, TLS).
"""

from __future__ import annotations

__all__: list[str] = []
