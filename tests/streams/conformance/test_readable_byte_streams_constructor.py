"""The behaviors WPT's ``streams/readable-byte-streams/constructor.any.js`` and
``construct-byob-request.any.js`` check.

The constructor reads the strategy (``highWaterMark``, ``size``), then the underlying
source in Web IDL's lexicographic order, and stops at the first failure.
"""

from __future__ import annotations

import pytest

from wintersockets.streams.byob_request import ReadableStreamBYOBRequest
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.readable_stream import ReadableStream


class Failure(Exception):
    """Raised by the recording objects at the chosen member."""


ORDER = [
    "high_water_mark",
    "size",
    "auto_allocate_chunk_size",
    "cancel",
    "pull",
    "start",
    "type",
]


def recording(fail_at: str | None) -> tuple[list[str], object, object]:
    record: list[str] = []
    values: dict[str, object] = {
        "high_water_mark": 0,
        "size": None,
        "auto_allocate_chunk_size": 16,
        "cancel": lambda reason: None,
        "pull": lambda controller: None,
        "start": lambda controller: None,
        "type": "bytes",
    }

    def member(name: str) -> property:
        def get(_self: object) -> object:
            record.append(name)
            if name == fail_at:
                raise Failure(name)
            return values[name]

        return property(get)

    source = type("Source", (), {name: member(name) for name in ORDER[2:]})()
    strategy = type("Strategy", (), {name: member(name) for name in ORDER[:2]})()
    return record, source, strategy


async def test_members_are_read_once_in_order() -> None:
    record, source, strategy = recording(None)
    stream = ReadableStream(source, strategy)
    assert record == ORDER
    assert isinstance(stream._controller, ReadableByteStreamController)


@pytest.mark.parametrize("fail_at", ORDER)
async def test_the_constructor_stops_at_the_first_failure(fail_at: str) -> None:
    record, source, strategy = recording(fail_at)
    with pytest.raises(Failure):
        ReadableStream(source, strategy)
    assert record == ORDER[: ORDER.index(fail_at) + 1]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ({"type": "bytes", "auto_allocate_chunk_size": 0}, TypeError),
        ({"type": "bytes", "auto_allocate_chunk_size": -1}, TypeError),
        ({"type": "bytes", "auto_allocate_chunk_size": "16"}, TypeError),
        ({"type": "invalid"}, TypeError),
    ],
)
async def test_invalid_members(source: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        ReadableStream(source)


@pytest.mark.parametrize("arguments", [(), (None, None), ("controller", "view")])
async def test_a_byob_request_cannot_be_constructed(arguments: tuple[object, ...]) -> None:
    with pytest.raises(TypeError):
        ReadableStreamBYOBRequest(*arguments)
