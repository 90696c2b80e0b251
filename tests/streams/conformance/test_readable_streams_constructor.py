"""The behaviors WPT's ``streams/readable-streams/constructor.any.js`` checks.

WPT records the order in which the constructor reads and validates the members of the
underlying source and the strategy, and checks that it stops at the first failure. Web
IDL converts the strategy dictionary first (``highWaterMark``, then ``size``), then the
underlying source dictionary (members in lexicographic order), and only then checks the
high-water mark's range.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from wintersockets.streams.readable_stream import ReadableStream


class Failure(Exception):
    """The error the recording objects raise at the chosen operation."""


class Recorder:
    """Records each member read; raises at ``fail_at``."""

    def __init__(self, fail_at: str | None) -> None:
        self.fail_at = fail_at
        self.record: list[str] = []

    def read(self, name: str, value: object) -> object:
        self.record.append(name)
        if name == self.fail_at:
            raise Failure(name)
        return value


def recording_objects(recorder: Recorder, source_type: object = None) -> tuple[object, object]:
    def member(name: str, value: object) -> property:
        return property(lambda _self: recorder.read(name, value))

    source_class = type(
        "Source",
        (),
        {
            "auto_allocate_chunk_size": member("auto_allocate_chunk_size", None),
            "cancel": member("cancel", lambda reason: None),
            "pull": member("pull", lambda controller: None),
            "start": member("start", lambda controller: None),
            "type": member("type", source_type),
        },
    )
    strategy_class = type(
        "Strategy",
        (),
        {
            "high_water_mark": member("high_water_mark", 1),
            "size": member("size", None if source_type == "bytes" else (lambda chunk: 1)),
        },
    )
    return source_class(), strategy_class()


ORDER = [
    "high_water_mark",
    "size",
    "auto_allocate_chunk_size",
    "cancel",
    "pull",
    "start",
    "type",
]


async def test_members_are_read_once_in_web_idl_order() -> None:
    recorder = Recorder(None)
    source, strategy = recording_objects(recorder)
    ReadableStream(source, strategy)
    assert recorder.record == ORDER


@pytest.mark.parametrize("fail_at", ORDER)
async def test_the_constructor_stops_at_the_first_failure(fail_at: str) -> None:
    recorder = Recorder(fail_at)
    source, strategy = recording_objects(recorder)
    with pytest.raises(Failure):
        ReadableStream(source, strategy)
    assert recorder.record == ORDER[: ORDER.index(fail_at) + 1]


async def test_type_errors_of_the_strategy_come_before_those_of_the_source() -> None:
    with pytest.raises(TypeError, match="size must be callable"):
        ReadableStream({"start": "not callable"}, {"size": "not callable"})


async def test_range_errors_come_after_the_source_is_converted() -> None:
    with pytest.raises(TypeError, match="start must be callable"):
        ReadableStream({"start": "not callable"}, {"high_water_mark": -1})
    with pytest.raises(ValueError, match="high_water_mark"):
        ReadableStream({}, {"high_water_mark": math.nan})


async def test_a_byte_stream_with_a_size_fails_after_the_source_is_converted() -> None:
    with pytest.raises(ValueError, match="cannot have a size"):
        ReadableStream({"type": "bytes"}, {"size": lambda chunk: 1, "high_water_mark": -1})


async def test_camel_case_keys_are_accepted() -> None:
    box: list[Any] = []
    ReadableStream({"start": box.append}, {"highWaterMark": 3})
    assert box[0].desired_size == 3
