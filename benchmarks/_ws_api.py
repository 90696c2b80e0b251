"""Find the wintersockets API the benchmarks use, and describe the parts they touch.

The benchmarks are written against the public contract in DESIGN.md. Until a part of the
library exists, looking it up raises :class:`~benchmarks._harness.NotAvailable` and the
harness prints ``n/a`` for the variants that need it. The ``Protocol`` types below name only
what the benchmarks call, so they type-check whatever module a name ends up living in.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, cast

from benchmarks._harness import NotAvailable

__all__ = [
    "ByobReaderLike",
    "DefaultReaderLike",
    "ReadResultLike",
    "SocketLike",
    "WriterLike",
    "byob_reader",
    "connector_class",
    "default_reader",
    "readable_stream_class",
    "transform_stream_class",
    "writable_stream_class",
    "writer_of",
    "ws_connect",
]


class ReadResultLike(Protocol):
    """``ReadResult(value, done)``."""

    @property
    def value(self) -> Any: ...

    @property
    def done(self) -> bool: ...


class DefaultReaderLike(Protocol):
    """A ``ReadableStreamDefaultReader``."""

    def read(self) -> Awaitable[ReadResultLike]: ...

    def release_lock(self) -> None: ...


class ByobReaderLike(Protocol):
    """A ``ReadableStreamBYOBReader``."""

    def read(self, view: memoryview, /, *, min: int = ...) -> Awaitable[ReadResultLike]: ...

    def release_lock(self) -> None: ...


class WriterLike(Protocol):
    """A ``WritableStreamDefaultWriter``."""

    def write(self, chunk: bytes, /) -> Awaitable[None]: ...

    def release_lock(self) -> None: ...


class ReadableLike(Protocol):
    """A ``ReadableStream``: only ``get_reader`` is used."""

    def get_reader(self, *, mode: str | None = ...) -> Any: ...


class WritableLike(Protocol):
    """A ``WritableStream``: only ``get_writer`` is used."""

    def get_writer(self) -> Any: ...


class SocketLike(Protocol):
    """A wintersockets ``Socket``."""

    @property
    def opened(self) -> Awaitable[Any]: ...

    @property
    def readable(self) -> ReadableLike: ...

    @property
    def writable(self) -> WritableLike: ...

    def close(self) -> Awaitable[None]: ...


def default_reader(sock: SocketLike) -> DefaultReaderLike:
    """The socket's readable, locked to a default reader."""
    return cast(DefaultReaderLike, sock.readable.get_reader())


def byob_reader(sock: SocketLike) -> ByobReaderLike:
    """The socket's readable, locked to a BYOB reader."""
    return cast(ByobReaderLike, sock.readable.get_reader(mode="byob"))


def writer_of(sock: SocketLike) -> WriterLike:
    """The socket's writable, locked to a writer."""
    return cast(WriterLike, sock.writable.get_writer())


def _find(name: str, modules: Iterable[str]) -> Any:
    """The first ``module.name`` that exists among ``modules``."""
    broken: list[str] = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the module exists; something it imports does not
                broken.append(f"{module_name}: {exc}")
            continue
        except ImportError as exc:
            broken.append(f"{module_name}: {exc}")
            continue
        value = getattr(module, name, None)
        if value is not None:
            return value
    why = f" ({'; '.join(broken)})" if broken else ""
    raise NotAvailable(f"wintersockets has no {name} yet{why}")


_SOCKET_MODULES = (
    "wintersockets",
    "wintersockets.connector",
    "wintersockets.connector.connector",
    "wintersockets.socket",
    "wintersockets.socket.socket",
)


def ws_connect() -> Callable[..., SocketLike]:
    """``wintersockets.connect``."""
    return cast(Callable[..., SocketLike], _find("connect", _SOCKET_MODULES))


def connector_class() -> Callable[..., Any]:
    """``wintersockets.Connector``."""
    return cast(Callable[..., Any], _find("Connector", _SOCKET_MODULES))


def readable_stream_class() -> Any:
    """``wintersockets.streams.ReadableStream``."""
    return _find(
        "ReadableStream", ("wintersockets.streams", "wintersockets.streams.readable_stream")
    )


def writable_stream_class() -> Any:
    """``wintersockets.streams.WritableStream``."""
    return _find(
        "WritableStream", ("wintersockets.streams", "wintersockets.streams.writable_stream")
    )


def transform_stream_class() -> Any:
    """``wintersockets.streams.TransformStream``."""
    return _find(
        "TransformStream", ("wintersockets.streams", "wintersockets.streams.transform_stream")
    )
