"""Support for the streams tests: let reactions run, check how futures settle, record calls.

Python counterparts of what WPT's ``resources/test-utils.js``, ``rs-utils.js`` and
``recording-streams.js`` provide: a way to let every pending reaction run, assertions on
how a future settled, streams whose source, sink or transformer records what it was asked
to do, and a few small sources the tests share.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wintersockets.streams._promises import ReasonError
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream

__all__ = [
    "Error1",
    "Error2",
    "RecordingReadableStream",
    "RecordingTransformStream",
    "assert_fulfilled",
    "assert_pending",
    "assert_rejects",
    "byte_stream",
    "delay",
    "error1",
    "error2",
    "flush_async_events",
    "from_list",
    "js_await",
    "no_pull",
    "on_settle",
    "pending",
    "readable_stream_to_array",
    "recording_readable_stream",
    "recording_transform_stream",
    "recording_writable_stream",
    "stream_with_controller",
]


class Error1(Exception):
    """The first distinct error a test errors a stream with."""


class Error2(Exception):
    """The second distinct error."""


error1 = Error1("error1")
error2 = Error2("error2")


# -- letting reactions run ------------------------------------------------------------------


async def flush_async_events(max_turns: int = 1000) -> None:
    """Let every reaction already scheduled, and the ones they schedule, run.

    WPT waits for timer ticks, each of which drains the microtask queue. asyncio runs one
    layer of callbacks per loop turn, so this turns the loop until no callback is ready
    (asyncio's ready queue is empty), which is when a timer would fire.
    """
    loop = asyncio.get_running_loop()
    await asyncio.sleep(0)
    for _ in range(max_turns):
        ready = getattr(loop, "_ready", None)
        if ready is not None and not ready:
            return
        await asyncio.sleep(0)


async def delay() -> None:
    """WPT's ``delay(0)``: a timer tick, by which every pending reaction has run."""
    await flush_async_events()


async def js_await(future: asyncio.Future[Any]) -> Any:
    """Await ``future`` as JavaScript's ``await`` or ``.then()`` does: yield to the loop once.

    Awaiting a future that is already done does not yield in Python, so reactions queued
    before it settled (a stream's start steps, say) would not have run yet; in JavaScript
    they would have.
    """
    result = await future
    await asyncio.sleep(0)
    return result


# -- how a future settles -------------------------------------------------------------------


def pending() -> asyncio.Future[Any]:
    """A future of the running loop that nothing settles until the test does."""
    return asyncio.get_running_loop().create_future()


async def assert_rejects(
    future: asyncio.Future[Any], expected: object, match: str | None = None
) -> BaseException:
    """Await ``future`` and check it fails with ``expected``; return the exception.

    ``expected`` is the exact error object (the test's ``error1``), an exception class
    (``TypeError``, ``ValueError`` for RangeError), or any other value, which must be the
    ``reason`` of the ``ReasonError`` the future failed with. ``match``, if given, must be
    part of the exception's message.
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


async def assert_fulfilled(future: asyncio.Future[Any], value: object = None) -> None:
    """Await ``future`` and check it fulfills with ``value``."""
    assert await future == value


def assert_pending(future: asyncio.Future[Any], message: str = "") -> None:
    """Check ``future`` has not settled yet."""
    label = f"{message}: " if message else ""
    assert not future.done(), f"{label}the future settled: {future!r}"


def on_settle(future: asyncio.Future[Any], events: list[object], name: str) -> None:
    """Append ``name`` to ``events`` when ``future`` settles, whichever way.

    The rejection, if any, counts as handled, as a JavaScript ``.catch()`` would.
    """

    def record(f: asyncio.Future[Any]) -> None:
        if not f.cancelled():
            f.exception()
        events.append(name)

    future.add_done_callback(record)


# -- readable streams -----------------------------------------------------------------------


def no_pull(_controller: Any) -> None:
    """A ``pull`` for sources whose test must never see a pull."""
    raise AssertionError("pull must not be called")


def from_list(chunks: list[Any]) -> ReadableStream[Any]:
    """A stream that enqueues ``chunks`` in its ``start``, then closes."""

    def start(controller: Any) -> None:
        for chunk in chunks:
            controller.enqueue(chunk)
        controller.close()

    return ReadableStream({"start": start})


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


async def readable_stream_to_array(stream: ReadableStream[Any]) -> list[Any]:
    """Read every chunk of ``stream`` with a default reader (WPT's readableStreamToArray)."""
    reader = stream.get_reader()
    chunks: list[Any] = []
    while True:
        result = await reader.read()
        if result.done:
            return chunks
        chunks.append(result.value)


class RecordingReadableStream:
    """A readable stream whose source records pulls and cancels (WPT's recordingReadableStream).

    ``events`` reads like WPT's: ``["pull", "cancel", reason]``; ``events_without_pulls``
    has the same without the pulls. ``source`` may hold ``start``, ``pull`` and ``cancel``,
    which run after the recording, and any other member (``type``, say), passed on as it is.
    ``controller`` is the controller ``start`` received.
    """

    def __init__(self, source: dict[str, Any] | None = None, strategy: object = None) -> None:
        extras = dict(source or {})
        self._start = extras.pop("start", None)
        self._pull = extras.pop("pull", None)
        self._cancel = extras.pop("cancel", None)
        self.events: list[object] = []
        self.events_without_pulls: list[object] = []
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
        self.events_without_pulls.extend(["cancel", reason])
        return self._cancel(reason) if self._cancel is not None else None


def recording_readable_stream(
    source: dict[str, Any] | None = None, strategy: object = None
) -> RecordingReadableStream:
    """A :class:`RecordingReadableStream`."""
    return RecordingReadableStream(source, strategy)


# -- writable and transform streams ---------------------------------------------------------


def recording_writable_stream(
    extras: dict[str, Callable[..., Any]] | None = None, strategy: object = None
) -> tuple[WritableStream, list[object]]:
    """A writable stream whose sink records each call, then runs the matching extra.

    The events list reads like WPT's: ``["write", chunk, "close", "abort", reason]``.
    """
    extras = extras or {}
    events: list[object] = []
    controller_box: list[WritableStreamDefaultController] = []

    def start(controller: WritableStreamDefaultController) -> object:
        controller_box.append(controller)
        if "start" in extras:
            return extras["start"](controller)
        return None

    def write(chunk: object, controller: WritableStreamDefaultController) -> object:
        events.extend(["write", chunk])
        if "write" in extras:
            return extras["write"](chunk, controller)
        return None

    def close() -> object:
        events.append("close")
        if "close" in extras:
            return extras["close"]()
        return None

    def abort(reason: object) -> object:
        events.extend(["abort", reason])
        if "abort" in extras:
            return extras["abort"](reason)
        return None

    sink = {"start": start, "write": write, "close": close, "abort": abort}
    return WritableStream(sink, strategy), events


class RecordingTransformStream:
    """A transform stream whose transformer records each call (WPT's recordingTransformStream).

    Without an extra ``transform`` it enqueues the chunk; without an extra ``flush`` it
    terminates the stream.
    """

    def __init__(
        self,
        extras: dict[str, Callable[..., Any]] | None = None,
        writable_strategy: object = None,
        readable_strategy: object = None,
    ) -> None:
        self.extras = extras or {}
        self.events: list[object] = []
        self.controller: TransformStreamDefaultController | None = None
        self.stream = TransformStream(
            {"start": self._start, "transform": self._transform, "flush": self._flush},
            writable_strategy,
            readable_strategy,
        )

    def _start(self, controller: TransformStreamDefaultController) -> object:
        self.controller = controller
        if "start" in self.extras:
            return self.extras["start"](controller)
        return None

    def _transform(self, chunk: object, controller: TransformStreamDefaultController) -> object:
        self.events.extend(["transform", chunk])
        if "transform" in self.extras:
            return self.extras["transform"](chunk, controller)
        controller.enqueue(chunk)
        return None

    def _flush(self, controller: TransformStreamDefaultController) -> object:
        self.events.append("flush")
        if "flush" in self.extras:
            return self.extras["flush"](controller)
        controller.terminate()
        return None

    @property
    def readable(self) -> ReadableStream[Any]:
        return self.stream.readable

    @property
    def writable(self) -> WritableStream:
        return self.stream.writable


def recording_transform_stream(
    extras: dict[str, Callable[..., Any]] | None = None,
    writable_strategy: object = None,
    readable_strategy: object = None,
) -> RecordingTransformStream:
    """A :class:`RecordingTransformStream`."""
    return RecordingTransformStream(extras, writable_strategy, readable_strategy)
