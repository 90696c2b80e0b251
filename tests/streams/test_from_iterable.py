"""ReadableStream.from_: generators are closed on cancel, awaitables awaited, errors kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from tests.streams.support import assert_rejects, error1, readable_stream_to_array
from wintersockets.streams.readable_stream import ReadableStream


async def test_cancelling_closes_a_sync_generator() -> None:
    finished: list[str] = []

    def generate() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            finished.append("closed")

    stream = ReadableStream.from_(generate())
    reader = stream.get_reader()
    assert (await reader.read()).value == 1
    await reader.cancel()
    assert finished == ["closed"]


async def test_cancelling_closes_an_async_generator() -> None:
    finished: list[str] = []

    async def generate() -> AsyncIterator[int]:
        try:
            yield 1
            await asyncio.sleep(0)
            yield 2
        finally:
            finished.append("closed")

    stream = ReadableStream.from_(generate())
    reader = stream.get_reader()
    assert (await reader.read()).value == 1
    await reader.cancel()
    assert finished == ["closed"]


async def test_a_failing_aclose_rejects_cancel() -> None:
    class Iterator_:
        def __aiter__(self) -> Iterator_:
            return self

        async def __anext__(self) -> int:
            return 1

        async def aclose(self) -> None:
            raise error1

    await assert_rejects(ReadableStream.from_(Iterator_()).cancel(), error1)


async def test_coroutines_in_a_list_are_awaited() -> None:
    async def value(v: int) -> int:
        await asyncio.sleep(0)
        return v

    assert await readable_stream_to_array(ReadableStream.from_([value(1), value(2)])) == [1, 2]


async def test_a_rejected_awaitable_in_a_list_errors_the_stream() -> None:
    loop = asyncio.get_running_loop()
    failed: asyncio.Future[Any] = loop.create_future()
    failed.set_exception(error1)
    reader = ReadableStream.from_(["ok", failed]).get_reader()
    assert (await reader.read()).value == "ok"
    await assert_rejects(reader.read(), error1)


async def test_a_sync_iterator_that_raises_errors_the_stream() -> None:
    def generate() -> Iterator[int]:
        yield 1
        raise error1

    reader = ReadableStream.from_(generate()).get_reader()
    assert (await reader.read()).value == 1
    await assert_rejects(reader.read(), error1)


async def test_from_pulls_one_value_per_read() -> None:
    produced: list[int] = []

    def generate() -> Iterator[int]:
        for i in range(3):
            produced.append(i)
            yield i

    reader = ReadableStream.from_(generate()).get_reader()
    await asyncio.sleep(0)
    assert produced == []
    assert (await reader.read()).value == 0
    assert produced == [0]


async def test_bytes_from_a_list_of_byte_strings() -> None:
    assert await readable_stream_to_array(ReadableStream.from_([b"ab", b"cd"])) == [b"ab", b"cd"]
