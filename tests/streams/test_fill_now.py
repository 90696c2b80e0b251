"""``fill_now``: a byte source in another layer answers a read into a buffer at once.

Not in the spec (see ``set_up_readable_byte_stream_controller``): a read into a buffer that
would add its pull-into descriptor and pull first lets the source write what it has now.
The read must end exactly as pull-then-respond would have ended it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from tests.streams.support import flush_async_events
from wintersockets.streams.byte_controller import (
    ReadableByteStreamController,
    set_up_readable_byte_stream_controller,
)
from wintersockets.streams.readable_stream import ReadableStream, initialize_readable_stream


def _none(*_args: object) -> None:
    return None


class Source:
    """Writes the bytes it is given into the views it is offered; counts pulls."""

    def __init__(self) -> None:
        self.available = b""
        self.offered: list[int] = []
        self.pulls = 0

    def fill_now(self, view: memoryview) -> int:
        self.offered.append(view.nbytes)
        n = min(view.nbytes, len(self.available))
        view[:n] = self.available[:n]
        self.available = self.available[n:]
        return n

    def pull(self) -> None:
        self.pulls += 1


async def _stream(
    source: Source, start: Callable[[], object] = _none
) -> tuple[ReadableStream[bytes], ReadableByteStreamController]:
    stream: ReadableStream[bytes] = ReadableStream.__new__(ReadableStream)
    initialize_readable_stream(stream)
    controller = ReadableByteStreamController.__new__(ReadableByteStreamController)
    set_up_readable_byte_stream_controller(
        stream,
        controller,
        start,
        source.pull,
        _none,
        0,
        None,
        settle_sync_pulls_at_once=True,
        fill_now=source.fill_now,
    )
    await flush_async_events()
    return stream, controller


def _view(buffer: bytearray, kind: str) -> bytearray | memoryview:
    # A byte memoryview takes read()'s own fast path; anything else goes through PullInto.
    return memoryview(buffer) if kind == "memoryview" else buffer


VIEW_KINDS = pytest.mark.parametrize("kind", ["bytearray", "memoryview"])


@VIEW_KINDS
async def test_a_read_the_source_fills_at_once_completes_without_a_pull(kind: str) -> None:
    source = Source()
    source.available = b"hello"
    stream, _ = await _stream(source)
    buffer = bytearray(8)
    read = stream.get_reader("byob").read(_view(buffer, kind))
    assert read.done()
    result = read.result()
    assert not result.done
    assert bytes(result.value) == b"hello"
    assert result.value.obj is buffer  # the caller's own buffer, no copy
    assert source.pulls == 0
    assert source.offered == [8]


@VIEW_KINDS
async def test_a_read_the_source_cannot_fill_pulls_with_the_whole_view(kind: str) -> None:
    source = Source()
    stream, controller = await _stream(source)
    read = stream.get_reader("byob").read(_view(bytearray(8), kind))
    assert not read.done()
    assert source.pulls == 1
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    assert request.view.nbytes == 8
    request.view[:2] = b"ok"
    request.respond(2)
    assert bytes((await read).value) == b"ok"


@VIEW_KINDS
async def test_a_fill_short_of_min_counts_and_the_pull_fills_the_rest(kind: str) -> None:
    source = Source()
    source.available = b"ab"
    stream, controller = await _stream(source)
    buffer = bytearray(4)
    read = stream.get_reader("byob").read(_view(buffer, kind), min=4)
    assert not read.done()
    assert source.pulls == 1
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    assert request.view.nbytes == 2  # after the two bytes already written
    request.view[:] = b"cd"
    request.respond(2)
    result = await read
    assert bytes(result.value) == b"abcd"
    assert result.value.obj is buffer


async def test_queued_bytes_are_read_before_the_source_is_asked() -> None:
    source = Source()
    source.available = b"later"
    stream, controller = await _stream(source)
    controller.enqueue(b"first")
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(16))
    assert bytes(read.result().value) == b"first"
    assert source.offered == []
    assert bytes((await reader.read(bytearray(16))).value) == b"later"


async def test_a_second_read_waits_behind_the_first_without_asking() -> None:
    source = Source()
    stream, controller = await _stream(source)
    reader = stream.get_reader("byob")
    first = reader.read(bytearray(4))
    source.available = b"xy"
    second = reader.read(bytearray(4))
    assert source.offered == [4]  # only the first read asked; the second queues behind it
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:1] = b"a"
    request.respond(1)
    assert bytes((await first).value) == b"a"
    assert not second.done()
    assert source.offered == [4]  # the second read is answered by a pull, as the spec says
    assert source.pulls == 2
    controller.close()
    request = controller.byob_request
    assert request is not None
    request.respond(0)
    assert (await second).done


async def test_views_of_wider_elements_take_the_spec_path() -> None:
    source = Source()
    source.available = b"\x01\x00\x02\x00"
    stream, controller = await _stream(source)
    read = stream.get_reader("byob").read(memoryview(bytearray(4)).cast("H"))
    assert source.offered == []
    assert source.pulls == 1
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:] = b"\x01\x00\x02\x00"
    request.respond(4)
    assert (await read).value.tolist() == [1, 2]


async def test_a_closing_or_closed_stream_does_not_ask_the_source() -> None:
    source = Source()
    source.available = b"never"
    stream, controller = await _stream(source)
    controller.enqueue(b"last")
    controller.close()
    reader = stream.get_reader("byob")
    assert bytes((await reader.read(bytearray(16))).value) == b"last"
    result = await reader.read(bytearray(16))
    assert result.done
    assert source.offered == []


async def test_an_errored_stream_does_not_ask_the_source() -> None:
    source = Source()
    source.available = b"never"
    stream, controller = await _stream(source)
    reader = stream.get_reader("byob")
    controller.error(ValueError("broken"))
    read = reader.read(bytearray(16))
    await asyncio.wait([read])
    assert isinstance(read.exception(), ValueError)
    assert source.offered == []


async def test_the_source_is_not_asked_before_start_completes() -> None:
    source = Source()
    source.available = b"data"
    loop = asyncio.get_running_loop()
    started: asyncio.Future[None] = loop.create_future()
    stream, _ = await _stream(source, lambda: started)
    read = stream.get_reader("byob").read(bytearray(8))
    assert source.offered == []
    assert source.pulls == 0
    started.set_result(None)
    await flush_async_events()
    assert source.pulls == 1  # the pull after start; fill_now is only for a read about to pull
    assert not read.done()


async def test_default_reads_do_not_ask_the_source() -> None:
    source = Source()
    source.available = b"data"
    stream, controller = await _stream(source)
    read = stream.get_reader().read()
    assert source.offered == []
    assert source.pulls == 1
    controller.enqueue(b"data")
    assert bytes((await read).value) == b"data"
