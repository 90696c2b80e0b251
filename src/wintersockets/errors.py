"""The Sockets API's error type [SocketError]."""

from __future__ import annotations

__all__ = ["SocketError"]


class SocketError(TypeError):
    """A socket failed or was misused [SocketError].

    ``str(err)`` always starts with ``"SocketError: "``, as the spec requires; the
    low-level cause (``OSError``, ``ssl.SSLError``, ...) is chained as ``__cause__``.
    It is a ``TypeError`` so that code written to catch either works.
    """

    def __init__(self, message: str) -> None:
        if not message.startswith("SocketError: "):
            message = "SocketError: " + message
        super().__init__(message)

    @property
    def message(self) -> str:
        """The message without the ``"SocketError: "`` prefix."""
        text: str = self.args[0]
        return text[len("SocketError: ") :]
