"""The behaviors WPT's ``streams/readable-streams/cancel.any.js`` checks."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from tests.streams.support import assert_rejects, error1
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.readable_stream import ReadableStream

Controller = ReadableStreamDefaultController[Any]


async def test_cancelling_an_infinite_push_source_mid_stream() -> None:
    loop = asyncio.get_running_loop()
    cancellation_finished = False
    box: list[Controller] = []
    reading = False

    def push() -> None:
        if reading:
            box[0].enqueue(os.urandom(128))
            loop.call_later(0.001, push)

    def pull(_controller: Controller) -> None:
        nonlocal reading
        if not reading:
            reading = True
            push()

    async def cancel(_reason: object) -> None:
        nonlocal reading, cancellation_finished
        reading = False
        await asyncio.sleep(0.001)
        cancellation_finished = True

    stream: ReadableStream[bytes] = ReadableStream(
        {"start": box.append, "pull": pull, "cancel": cancel}
    )
    reader = stream.get_reader()

    async def cancel_later() -> None:
        await asyncio.sleep(0.015)
        future = reader.cancel()
        assert not cancellation_finished
        await future

    canceller = asyncio.ensure_future(cancel_later())
    chunks = []
    while not (result := await reader.read()).done:
        chunks.append(result.value)
    await canceller
    assert cancellation_finished
    assert chunks
    assert all(len(chunk) == 128 for chunk in chunks)


async def test_cancel_passes_the_reason_to_the_source_synchronously() -> None:
    reasons: list[object] = []
    stream: ReadableStream[Any] = ReadableStream({"cancel": reasons.append})
    future = stream.cancel(error1)
    assert reasons == [error1]
    await future


async def test_cancel_on_a_locked_stream_fails_without_calling_the_source() -> None:
    def cancel(_reason: object) -> None:
        raise AssertionError("the source's cancel must not be called")

    def start(controller: Controller) -> None:
        controller.enqueue("a")
        controller.close()

    stream: ReadableStream[str] = ReadableStream({"start": start, "cancel": cancel})
    reader = stream.get_reader()
    await assert_rejects(stream.cancel(), TypeError)
    assert await reader.read() == ReadResult("a", False)
    await reader.closed


async def test_the_value_returned_by_the_source_cancel_is_ignored() -> None:
    stream: ReadableStream[Any] = ReadableStream({"cancel": lambda reason: "Hello"})
    await stream.cancel()


async def test_a_raising_source_cancel_rejects() -> None:
    def cancel(_reason: object) -> None:
        raise error1

    await assert_rejects(ReadableStream({"cancel": cancel}).cancel("test"), error1)


async def test_cancel_settles_when_the_source_cancel_promise_does() -> None:
    loop = asyncio.get_running_loop()
    source_promise: asyncio.Future[str] = loop.create_future()
    stream: ReadableStream[Any] = ReadableStream({"cancel": lambda reason: source_promise})
    future = stream.cancel()
    await asyncio.sleep(0.001)
    assert not future.done()
    source_promise.set_result("Hello")
    await future

    rejecting: asyncio.Future[None] = loop.create_future()
    stream = ReadableStream({"cancel": lambda reason: rejecting})
    future = stream.cancel()
    loop.call_later(0.001, rejecting.set_exception, error1)
    await assert_rejects(future, error1)


async def test_cancelling_before_start_finishes_prevents_pull() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def pull(_controller: Controller) -> None:
        raise AssertionError("pull must not be called")

    stream: ReadableStream[Any] = ReadableStream({"start": lambda c: never, "pull": pull})
    await asyncio.gather(stream.cancel(), stream.get_reader().closed)
    never.cancel()
