"""The behaviors WPT's ``streams/readable-streams/bad-underlying-sources.any.js`` checks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    error1,
    error2,
    flush_async_events,
    js_await,
    stream_with_controller,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream

Controller = ReadableStreamDefaultController[Any]


@pytest.mark.parametrize("member", ["start", "pull", "cancel"])
async def test_a_throwing_getter_makes_the_constructor_raise(member: str) -> None:
    def fail(_self: object) -> None:
        raise error1

    source = type("Source", (), {member: property(fail)})()
    with pytest.raises(type(error1)) as caught:
        ReadableStream(source)
    assert caught.value is error1


async def test_a_throwing_start_makes_the_constructor_raise() -> None:
    def start(_controller: Controller) -> None:
        raise error1

    with pytest.raises(type(error1)):
        ReadableStream({"start": start})


async def test_a_throwing_pull_errors_the_stream() -> None:
    def pull(_controller: Controller) -> None:
        raise error1

    await assert_rejects(ReadableStream({"pull": pull}).get_reader().closed, error1)


async def test_pull_is_read_from_the_source_once() -> None:
    gets = 0

    class Source:
        @property
        def pull(self) -> object:
            nonlocal gets
            gets += 1
            if gets == 1:
                return lambda c: c.enqueue("a")
            raise error1

    reader = ReadableStream(Source()).get_reader()
    assert await reader.read() == ReadResult("a", False)
    assert await reader.read() == ReadResult("a", False)
    assert gets == 1


async def test_a_pull_that_throws_the_second_time_errors_the_stream() -> None:
    calls = 0

    def pull(controller: Controller) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            controller.enqueue("a")
            return
        raise error1

    reader = ReadableStream({"pull": pull}).get_reader()
    assert (await reader.read()).value == "a"
    await assert_rejects(reader.closed, error1)


async def test_a_throwing_cancel_rejects_cancel() -> None:
    def cancel(_reason: object) -> None:
        raise error1

    await assert_rejects(ReadableStream({"cancel": cancel}).cancel(), error1)


@pytest.mark.parametrize("queued", [[], ["a", "b"]])
async def test_enqueue_and_close_after_cancel_raise(queued: list[str]) -> None:
    stream, controller = stream_with_controller()
    for chunk in queued:
        controller.enqueue(chunk)
    future = stream.cancel()
    with pytest.raises(TypeError):
        controller.enqueue("c")
    with pytest.raises(TypeError):
        controller.close()
    await future
    await stream.get_reader().closed


async def test_enqueue_on_a_closed_or_errored_stream_raises() -> None:
    stream, controller = stream_with_controller()
    controller.close()
    with pytest.raises(TypeError):
        controller.enqueue("a")
    await stream.get_reader().closed
    stream, controller = stream_with_controller()
    controller.error(error1)
    with pytest.raises(TypeError):
        controller.enqueue("a")
    await assert_rejects(stream.get_reader().closed, error1)


async def test_close_twice_raises_the_second_time() -> None:
    stream, controller = stream_with_controller()
    controller.close()
    with pytest.raises(TypeError):
        controller.close()
    await stream.get_reader().closed

    stream, controller = stream_with_controller()
    controller.enqueue("a")
    controller.close()
    with pytest.raises(TypeError):
        controller.close()
    reader = stream.get_reader()
    assert (await reader.read()).value == "a"
    await reader.closed


async def test_close_after_error_raises_but_error_after_close_or_error_does_not() -> None:
    stream, controller = stream_with_controller()
    controller.error(error1)
    with pytest.raises(TypeError):
        controller.close()
    controller.error()
    await assert_rejects(stream.get_reader().closed, error1)
    stream, controller = stream_with_controller()
    controller.close()
    controller.error()
    await stream.get_reader().closed


async def test_error_then_a_rejected_start_keeps_the_first_error() -> None:
    async def start(controller: Controller) -> None:
        controller.error(error1)
        raise error2

    await assert_rejects(ReadableStream({"start": start}).get_reader().closed, error1)


async def test_error_then_a_rejected_pull_keeps_the_first_error() -> None:
    async def pull(controller: Controller) -> None:
        controller.error(error1)
        raise error2

    await assert_rejects(ReadableStream({"pull": pull}).get_reader().closed, error1)


async def test_read_does_not_fail_when_it_dequeues_and_pull_then_throws() -> None:
    pull_should_throw = False

    def pull(controller: Controller) -> None:
        if pull_should_throw:
            raise error1
        controller.enqueue(0)

    stream: ReadableStream[int] = ReadableStream(
        {"pull": pull}, CountQueuingStrategy(high_water_mark=1)
    )
    reader = stream.get_reader()
    await flush_async_events()
    pull_should_throw = True
    assert await js_await(reader.read()) == ReadResult(0, False)
    await assert_rejects(reader.closed, error1)


async def test_an_async_source_that_never_starts_can_still_be_cancelled() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def pull(_controller: Controller) -> None:
        raise AssertionError("pull must not be called")

    stream: ReadableStream[Any] = ReadableStream({"start": lambda c: never, "pull": pull})
    await stream.cancel()
    await stream.get_reader().closed
    never.cancel()
