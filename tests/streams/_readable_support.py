"""Support for the readable stream tests: let reactions run, check how futures settle.

Python counterparts of what WPT's ``resources/test-utils.js`` and ``rs-utils.js`` provide
for readable streams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wintersockets.streams._promises import ReasonError
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.readable_stream import ReadableStream

__all__ = [
    "Error1",
    "Error2",
    "assert_pending",
    "assert_rejects",
    "byte_stream",
    "error1",
    "error2",
    "flush",
    "js_await",
    "read_all",
    "recording_stream",
    "stream_with_controller",
]


class Error1(Exception):
    """The first distinct error a test errors a stream with."""


class Error2(Exception):
    """The second distinct error."""


error1 = Error1("error1")
error2 = Error2("error2")


async def flush(max_turns: int = 1000) -> None:
    """Let every reaction already scheduled, and the ones they schedule, run.

    WPT waits for a timer tick, by which the microtask queue has drained; asyncio runs one
    layer of callbacks per loop turn, so this turns the loop until no callback is ready.
    """
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0)
    for _ in range(max_turns):
        ready = getattr(loop, "_ready", None)
        if ready is not None and not ready:
            return
        await asyncio.sleep(0)


async def js_await(future: asyncio.Future[Any]) -> Any:
    """Await ``future`` as JavaScript's ``await`` or ``.then()`` does: yield to the loop once.

    Awaiting a future that is already done does not yield in Python, so reactions queued
    before it settled (a stream's start steps, say) would not have run yet; in JavaScript
    they would have.
    """
    result = await future
    await asyncio.sleep(0)
    return result


async def assert_rejects(
    future: asyncio.Future[Any], expected: object, match: str | None = None
) -> BaseException:
    """Await ``future`` and check it fails with ``expected``.

    ``expected`` is an exact exception object, an exception class, or any other value,
    which must be the ``reason`` of the ``ReasonError`` the future failed with.
    """
    try:
        await future
    except BaseException as caught:
        exc = caught
    else:
        raise AssertionError(f"the future fulfilled, expected a rejection with {expected!r}")
    if isinstance(expected, type) and issubclass(expected, BaseException):
        assert isinstance(exc, expected), f"got {exc!r}, expected {expected.__name__}"
    elif isinstance(expected, BaseException):
        assert exc is expected, f"got {exc!r}, expected {expected!r}"
    else:
        assert isinstance(exc, ReasonError), f"got {exc!r}"
        assert exc.reason == expected, f"reason {exc.reason!r}, expected {expected!r}"
    if match is not None:
        assert match in str(exc), f"{str(exc)!r} does not contain {match!r}"
    return exc


def assert_pending(future: asyncio.Future[Any]) -> None:
    """Check ``future`` has not settled yet."""
    assert not future.done(), f"the future settled: {future!r}"


def stream_with_controller(
    source: dict[str, Any] | None = None, strategy: object = None
) -> tuple[ReadableStream[Any], ReadableStreamDefaultController[Any]]:
    """A default stream and the controller its source's ``start`` received."""
    box: list[ReadableStreamDefaultController[Any]] = []
    source = dict(source or {})
    user_start: Callable[[Any], object] | None = source.pop("start", None)

    def start(controller: ReadableStreamDefaultController[Any]) -> object:
        box.append(controller)
        return user_start(controller) if user_start is not None else None

    stream: ReadableStream[Any] = ReadableStream({**source, "start": start}, strategy)
    return stream, box[0]


def byte_stream(
    source: dict[str, Any] | None = None, strategy: object = None
) -> tuple[ReadableStream[bytes], ReadableByteStreamController]:
    """A byte stream and the controller its source's ``start`` received."""
    box: list[ReadableByteStreamController] = []
    source = dict(source or {})
    user_start: Callable[[Any], object] | None = source.pop("start", None)

    def start(controller: ReadableByteStreamController) -> object:
        box.append(controller)
        return user_start(controller) if user_start is not None else None

    stream: ReadableStream[bytes] = ReadableStream(
        {**source, "type": "bytes", "start": start}, strategy
    )
    return stream, box[0]


async def read_all(stream: ReadableStream[Any]) -> list[Any]:
    """Every chunk of ``stream``, read with a default reader until it closes."""
    reader = stream.get_reader()
    chunks: list[Any] = []
    while True:
        result = await reader.read()
        if result.done:
            return chunks
        chunks.append(result.value)


class RecordingStream:
    """WPT's recordingReadableStream: a stream whose source records "pull" and "cancel".

    ``events`` reads like WPT's: ``["pull", "cancel", reason]``. ``controller`` is the
    controller ``start`` received.
    """

    def __init__(self, source: dict[str, Any] | None = None, strategy: object = None) -> None:
        self.events: list[object] = []
        extras = dict(source or {})
        self._start = extras.pop("start", None)
        self._pull = extras.pop("pull", None)
        self._cancel = extras.pop("cancel", None)
        self.controller: Any = None
        self.stream: ReadableStream[Any] = ReadableStream(
            {**extras, "start": self.start, "pull": self.pull, "cancel": self.cancel}, strategy
        )

    def start(self, controller: Any) -> object:
        self.controller = controller
        return self._start(controller) if self._start is not None else None

    def pull(self, controller: Any) -> object:
        self.events.append("pull")
        return self._pull(controller) if self._pull is not None else None

    def cancel(self, reason: object) -> object:
        self.events.extend(["cancel", reason])
        return self._cancel(reason) if self._cancel is not None else None


def recording_stream(
    source: dict[str, Any] | None = None, strategy: object = None
) -> RecordingStream:
    """A :class:`RecordingStream`."""
    return RecordingStream(source, strategy)
