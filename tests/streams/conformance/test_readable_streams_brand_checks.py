"""The behaviors WPT's ``brand-checks.any.js`` files check, in Python terms: the
constructors and operations take only the right kind of object.

Python has no prototype borrowing (calling a method with another ``this``), so what is
left is the type checks on arguments.
"""

from __future__ import annotations

from typing import Any

import pytest

from wintersockets.streams.byob_reader import ReadableStreamBYOBReader
from wintersockets.streams.byob_request import ReadableStreamBYOBRequest
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.default_reader import ReadableStreamDefaultReader
from wintersockets.streams.readable_stream import ReadableStream

FAKE_STREAMS: list[Any] = [None, {}, object(), "stream", ReadableStream]


@pytest.mark.parametrize("fake", FAKE_STREAMS)
async def test_readers_need_a_real_stream(fake: Any) -> None:
    with pytest.raises(TypeError):
        ReadableStreamDefaultReader(fake)
    with pytest.raises(TypeError):
        ReadableStreamBYOBReader(fake)


@pytest.mark.parametrize(
    "cls",
    [ReadableStreamDefaultController, ReadableByteStreamController, ReadableStreamBYOBRequest],
)
async def test_controllers_and_requests_cannot_be_constructed(cls: type[Any]) -> None:
    with pytest.raises(TypeError):
        cls()


async def test_pipe_to_needs_a_writable_stream() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    fakes: list[Any] = [None, {}, ReadableStream()]
    for fake in fakes:
        future = stream.pipe_to(fake)
        with pytest.raises(TypeError):
            await future
    assert not stream.locked
