"""Support for the writable, transform, piping and encoding conformance tests.

Python counterparts of WPT's ``resources/test-utils.js`` and ``recording-streams.js``: a
way to let every pending reaction run, a sink that records what it was asked to do, and
assertions on how a future settled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from wintersockets.streams._promises import ReasonError
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream

__all__ = [
    "assert_fulfilled",
    "assert_pending",
    "assert_rejects",
    "delay",
    "error1",
    "error2",
    "flush_async_events",
    "js_await",
    "on_settle",
    "readable_stream_to_array",
    "recording_readable_stream",
    "recording_transform_stream",
    "recording_writable_stream",
]


class Error1(Exception):
    """The first distinct error a test errors a stream with."""


class Error2(Exception):
    """The second distinct error."""


error1 = Error1("error1")
error2 = Error2("error2")


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


async def js_await(future: asyncio.Future[Any]) -> Any:
    """Await ``future`` as JavaScript's ``await`` does: always yield to the loop once.

    Awaiting a future that is already done does not yield in Python, so reactions queued
    earlier (a stream's start steps, say) would not have run yet; in JavaScript they
    would have.
    """
    result = await future
    await asyncio.sleep(0)
    return result


async def delay() -> None:
    """WPT's ``delay(0)``: a timer tick, by which every pending reaction has run."""
    await flush_async_events()


async def assert_rejects(
    future: asyncio.Future[Any], expected: object, message: str = ""
) -> BaseException:
    """Await ``future`` and check it fails with ``expected``.

    ``expected`` is the exact error object (the test's ``error1``), an exception class
    (``TypeError``, ``ValueError`` for RangeError), or any other value, which must be the
    ``reason`` of the ``ReasonError`` the future failed with.
    """
    try:
        await future
    except BaseException as caught:
        exc = caught
    else:
        raise AssertionError(f"{message}: the future fulfilled, expected a rejection")
    if isinstance(expected, type) and issubclass(expected, BaseException):
        assert isinstance(exc, expected), f"{message}: got {exc!r}"
    elif isinstance(expected, BaseException):
        assert exc is expected, f"{message}: got {exc!r}, expected {expected!r}"
    else:
        assert isinstance(exc, ReasonError), f"{message}: got {exc!r}"
        assert exc.reason == expected, f"{message}: reason {exc.reason!r}"
    return exc


async def assert_fulfilled(future: asyncio.Future[Any], value: object = None) -> None:
    """Await ``future`` and check it fulfills with ``value``."""
    assert await future == value


def assert_pending(future: asyncio.Future[Any], message: str = "") -> None:
    """Check ``future`` has not settled yet."""
    assert not future.done(), f"{message}: the future settled: {future!r}"


def on_settle(future: asyncio.Future[Any], events: list[object], name: str) -> None:
    """Append ``name`` to ``events`` when ``future`` settles, whichever way.

    The rejection, if any, counts as handled, as a JavaScript ``.catch()`` would.
    """

    def record(f: asyncio.Future[Any]) -> None:
        if not f.cancelled():
            f.exception()
        events.append(name)

    future.add_done_callback(record)


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
    """A readable stream whose source records pulls and cancels (WPT's recordingReadableStream)."""

    def __init__(self, extras: dict[str, Any] | None = None, strategy: object = None) -> None:
        self.extras = extras or {}
        self.events: list[object] = []
        self.events_without_pulls: list[object] = []
        self.controller: Any = None
        self.stream: ReadableStream[Any] = ReadableStream(
            {"start": self._start, "pull": self._pull, "cancel": self._cancel}, strategy
        )

    def _start(self, controller: Any) -> object:
        self.controller = controller
        if "start" in self.extras:
            return self.extras["start"](controller)
        return None

    def _pull(self, controller: Any) -> object:
        self.events.append("pull")
        if "pull" in self.extras:
            return self.extras["pull"](controller)
        return None

    def _cancel(self, reason: object) -> object:
        self.events.extend(["cancel", reason])
        self.events_without_pulls.extend(["cancel", reason])
        if "cancel" in self.extras:
            return self.extras["cancel"](reason)
        return None


def recording_readable_stream(
    extras: dict[str, Any] | None = None, strategy: object = None
) -> RecordingReadableStream:
    """A :class:`RecordingReadableStream`."""
    return RecordingReadableStream(extras, strategy)
