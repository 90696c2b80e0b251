"""The behaviors WPT's ``streams/readable-byte-streams/tee.any.js`` checks.

Branches of a byte stream get their own chunks. A chunk read with a default reader is
``bytes``, which cannot change, so both branches may hold the same ``bytes`` object: the
spec's copy is only observable through mutation. A chunk read into a branch's buffer is
copied for the other branch.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    byte_stream,
    error1,
    error2,
    flush_async_events,
    readable_stream_to_array,
    recording_readable_stream,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.readable_stream import ReadableStream


def bytes_of(result: ReadResult) -> bytes:
    return bytes(result.value)


def one_two_stream(close: bool = True) -> ReadableStream[bytes]:
    def start(controller: ReadableByteStreamController) -> None:
        controller.enqueue(b"\x01")
        controller.enqueue(b"\x02")
        if close:
            controller.close()

    return ReadableStream({"type": "bytes", "start": start})


async def test_tee_returns_two_readable_byte_streams() -> None:
    branch1, branch2 = ReadableStream({"type": "bytes"}).tee()
    assert isinstance(branch1._controller, ReadableByteStreamController)
    assert isinstance(branch2._controller, ReadableByteStreamController)


async def test_one_branch_can_be_read_to_the_end_without_affecting_the_other() -> None:
    branch1, branch2 = one_two_stream().tee()
    reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader("byob")
    assert bytes_of(await reader1.read(bytearray(1))) == b"\x01"
    assert bytes_of(await reader1.read(bytearray(1))) == b"\x02"
    last = await reader1.read(bytearray(1))
    assert last.done
    assert last.value.nbytes == 0
    assert bytes_of(await reader2.read(bytearray(1))) == b"\x01"
    await reader1.closed
    assert_pending(reader2.closed)


async def test_chunks_are_delivered_to_each_branch() -> None:
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        pulls += 1
        if pulls == 1:
            controller.enqueue(bytearray(b"\x01"))

    branch1, branch2 = ReadableStream({"type": "bytes", "pull": pull}).tee()
    result1, result2 = await asyncio.gather(
        branch1.get_reader().read(), branch2.get_reader().read()
    )
    assert result1 == ReadResult(b"\x01", False)
    assert result2 == ReadResult(b"\x01", False)
    assert type(result1.value) is bytes


async def test_chunks_read_into_branch1s_buffer_are_copied_to_branch2() -> None:
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        pulls += 1
        if pulls == 1:
            request = controller.byob_request
            assert request is not None
            assert request.view is not None
            request.view[0] = 0x01
            request.respond(1)

    branch1, branch2 = ReadableStream({"type": "bytes", "pull": pull}).tee()
    reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader()
    buffer = bytearray([42, 42, 42])
    result = await reader1.read(memoryview(buffer)[0:1])
    assert bytes_of(result) == b"\x01"
    assert buffer == bytearray([1, 42, 42])
    assert result.value.obj is buffer
    other = await reader2.read()
    assert other.value == b"\x01"
    buffer[0] = 99  # branch 2 holds its own copy
    assert other.value == b"\x01"


async def test_errors_in_the_source_reach_both_branches() -> None:
    def start(controller: ReadableByteStreamController) -> None:
        controller.enqueue(b"\x01")
        controller.enqueue(b"\x02")

    def pull(_controller: ReadableByteStreamController) -> None:
        raise error1

    branch1, branch2 = ReadableStream({"type": "bytes", "start": start, "pull": pull}).tee()
    reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader("byob")
    assert bytes_of(await reader1.read(bytearray(1))) == b"\x01"
    assert bytes_of(await reader1.read(bytearray(1))) == b"\x02"
    await assert_rejects(reader1.read(bytearray(1)), error1)
    await assert_rejects(reader2.read(bytearray(1)), error1)
    await assert_rejects(reader1.closed, error1)
    await assert_rejects(reader2.closed, error1)


@pytest.mark.parametrize("cancelled", [0, 1])
async def test_cancelling_one_branch_does_not_affect_the_other(cancelled: int) -> None:
    branches = one_two_stream().tee()
    cancel = branches[cancelled].cancel()
    assert await readable_stream_to_array(branches[cancelled]) == []
    assert await readable_stream_to_array(branches[1 - cancelled]) == [b"\x01", b"\x02"]
    await cancel


async def test_cancelling_both_branches_aggregates_the_reasons() -> None:
    recording = recording_readable_stream({"type": "bytes"})
    branch1, branch2 = recording.stream.tee()
    cancel1 = branch1.cancel(error1)
    await flush_async_events()
    assert_pending(cancel1)
    await asyncio.gather(cancel1, branch2.cancel(error2))
    assert recording.events == ["cancel", [error1, error2]]


async def test_closing_the_original_closes_the_branches() -> None:
    stream, controller = byte_stream()
    branch1, branch2 = stream.tee()
    reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader("byob")
    closed = asyncio.gather(reader1.closed, reader2.closed)
    controller.close()
    assert (await reader1.read(bytearray(1))).done
    await closed


@pytest.mark.parametrize("byob", [False, True])
async def test_erroring_the_original_errors_the_branches_and_pending_reads(byob: bool) -> None:
    stream, controller = byte_stream()
    branch1, branch2 = stream.tee()
    if byob:
        reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader("byob")
        reads = [reader1.read(bytearray(1)), reader2.read(bytearray(1))]
    else:
        default1, default2 = branch1.get_reader(), branch2.get_reader()
        reads = [default1.read(), default2.read()]
    controller.error(error1)
    for read in reads:
        await assert_rejects(read, error1)


async def test_cancelling_one_branch_finishes_when_the_other_reads_to_the_end() -> None:
    stream, controller = byte_stream()
    branch1, branch2 = stream.tee()
    reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader("byob")
    cancel2 = reader2.cancel()
    controller.enqueue(b"\x01")
    assert bytes_of(await reader1.read(bytearray(1))) == b"\x01"
    controller.close()
    assert (await reader1.read(bytearray(1))).done
    await asyncio.gather(reader1.closed, cancel2)


async def test_cancelling_one_branch_finishes_when_the_original_errors() -> None:
    stream, controller = byte_stream()
    branch1, branch2 = stream.tee()
    reader1, reader2 = branch1.get_reader("byob"), branch2.get_reader("byob")
    cancel2 = reader2.cancel()
    controller.error(error1)
    await assert_rejects(reader1.read(bytearray(1)), error1)
    await cancel2


async def test_no_pull_while_no_branch_reads() -> None:
    recording = recording_readable_stream({"type": "bytes"})
    recording.stream.tee()
    await flush_async_events()
    assert recording.events == []


async def test_pull_only_enough_to_fill_the_emptiest_queue() -> None:
    recording = recording_readable_stream({"type": "bytes", "pull": lambda c: c.enqueue(b"\x01")})
    reader1, reader2 = (branch.get_reader("byob") for branch in recording.stream.tee())
    await asyncio.gather(reader1.read(bytearray(1)), reader2.read(bytearray(1)))
    assert recording.events == ["pull"]


async def test_no_pull_when_the_original_is_already_errored() -> None:
    recording = recording_readable_stream({"type": "bytes"})
    recording.controller.error(error1)
    reader1, reader2 = (branch.get_reader("byob") for branch in recording.stream.tee())
    await flush_async_events()
    assert recording.events == []
    await assert_rejects(reader1.closed, error1)
    await assert_rejects(reader2.closed, error1)


@pytest.mark.parametrize("readers", [(0,), (1,), (0, 1)])
async def test_pulling_stops_when_the_original_errors_while_branches_read(
    readers: tuple[int, ...],
) -> None:
    recording = recording_readable_stream({"type": "bytes"})
    tee_readers = [branch.get_reader("byob") for branch in recording.stream.tee()]
    await flush_async_events()
    reads = [tee_readers[i].read(bytearray(1)) for i in readers]
    await flush_async_events()
    assert recording.events == ["pull"]
    recording.controller.error(error1)
    futures: list[asyncio.Future[Any]] = [*reads, tee_readers[0].closed, tee_readers[1].closed]
    for future in futures:
        await assert_rejects(future, error1)
    await flush_async_events()
    assert recording.events == ["pull"]


@pytest.mark.parametrize("fail", [False, True])
async def test_cancelling_both_branches_in_sequence_with_delay(fail: bool) -> None:
    def cancel(_reason: object) -> None:
        if fail:
            raise error1

    stream: ReadableStream[bytes] = ReadableStream({"type": "bytes", "cancel": cancel})
    reader1, reader2 = (branch.get_reader("byob") for branch in stream.tee())
    read1, read2 = reader1.read(bytearray([0x11])), reader2.read(bytearray([0x22]))
    cancel1 = reader1.cancel()
    await flush_async_events()
    cancel2 = reader2.cancel()
    assert await read1 == ReadResult(None, True)
    assert await read2 == ReadResult(None, True)
    for future in (cancel1, cancel2):
        if fail:
            await assert_rejects(future, error1)
        else:
            await future


@pytest.mark.parametrize("first", [0, 1])
async def test_cancelling_one_reading_branch_keeps_the_byob_request(first: int) -> None:
    cancelled = asyncio.get_running_loop().create_future()
    recording = recording_readable_stream(
        {"type": "bytes", "cancel": lambda reason: cancelled.set_result(None)}
    )
    readers = [branch.get_reader("byob") for branch in recording.stream.tee()]
    buffer1 = bytearray([0x11])
    read1 = readers[0].read(buffer1)
    await flush_async_events()
    read2 = readers[1].read(bytearray([0x22]))
    await flush_async_events()
    request = recording.controller.byob_request
    assert request is not None
    assert bytes(request.view) == b"\x11"  # reading into branch 1's buffer
    reads = [read1, read2]
    cancels = [readers[first].cancel()]
    assert await reads[first] == ReadResult(None, True)
    await flush_async_events()
    request = recording.controller.byob_request
    assert request is not None
    assert bytes(request.view) == b"\x11"
    cancels.append(readers[1 - first].cancel())
    await cancelled
    assert recording.controller.byob_request is None
    assert await reads[1 - first] == ReadResult(None, True)
    await asyncio.gather(*cancels)


@pytest.mark.parametrize("cancelled", [0, 1])
async def test_after_one_branch_is_cancelled_the_other_gets_the_response(cancelled: int) -> None:
    recording = recording_readable_stream({"type": "bytes"})
    readers = [branch.get_reader("byob") for branch in recording.stream.tee()]
    reads = [readers[0].read(bytearray([0x11]))]
    await flush_async_events()
    reads.append(readers[1].read(bytearray([0x22])))
    await flush_async_events()
    readers[cancelled].cancel()
    assert await reads[cancelled] == ReadResult(None, True)
    await flush_async_events()
    request = recording.controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[0] = 0x33
    request.respond(1)
    result = await reads[1 - cancelled]
    assert bytes_of(result) == b"\x33"


@pytest.mark.parametrize("byob_first", [True, False])
async def test_switching_reader_kinds_on_a_branch(byob_first: bool) -> None:
    pulls = 0
    had_request: list[bool] = []

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        pulls += 1
        had_request.append(controller.byob_request is not None)
        controller.enqueue(bytes([pulls]))

    branch1, _branch2 = ReadableStream({"type": "bytes", "pull": pull}).tee()
    for use_byob, expected in ((byob_first, b"\x01"), (not byob_first, b"\x02")):
        if use_byob:
            byob = branch1.get_reader("byob")
            assert bytes_of(await byob.read(bytearray([0x11]))) == expected
            byob.release_lock()
        else:
            default = branch1.get_reader()
            assert (await default.read()).value == expected
            default.release_lock()
    assert had_request == [byob_first, not byob_first]


async def test_branch2_provides_the_buffer_when_it_reads_first() -> None:
    recording = recording_readable_stream({"type": "bytes"})
    reader1, reader2 = (branch.get_reader("byob") for branch in recording.stream.tee())
    await flush_async_events()
    read2 = reader2.read(bytearray([0x22]))
    read1 = reader1.read(bytearray([0x11]))
    await flush_async_events()
    request = recording.controller.byob_request
    assert request is not None
    assert request.view is not None
    assert bytes(request.view) == b"\x22"
    request.view[0] = 0x01
    request.respond(1)
    assert bytes_of(await read1) == b"\x01"
    assert bytes_of(await read2) == b"\x01"


@pytest.mark.parametrize("byob_branch", [0, 1])
async def test_close_while_one_branch_has_a_pending_byob_read(byob_branch: int) -> None:
    recording = recording_readable_stream({"type": "bytes"})
    branches = recording.stream.tee()
    byob = branches[byob_branch].get_reader("byob")
    default = branches[1 - byob_branch].get_reader()
    await flush_async_events()
    buffer = bytearray([0x22])
    default_read = default.read()  # first: the tee reads with a default reader
    byob_read = byob.read(buffer)
    await flush_async_events()
    assert recording.controller.byob_request is None
    recording.controller.close()
    assert await default_read == ReadResult(None, True)
    result = await byob_read
    assert result.done
    assert result.value.nbytes == 0
    assert result.value.obj is buffer


async def test_close_when_both_branches_have_pending_byob_reads() -> None:
    recording = recording_readable_stream({"type": "bytes"})
    reader1, reader2 = (branch.get_reader("byob") for branch in recording.stream.tee())
    await flush_async_events()
    read1, read2 = reader1.read(bytearray([0x11])), reader2.read(bytearray([0x22]))
    await flush_async_events()
    request = recording.controller.byob_request
    assert request is not None
    assert request.view is not None
    assert bytes(request.view) == b"\x11"
    recording.controller.close()
    request.respond(0)
    for read in (read1, read2):
        result = await read
        assert result.done
        assert result.value.nbytes == 0


@pytest.mark.parametrize("byob", [False, True])
async def test_enqueue_and_close_while_both_branches_pull(byob: bool) -> None:
    recording = recording_readable_stream({"type": "bytes"})
    branches = recording.stream.tee()
    reads: list[list[Any]] = []
    for branch in branches:
        if byob:
            reader: Any = branch.get_reader("byob")
            reads.append([reader.read(bytearray(1)), reader.read(bytearray(1))])
        else:
            reader = branch.get_reader()
            reads.append([reader.read(), reader.read()])
    await flush_async_events()
    if byob:
        request = recording.controller.byob_request
        assert request is not None
        assert request.view is not None
        request.view[0] = 0x11
        request.respond(1)
    else:
        recording.controller.enqueue(b"\x11")
    recording.controller.close()
    for first, second in reads:
        assert bytes_of(await first) == b"\x11"
        assert (await second).done
