"""The behaviors WPT's ``streams/readable-streams/async-iterator.any.js`` checks.

JavaScript's ``for await`` calls ``return()`` when the loop is left early; Python's
``async for`` does not call ``aclose()``, so the loop-exit cases here wrap the iterator in
``contextlib.aclosing()`` to get JavaScript's behavior (``test_async_iterator.py`` covers
what a bare ``break`` does). ``return(value)``'s argument has no Python counterpart:
``aclose()`` takes none and resolves with ``None``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from tests.streams.support import assert_rejects, error1, flush_async_events
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream

Controller = ReadableStreamDefaultController[Any]


def recording_stream(
    source: dict[str, Any] | None = None, strategy: object = None
) -> tuple[ReadableStream[Any], list[object]]:
    """WPT's recordingReadableStream: records "pull" and ("cancel", reason)."""
    events: list[object] = []
    source = dict(source or {})
    user_pull = source.pop("pull", None)

    def pull(controller: Controller) -> object:
        events.append("pull")
        return user_pull(controller) if user_pull is not None else None

    def cancel(reason: object) -> None:
        events.extend(["cancel", reason])

    return ReadableStream({**source, "pull": pull, "cancel": cancel}, strategy), events


def push_source(*chunks: object) -> ReadableStream[Any]:
    def start(controller: Controller) -> None:
        for chunk in chunks:
            controller.enqueue(chunk)
        controller.close()

    return ReadableStream({"start": start})


def counting_pull_source(limit: int) -> ReadableStream[Any]:
    i = 1

    def pull(controller: Controller) -> None:
        nonlocal i
        controller.enqueue(i)
        if i >= limit:
            controller.close()
        i += 1

    return ReadableStream({"pull": pull})


def error_on_second_pull() -> ReadableStream[Any]:
    pulled = 0

    def pull(controller: Controller) -> None:
        nonlocal pulled
        if pulled == 0:
            controller.enqueue(0)
            pulled += 1
        else:
            controller.error(error1)

    return ReadableStream({"pull": pull})


async def test_iterating_a_push_source() -> None:
    assert [chunk async for chunk in push_source(1, 2, 3)] == [1, 2, 3]


async def test_iterating_a_pull_source() -> None:
    assert [chunk async for chunk in counting_pull_source(3)] == [1, 2, 3]


async def test_iterating_none_values() -> None:
    assert [chunk async for chunk in push_source(None, None, None)] == [None, None, None]


async def test_iterating_a_pull_source_manually_pulls_once_per_next() -> None:
    i = 1

    def pull(controller: Controller) -> None:
        nonlocal i
        controller.enqueue(i)
        if i >= 3:
            controller.close()
        i += 1

    stream, events = recording_stream({"pull": pull}, CountQueuingStrategy(high_water_mark=0))
    iterator = stream.values()
    assert events == []
    for expected in (1, 2, 3):
        assert await iterator.__anext__() == expected
        assert events == ["pull"] * expected
    with pytest.raises(StopAsyncIteration):
        await iterator.__anext__()
    assert events == ["pull"] * 3


async def test_iterating_an_errored_stream_raises_its_error() -> None:
    stream: ReadableStream[Any] = ReadableStream({"start": lambda c: c.error(error1)})
    chunks: list[Any] = []
    with pytest.raises(type(error1)):
        chunks.extend([chunk async for chunk in stream])
    assert chunks == []


async def test_iterating_a_closed_stream_never_runs_the_body() -> None:
    async for _chunk in ReadableStream({"start": lambda c: c.close()}):
        raise AssertionError("the body must not run")


async def test_iterating_an_empty_open_stream_stalls() -> None:
    stream: ReadableStream[Any] = ReadableStream()

    async def loop() -> None:
        async for _chunk in stream:
            raise AssertionError("the body must not run")
        raise AssertionError("the loop must not end")

    task = asyncio.ensure_future(loop())
    await flush_async_events()
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_iterating_a_partially_consumed_stream() -> None:
    stream = push_source(1, 2, 3)
    reader = stream.get_reader()
    assert await reader.read() == ReadResult(1, False)
    reader.release_lock()
    assert [chunk async for chunk in stream] == [2, 3]


@pytest.mark.parametrize("exit_by", ["raise", "break", "return"])
@pytest.mark.parametrize("prevent_cancel", [False, True])
async def test_leaving_the_loop_early_with_aclosing(exit_by: str, prevent_cancel: bool) -> None:
    stream, events = recording_stream({"start": lambda c: c.enqueue(0)})
    # JavaScript's for-await yields before the first step: start has settled.
    await flush_async_events()

    async def loop() -> None:
        async with contextlib.aclosing(stream.values(prevent_cancel)) as chunks:
            async for _chunk in chunks:
                if exit_by == "raise":
                    raise ValueError("leaving")
                if exit_by == "break":
                    break
                return

    with contextlib.suppress(ValueError):
        await loop()
    if prevent_cancel:
        assert events == ["pull"]
    else:
        assert events == ["pull", "cancel", None]
    assert not stream.locked


@pytest.mark.parametrize("prevent_cancel", [False, True])
async def test_aclose_cancels_unless_prevented(prevent_cancel: bool) -> None:
    stream, events = recording_stream({"start": lambda c: c.enqueue(0)})
    await stream.values(prevent_cancel).aclose()
    assert events == ([] if prevent_cancel else ["cancel", None])


async def test_next_rejects_when_the_stream_errors_then_reports_done() -> None:
    iterator = aiter(error_on_second_pull())
    assert await anext(iterator) == 0
    with pytest.raises(type(error1)):
        await anext(iterator)
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)


async def test_next_next_next_without_awaiting() -> None:
    iterator = aiter(error_on_second_pull())
    results = await asyncio.gather(
        iterator.__anext__(), iterator.__anext__(), iterator.__anext__(), return_exceptions=True
    )
    assert results[0] == 0
    assert results[1] is error1
    assert isinstance(results[2], StopAsyncIteration)


async def test_aclose_does_not_reject_before_the_stream_errors() -> None:
    iterator = aiter(error_on_second_pull())
    await iterator.aclose()


async def test_aclose_rejects_if_the_stream_has_errored() -> None:
    stream: ReadableStream[Any] = ReadableStream({"pull": lambda c: c.error(error1)})
    iterator = aiter(stream)
    await flush_async_events()
    await assert_rejects(iterator.aclose(), error1)


async def test_next_error_then_aclose_resolves() -> None:
    iterator = aiter(error_on_second_pull())
    assert await anext(iterator) == 0
    with pytest.raises(type(error1)):
        await anext(iterator)
    await iterator.aclose()


async def test_next_error_aclose_without_awaiting() -> None:
    iterator = aiter(error_on_second_pull())
    results = await asyncio.gather(
        iterator.__anext__(), iterator.__anext__(), iterator.aclose(), return_exceptions=True
    )
    assert list(results) == [0, error1, None]


@pytest.mark.parametrize("awaiting", [True, False])
async def test_next_then_aclose_pulls_twice(awaiting: bool) -> None:
    pulled = 0

    def pull(controller: Controller) -> None:
        nonlocal pulled
        controller.enqueue(pulled)
        pulled += 1

    iterator = aiter(ReadableStream({"pull": pull}))
    # start settles and pulls once, as it would before JavaScript resumes
    await flush_async_events()
    if awaiting:
        assert await iterator.__anext__() == 0
        await iterator.aclose()
    else:
        assert list(await asyncio.gather(iterator.__anext__(), iterator.aclose())) == [0, None]
    assert pulled == 2


@pytest.mark.parametrize("awaiting", [True, False])
async def test_aclose_then_next_reports_done(awaiting: bool) -> None:
    iterator = ReadableStream().values()
    if awaiting:
        await iterator.aclose()
        with pytest.raises(StopAsyncIteration):
            await iterator.__anext__()
    else:
        results = await asyncio.gather(
            iterator.aclose(), iterator.__anext__(), return_exceptions=True
        )
        assert results[0] is None
        assert isinstance(results[1], StopAsyncIteration)


@pytest.mark.parametrize("awaiting", [True, False])
async def test_aclose_twice_resolves_twice(awaiting: bool) -> None:
    iterator = ReadableStream().values()
    if awaiting:
        await iterator.aclose()
        await iterator.aclose()
    else:
        assert list(await asyncio.gather(iterator.aclose(), iterator.aclose())) == [None, None]


async def test_values_raises_if_the_stream_is_locked() -> None:
    stream = push_source(0)
    stream.values()
    with pytest.raises(TypeError):
        stream.values()


async def test_a_reader_after_exhausting_the_iterator_sees_the_close() -> None:
    stream = push_source(1, 2, 3)
    assert [chunk async for chunk in stream] == [1, 2, 3]
    await stream.get_reader().closed


async def test_a_reader_after_aclose_of_an_errored_stream_sees_the_error() -> None:
    stream = error_on_second_pull()
    iterator = stream.values(prevent_cancel=True)
    assert await iterator.__anext__() == 0
    with pytest.raises(type(error1)):
        await iterator.__anext__()
    await iterator.aclose()
    await assert_rejects(stream.get_reader().closed, error1)


async def test_a_reader_after_a_cancelling_early_exit_sees_the_close() -> None:
    stream = push_source(1, 2, 3)
    chunks = []
    async with contextlib.aclosing(stream.values()) as iterator:
        async for chunk in iterator:
            chunks.append(chunk)
            if chunk >= 2:
                break
    assert chunks == [1, 2]
    await stream.get_reader().closed


async def test_a_reader_after_an_early_exit_with_prevent_cancel_reads_the_rest() -> None:
    stream = push_source(1, 2, 3)
    chunks = []
    async with contextlib.aclosing(stream.values(prevent_cancel=True)) as iterator:
        async for chunk in iterator:
            chunks.append(chunk)
            if chunk >= 2:
                break
    assert chunks == [1, 2]
    reader = stream.get_reader()
    assert await reader.read() == ReadResult(3, False)
    await reader.closed


@pytest.mark.parametrize("prevent_cancel", [False, True])
async def test_aclose_unlocks_the_stream_synchronously(prevent_cancel: bool) -> None:
    stream: ReadableStream[Any] = ReadableStream()
    closing = stream.values(prevent_cancel).aclose()
    stream.get_reader()
    await closing


async def test_close_while_next_is_pending() -> None:
    async def start(controller: Controller) -> None:
        for chunk in "abc":
            controller.enqueue(chunk)
        await flush_async_events()
        controller.close()

    assert [chunk async for chunk in ReadableStream({"start": start})] == ["a", "b", "c"]
