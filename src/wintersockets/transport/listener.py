"""What the socket layer hears from a transport bridge: the :class:`BridgeListener` interface.

The bridge (``protocol.py``) reports each event of the connection and its streams; the
socket, which owns the lifecycle, decides what follows (send FIN, close, hand over for
``start_tls``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from wintersockets.errors import SocketError

__all__: list[str] = []


class BridgeListener(Protocol):
    """What the socket layer hears from a bridge. Each call runs synchronously."""

    def connection_made(self) -> None:
        """The transport is connected; told only to a bridge created to report it."""

    def peer_fin(self) -> None:
        """The peer sent FIN; the readable is closed after the data already received."""

    def readable_cancelled(self) -> None:
        """The application cancelled the readable; later data is discarded."""

    def writable_closing(self) -> None:
        """The writable's queue is flushed and its sink is closing: send FIN, or close."""

    def writable_done(self) -> None:
        """The writable was aborted or errored by a bad chunk: nothing more will be sent."""

    def connection_ended(self, error: SocketError | None) -> None:
        """The transport is gone: cleanly (``None``), or broken with ``error``.

        ``error`` is the ``SocketError`` the streams were errored with; its ``__cause__``
        is the transport's exception.
        """


class _Gone:
    """The listener of a bridge whose connection is over: it hears nothing more.

    Once the transport is lost or handed over, the socket is in a final state and what
    the bridge could still report (a late cancel of the readable, a writable closing)
    changes nothing. Swapping the socket for this breaks the socket ↔ bridge reference
    cycle, so both are freed by reference counting when the application lets go of the
    socket, instead of waiting for the garbage collector.
    """

    __slots__ = ()

    def connection_made(self) -> None:
        pass

    def peer_fin(self) -> None:
        pass

    def readable_cancelled(self) -> None:
        pass

    def writable_closing(self) -> None:
        pass

    def writable_done(self) -> None:
        pass

    def connection_ended(self, error: SocketError | None) -> None:
        pass


GONE: BridgeListener = _Gone()
