"""tee() in Python terms: shared immutable chunks, copies of buffers, one read at a time."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.streams.support import (
    byte_stream,
    flush_async_events,
    readable_stream_to_array,
    recording_readable_stream,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.readable_stream import ReadableStream


async def test_default_reads_of_a_byte_tee_share_the_bytes_object() -> None:
    stream, controller = byte_stream()
    chunk = b"immutable"
    controller.enqueue(chunk)
    controller.close()
    branch1, branch2 = stream.tee()
    (first,) = await readable_stream_to_array(branch1)
    (second,) = await readable_stream_to_array(branch2)
    assert first is chunk
    assert second is chunk


async def test_a_byob_read_on_one_branch_leaves_a_copy_for_the_other() -> None:
    stream, controller = byte_stream()
    branch1, branch2 = stream.tee()
    buffer = bytearray(4)
    read = branch1.get_reader("byob").read(buffer)
    await flush_async_events()
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:4] = b"data"
    request.respond(4)
    assert bytes((await read).value) == b"data"
    assert buffer == b"data"
    buffer[:] = b"XXXX"
    assert await branch2.get_reader().read() == ReadResult(b"data", False)


async def test_the_tee_reads_the_source_one_chunk_at_a_time() -> None:
    pulls = 0

    def pull(controller: Any) -> None:
        nonlocal pulls
        pulls += 1
        controller.enqueue(pulls)

    recording = recording_readable_stream({"pull": pull})
    branch1, branch2 = recording.stream.tee()
    reader1 = branch1.get_reader()
    results = [await reader1.read() for _ in range(3)]
    assert [r.value for r in results] == [1, 2, 3]
    # Branch 2 buffered the same chunks without pulling more than branch 1 asked for.
    reader2 = branch2.get_reader()
    assert [(await reader2.read()).value for _ in range(3)] == [1, 2, 3]


async def test_tee_of_a_tee() -> None:
    stream = ReadableStream.from_([1, 2, 3])
    a, b = stream.tee()
    c, d = a.tee()
    results = await asyncio.gather(
        readable_stream_to_array(b), readable_stream_to_array(c), readable_stream_to_array(d)
    )
    assert list(results) == [[1, 2, 3]] * 3
