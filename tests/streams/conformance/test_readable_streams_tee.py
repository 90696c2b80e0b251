"""The behaviors WPT's ``streams/readable-streams/tee.any.js`` (and the tee-cancel
templates of ``rs-test-templates.js``) check, for default streams.

Left out: replacing the global ``ReadableStream`` constructor (JavaScript realms).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    error1,
    error2,
    flush_async_events,
    readable_stream_to_array,
    recording_readable_stream,
    stream_with_controller,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.readable_stream import ReadableStream

Controller = ReadableStreamDefaultController[Any]


def ab_stream() -> ReadableStream[str]:
    def start(controller: Controller) -> None:
        controller.enqueue("a")
        controller.enqueue("b")
        controller.close()

    return ReadableStream({"start": start})


async def test_tee_returns_two_readable_streams() -> None:
    branches = ReadableStream().tee()
    assert isinstance(branches, tuple)
    assert len(branches) == 2
    assert all(isinstance(branch, ReadableStream) for branch in branches)


async def test_tee_locks_the_original() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    stream.tee()
    assert stream.locked
    with pytest.raises(TypeError):
        stream.tee()


async def test_one_branch_can_be_read_to_the_end_without_affecting_the_other() -> None:
    branch1, branch2 = ab_stream().tee()
    reader1, reader2 = branch1.get_reader(), branch2.get_reader()
    results = await asyncio.gather(reader1.read(), reader1.read(), reader1.read())
    assert list(results) == [
        ReadResult("a", False),
        ReadResult("b", False),
        ReadResult(None, True),
    ]
    await reader1.closed
    assert await reader2.read() == ReadResult("a", False)
    assert_pending(reader2.closed)


async def test_both_branches_get_the_same_object() -> None:
    the_object = {"the": "test object"}
    stream: ReadableStream[Any] = ReadableStream({"start": lambda c: c.enqueue(the_object)})
    branch1, branch2 = stream.tee()
    value1 = (await branch1.get_reader().read()).value
    value2 = (await branch2.get_reader().read()).value
    assert value1 is the_object
    assert value2 is the_object


async def test_errors_in_the_source_reach_both_branches() -> None:
    def start(controller: Controller) -> None:
        controller.enqueue("a")
        controller.enqueue("b")

    def pull(_controller: Controller) -> None:
        raise error1

    branch1, branch2 = ReadableStream({"start": start, "pull": pull}).tee()
    reader1, reader2 = branch1.get_reader(), branch2.get_reader()
    assert (await reader1.read()).value == "a"
    assert (await reader1.read()).value == "b"
    await assert_rejects(reader2.read(), error1)
    await assert_rejects(reader1.read(), error1)
    await assert_rejects(reader1.closed, error1)
    await assert_rejects(reader2.closed, error1)


@pytest.mark.parametrize("cancelled", [0, 1])
async def test_cancelling_one_branch_does_not_affect_the_other(cancelled: int) -> None:
    branches = ab_stream().tee()
    cancel = branches[cancelled].cancel()  # settles once the original closes
    assert await readable_stream_to_array(branches[cancelled]) == []
    assert await readable_stream_to_array(branches[1 - cancelled]) == ["a", "b"]
    await cancel


async def test_cancelling_both_branches_aggregates_the_reasons() -> None:
    recording = recording_readable_stream()
    branch1, branch2 = recording.stream.tee()
    cancel1 = branch1.cancel(error1)
    await flush_async_events()
    assert_pending(cancel1)
    cancel2 = branch2.cancel(error2)
    await asyncio.gather(cancel1, cancel2)
    assert recording.events[-2:] == ["cancel", [error1, error2]]
    assert recording.events.count("cancel") == 1


async def test_failing_to_cancel_the_original_rejects_both_cancels() -> None:
    def cancel(_reason: object) -> None:
        raise error1

    branch1, branch2 = ReadableStream({"cancel": cancel}).tee()
    cancel1, cancel2 = branch1.cancel(), branch2.cancel()
    await assert_rejects(cancel1, error1)
    await assert_rejects(cancel2, error1)


async def test_erroring_the_original_then_cancelling_the_branches() -> None:
    stream, controller = stream_with_controller()
    branch1, branch2 = stream.tee()
    controller.error(error1)
    await branch1.cancel()  # before the error reached the branches
    await assert_rejects(branch2.cancel(), error1)  # after


async def test_cancelling_one_branch_finishes_when_the_other_reads_to_the_end() -> None:
    stream, controller = stream_with_controller()
    branch1, branch2 = stream.tee()
    reader1 = branch1.get_reader()
    cancel2 = branch2.cancel()
    controller.enqueue("a")
    assert (await reader1.read()).value == "a"
    controller.close()
    assert (await reader1.read()).done
    await asyncio.gather(reader1.closed, cancel2)


async def test_cancelling_one_branch_finishes_when_the_original_errors() -> None:
    stream, controller = stream_with_controller()
    branch1, branch2 = stream.tee()
    reader1 = branch1.get_reader()
    cancel2 = branch2.cancel()
    controller.error(error1)
    await assert_rejects(reader1.read(), error1)
    await cancel2


async def test_closing_the_original_closes_the_branches() -> None:
    stream, controller = stream_with_controller()
    branch1, branch2 = stream.tee()
    closed = asyncio.gather(branch1.get_reader().closed, branch2.get_reader().closed)
    controller.close()
    await closed


async def test_erroring_the_original_errors_the_branches_and_pending_reads() -> None:
    stream, controller = stream_with_controller()
    branch1, branch2 = stream.tee()
    reader1, reader2 = branch1.get_reader(), branch2.get_reader()
    futures: list[asyncio.Future[Any]] = [
        reader1.read(),
        reader2.read(),
        reader1.closed,
        reader2.closed,
    ]
    controller.error(error1)
    for future in futures:
        await assert_rejects(future, error1)


async def test_tee_pulls_only_what_fits_in_the_branch_queues() -> None:
    recording = recording_readable_stream(None, {"high_water_mark": 0})
    recording.stream.tee()
    await flush_async_events()
    assert recording.events == ["pull"]


async def test_tee_pulls_only_enough_to_fill_the_emptiest_queue() -> None:
    recording = recording_readable_stream(
        {"pull": lambda c: c.enqueue("a")}, {"high_water_mark": 0}
    )
    branch1, branch2 = recording.stream.tee()
    await asyncio.gather(branch1.get_reader().read(), branch2.get_reader().read())
    assert recording.events == ["pull", "pull"]


async def test_a_chunk_read_synchronously_does_not_overtake_an_error() -> None:
    """The source's error reaches both branches before a chunk that was already queued."""
    stream, controller = stream_with_controller()
    controller.enqueue("a")
    branch1, branch2 = stream.tee()
    reader1, reader2 = branch1.get_reader(), branch2.get_reader()
    read1 = reader1.read()
    controller.error(error1)
    await assert_rejects(read1, error1)
    await assert_rejects(reader2.read(), error1)
