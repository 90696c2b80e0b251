"""The behaviors WPT's ``streams/readable-streams/templated.any.js`` and
``readable-byte-streams/templated.any.js`` check: the templates of ``rs-test-templates.js``
(empty, closed, errored, two chunks) run on streams in each state, default and byte.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.streams.support import assert_rejects, error1, flush_async_events
from wintersockets.streams._promises import promise_rejected_with
from wintersockets.streams._types import ReadResult
from wintersockets.streams.readable_stream import ReadableStream

CHUNKS = [b"a", b"b"]


def make(kind: str, start: Callable[[Any], object] | None = None) -> ReadableStream[Any]:
    source: dict[str, Any] = {} if start is None else {"start": start}
    if kind == "bytes":
        source["type"] = "bytes"
    return ReadableStream(source)


def closed_in_start(kind: str) -> ReadableStream[Any]:
    return make(kind, lambda c: c.close())


def closed_via_cancel(kind: str) -> ReadableStream[Any]:
    stream = make(kind)
    stream.cancel()
    return stream


def errored_in_start(kind: str) -> ReadableStream[Any]:
    return make(kind, lambda c: c.error(error1))


def errored_by_rejected_start(kind: str) -> ReadableStream[Any]:
    return make(kind, lambda c: promise_rejected_with(error1))


KINDS = ["default", "bytes"]
CLOSED = {"closed in start": closed_in_start, "closed via cancel": closed_via_cancel}
ERRORED = {"errored in start": errored_in_start, "rejected start": errored_by_rejected_start}


# templatedRSEmpty and templatedRSEmptyReader ------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_stream(kind: str) -> None:
    stream = make(kind)
    assert not stream.locked
    reader = stream.get_reader()
    assert stream.locked
    with pytest.raises(TypeError):
        stream.get_reader()
    reader.release_lock()
    assert not stream.locked
    await stream.cancel()


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_reader_reads_never_settle_until_released(kind: str) -> None:
    stream = make(kind)
    reader = stream.get_reader()
    reads = [reader.read(), reader.read()]
    closed = reader.closed
    await flush_async_events()
    assert not any(read.done() for read in reads)
    assert not closed.done()
    assert reader.closed is closed
    reader.release_lock()
    for read in reads:
        await assert_rejects(read, TypeError)
    await assert_rejects(closed, TypeError)
    await assert_rejects(reader.read(), TypeError)
    reader.release_lock()  # a second release does nothing
    new_reader = stream.get_reader()
    assert not new_reader.closed.done()


@pytest.mark.parametrize("kind", KINDS)
async def test_empty_reader_cancel_ends_pending_reads(kind: str) -> None:
    stream = make(kind)
    reader = stream.get_reader()
    read = reader.read()
    await reader.cancel()
    assert await read == ReadResult(None, True)
    await reader.closed
    assert stream.locked


# templatedRSClosed and templatedRSClosedReader ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("closed", CLOSED)
async def test_closed_stream(kind: str, closed: str) -> None:
    stream = CLOSED[closed](kind)
    await stream.cancel()
    assert not stream.locked
    reader = stream.get_reader()
    assert stream.locked
    assert await reader.read() == ReadResult(None, True)
    assert await asyncio.gather(reader.read(), reader.read()) == [ReadResult(None, True)] * 2
    await reader.closed
    assert reader.closed is reader.closed
    reader.release_lock()
    await assert_rejects(reader.closed, TypeError)
    assert not stream.locked
    await stream.get_reader().closed


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("when", ["before", "after"])
async def test_closed_reader(kind: str, when: str) -> None:
    box: list[Any] = []
    stream = make(kind, box.append)
    if when == "before":
        box[0].close()
    reader = stream.get_reader()
    if when == "after":
        box[0].close()
    assert await reader.read() == ReadResult(None, True)
    await reader.closed
    await reader.cancel()


@pytest.mark.parametrize("kind", KINDS)
async def test_closed_via_reader_cancel(kind: str) -> None:
    stream = make(kind)
    reader = stream.get_reader()
    await reader.cancel()
    assert await reader.read() == ReadResult(None, True)
    await reader.closed


# templatedRSErrored, templatedRSErroredSyncOnly and templatedRSErroredReader ---------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("errored", ERRORED)
async def test_errored_stream(kind: str, errored: str) -> None:
    stream = ERRORED[errored](kind)
    await flush_async_events()
    await assert_rejects(stream.cancel(), error1)
    reader = stream.get_reader()
    await assert_rejects(reader.closed, error1)
    await assert_rejects(reader.read(), error1)
    await assert_rejects(reader.read(), error1)
    reader.release_lock()
    await assert_rejects(reader.closed, TypeError)
    second = stream.get_reader()
    await assert_rejects(second.closed, error1)
    await assert_rejects(second.cancel(), error1)


@pytest.mark.parametrize("kind", KINDS)
async def test_errored_sync_reports_the_error_at_once(kind: str) -> None:
    stream = errored_in_start(kind)
    reader = stream.get_reader()
    assert reader.closed.done()
    await assert_rejects(reader.closed, error1)
    await assert_rejects(stream.cancel(), TypeError)  # locked by the reader


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("when", ["before", "after"])
async def test_errored_reader(kind: str, when: str) -> None:
    box: list[Any] = []
    stream = make(kind, box.append)
    if when == "before":
        box[0].error(error1)
    reader = stream.get_reader()
    if when == "after":
        box[0].error(error1)
    await assert_rejects(reader.closed, error1)
    await assert_rejects(reader.read(), error1)
    await assert_rejects(reader.cancel(), error1)


# templatedRSTwoChunksOpenReader and templatedRSTwoChunksClosedReader -----------------------


def two_chunks(kind: str, close: bool) -> tuple[ReadableStream[Any], Any]:
    box: list[Any] = []
    stream = make(kind, box.append)
    for chunk in CHUNKS:
        box[0].enqueue(chunk)
    reader = stream.get_reader()
    if close:
        box[0].close()
    return stream, reader


@pytest.mark.parametrize("kind", KINDS)
async def test_two_chunks_open_reader(kind: str) -> None:
    _stream, reader = two_chunks(kind, close=False)
    first, second, third = reader.read(), reader.read(), reader.read()
    assert await first == ReadResult(CHUNKS[0], False)
    assert await second == ReadResult(CHUNKS[1], False)
    await flush_async_events()
    assert not third.done()
    assert not reader.closed.done()
    await reader.cancel()
    assert await third == ReadResult(None, True)


@pytest.mark.parametrize("kind", KINDS)
async def test_two_chunks_open_reader_cancel_after_reads(kind: str) -> None:
    _stream, reader = two_chunks(kind, close=False)
    await reader.read()
    await reader.read()
    await reader.cancel()
    await reader.closed


@pytest.mark.parametrize("kind", KINDS)
async def test_two_chunks_closed_reader(kind: str) -> None:
    stream, reader = two_chunks(kind, close=True)
    results = list(await asyncio.gather(reader.read(), reader.read(), reader.read()))
    assert results == [
        ReadResult(CHUNKS[0], False),
        ReadResult(CHUNKS[1], False),
        ReadResult(None, True),
    ]
    await reader.closed
    reader.release_lock()
    await assert_rejects(reader.closed, TypeError)
    assert not stream.locked


@pytest.mark.parametrize("kind", KINDS)
async def test_two_chunks_closed_reader_releasing_before_reading_keeps_the_chunks(
    kind: str,
) -> None:
    stream, reader = two_chunks(kind, close=True)
    reader.release_lock()
    await assert_rejects(reader.closed, TypeError)
    reader = stream.get_reader()
    assert await reader.read() == ReadResult(CHUNKS[0], False)
    assert await reader.read() == ReadResult(CHUNKS[1], False)
    assert await reader.read() == ReadResult(None, True)
    await reader.closed


@pytest.mark.parametrize("kind", KINDS)
async def test_two_chunks_closed_reader_cancel_discards_them(kind: str) -> None:
    _stream, reader = two_chunks(kind, close=True)
    await reader.cancel()
    assert await reader.read() == ReadResult(None, True)
    await reader.closed
