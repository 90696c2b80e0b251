"""Conformance: constructing writable streams and bad input.

WPT streams/writable-streams/constructor.any.js, bad-strategies.any.js and
bad-underlying-sinks.any.js.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tests.streams.support import (
    assert_fulfilled,
    assert_rejects,
    error1,
    js_await,
    recording_writable_stream,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream
from wintersockets.streams.writer import WritableStreamDefaultWriter

# -- constructor.any.js ---------------------------------------------------------------------


async def test_the_controller_is_passed_to_start() -> None:
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    controllers[0].error(error1)
    writer = ws.get_writer()
    assert writer.desired_size is None
    await assert_rejects(writer.closed, error1)


async def test_the_controller_is_passed_to_write() -> None:
    def write(chunk: object, controller: WritableStreamDefaultController) -> None:
        controller.error(error1)

    writer = WritableStream({"write": write}).get_writer()
    await writer.write("a")
    await assert_rejects(writer.closed, error1)


async def test_close_gets_no_arguments() -> None:
    args: list[tuple[object, ...]] = []
    await WritableStream({"close": lambda *a: args.append(a)}).get_writer().close()
    assert args == [()]


async def test_the_high_water_mark_is_the_initial_desired_size() -> None:
    writer = WritableStream({}, {"high_water_mark": 1000, "size": lambda c: 1}).get_writer()
    assert writer.desired_size == 1000
    await assert_fulfilled(writer.ready)


async def test_an_infinite_high_water_mark_never_applies_backpressure() -> None:
    writer = WritableStream({}, {"highWaterMark": math.inf, "size": lambda c: 0}).get_writer()
    assert writer.desired_size == math.inf
    await writer.ready


async def test_constructible_with_no_arguments() -> None:
    ws = WritableStream()
    assert not ws.locked


async def test_a_writer_has_the_standard_members() -> None:
    writer = WritableStream({}).get_writer()
    assert callable(writer.write)
    assert callable(writer.abort)
    assert callable(writer.close)
    assert writer.desired_size == 1
    assert isinstance(writer.ready, asyncio.Future)
    assert isinstance(writer.closed, asyncio.Future)


def test_the_controller_cannot_be_constructed() -> None:
    with pytest.raises(TypeError, match="cannot be constructed"):
        WritableStreamDefaultController()


async def test_the_writer_needs_a_writable_stream() -> None:
    with pytest.raises(TypeError, match="needs a WritableStream"):
        WritableStreamDefaultWriter({})  # type: ignore[arg-type]


async def test_the_writer_constructor_rejects_a_locked_stream() -> None:
    ws = WritableStream()
    ws.get_writer()
    with pytest.raises(TypeError, match="locked"):
        WritableStreamDefaultWriter(ws)


async def test_strategy_type_errors_come_before_sink_errors() -> None:
    with pytest.raises(TypeError, match="size"):
        WritableStream({"write": "not callable"}, {"size": "not callable"})


async def test_sink_type_errors_come_before_high_water_mark_range_errors() -> None:
    with pytest.raises(TypeError, match="write"):
        WritableStream({"write": 5}, {"high_water_mark": -1})


async def test_a_sink_type_raises_value_error_before_the_high_water_mark_check() -> None:
    with pytest.raises(ValueError, match="type"):
        WritableStream({"type": "bytes"}, {"high_water_mark": -1})


# -- bad-strategies.any.js ------------------------------------------------------------------


async def test_a_non_callable_size_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        WritableStream({}, {"size": "a string"})


@pytest.mark.parametrize("hwm", [-1, -math.inf, math.nan])
async def test_an_invalid_high_water_mark_is_a_value_error(hwm: float) -> None:
    with pytest.raises(ValueError, match="high_water_mark"):
        WritableStream({}, {"size": lambda c: 1, "high_water_mark": hwm})


@pytest.mark.parametrize("hwm", ["foo", {}, True])
async def test_a_non_numeric_high_water_mark_is_a_type_error(hwm: object) -> None:
    # JavaScript converts these with ToNumber (to NaN, a RangeError); Python has no such
    # conversion, so the wrong type is a TypeError.
    with pytest.raises(TypeError, match="high_water_mark"):
        WritableStream({}, {"high_water_mark": hwm})


async def test_an_invalid_size_beats_an_invalid_high_water_mark() -> None:
    with pytest.raises(TypeError):
        WritableStream(None, {"size": "not a function", "high_water_mark": math.nan})


async def test_a_size_that_raises_errors_the_stream() -> None:
    def size(chunk: object) -> float:
        raise error1

    writer = WritableStream({}, {"size": size, "high_water_mark": 5}).get_writer()
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(writer.closed, error1)


@pytest.mark.parametrize("bad", [math.nan, -math.inf, math.inf, -1, "1", None])
async def test_a_bad_size_result_errors_the_stream_with_value_error(bad: object) -> None:
    writer = WritableStream({}, {"size": lambda c: bad, "high_water_mark": 5}).get_writer()
    exc = await assert_rejects(writer.write("a"), ValueError)
    closed_exc = await assert_rejects(writer.closed, ValueError)
    assert closed_exc is exc, "closed rejects with the same error as the write"


# -- bad-underlying-sinks.any.js ------------------------------------------------------------


async def test_start_that_raises_makes_the_constructor_raise_it() -> None:
    def start(c: object) -> None:
        raise error1

    with pytest.raises(type(error1)) as info:
        WritableStream({"start": start})
    assert info.value is error1


@pytest.mark.parametrize("member", ["start", "write", "close", "abort"])
@pytest.mark.parametrize("value", ["not a function", 5, object()])
async def test_a_non_callable_sink_member_is_a_type_error(member: str, value: object) -> None:
    with pytest.raises(TypeError, match=member):
        WritableStream({member: value})


async def test_a_property_getter_that_raises_makes_the_constructor_raise() -> None:
    class Sink:
        @property
        def write(self) -> Any:
            raise error1

    with pytest.raises(type(error1)):
        WritableStream(Sink())


@pytest.mark.parametrize("strategy", [5, "strategy", 1.5])
async def test_a_primitive_strategy_is_a_type_error(strategy: object) -> None:
    with pytest.raises(TypeError, match="strategy"):
        WritableStream({}, strategy)


@pytest.mark.parametrize("sink", [5, "sink", b"sink", 1.5])
async def test_a_primitive_sink_is_a_type_error(sink: object) -> None:
    with pytest.raises(TypeError, match="underlying sink"):
        WritableStream(sink)


async def test_sink_close_that_raises_rejects_close_and_ready() -> None:
    def close() -> None:
        raise error1

    ws, events = recording_writable_stream({"close": close})
    writer = ws.get_writer()
    await assert_rejects(writer.close(), error1)
    await assert_rejects(writer.ready, error1)
    await assert_rejects(writer.closed, error1)
    assert events == ["close"]


async def test_sink_close_returning_a_rejection_rejects_close_and_ready() -> None:
    async def close() -> None:
        raise error1

    ws, events = recording_writable_stream({"close": close})
    writer = ws.get_writer()
    await assert_rejects(writer.close(), error1)
    await assert_rejects(writer.ready, error1)
    assert events == ["close"]


async def test_sink_write_that_raises_rejects_write_and_closed() -> None:
    def write(chunk: object, c: object) -> None:
        raise error1

    writer = WritableStream({"write": write}).get_writer()
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(writer.closed, error1)


async def test_a_sink_write_rejected_later_rejects_write_and_ready() -> None:
    sink_result: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    ws, events = recording_writable_stream({"write": lambda c, ctl: sink_result})
    await asyncio.sleep(0)
    writer = ws.get_writer()
    write_promise = writer.write("a")
    sink_result.set_exception(error1)
    await assert_rejects(write_promise, error1)
    await assert_rejects(writer.ready, error1)
    assert events == ["write", "a"]


async def test_a_second_write_rejected_keeps_and_rejects_the_pending_ready() -> None:
    events_box: list[list[object]] = []

    async def write(chunk: object, c: object) -> None:
        if len(events_box[0]) == 2:
            await asyncio.sleep(0)
            return
        raise error1

    ws, events = recording_writable_stream({"write": write})
    events_box.append(events)
    writer = ws.get_writer()
    writer.write("a")
    ready = writer.ready
    await assert_rejects(writer.write("b"), error1)
    assert writer.ready is ready, "the pending ready promise is rejected, not replaced"
    await assert_rejects(writer.ready, error1)
    assert events == ["write", "a", "write", "b"]


async def test_sink_abort_that_raises_rejects_abort_and_closed_keeps_the_reason() -> None:
    reason = Exception("different string")

    def abort(r: object) -> None:
        raise error1

    writer = WritableStream({"abort": abort}).get_writer()
    await assert_rejects(writer.abort(reason), error1)
    await assert_rejects(writer.closed, reason)


async def test_sink_methods_are_called_as_methods_of_an_object_sink() -> None:
    calls: list[tuple[str, object]] = []

    class Sink:
        def start(self, controller: object) -> None:
            calls.append(("start", self))

        def write(self, chunk: object, controller: object) -> None:
            calls.append(("write", self))

        def close(self) -> None:
            calls.append(("close", self))

        def abort(self, reason: object) -> None:
            calls.append(("abort", self))

    sink = Sink()
    writer = WritableStream(sink).get_writer()
    writer.write("a")
    await writer.close()
    await WritableStream(sink).get_writer().abort()
    assert [name for name, _ in calls] == ["start", "write", "close", "start", "abort"]
    assert all(this is sink for _, this in calls)


async def test_a_mapping_member_set_to_none_counts_as_absent() -> None:
    writer = WritableStream(
        {"start": None, "write": None, "close": None, "abort": None, "type": None}
    ).get_writer()
    await js_await(writer.ready)
    await writer.write("a")
    await writer.close()
