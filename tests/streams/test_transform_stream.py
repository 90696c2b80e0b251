"""TransformStream: transformer shapes, bad input, chaining, identity fast path."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    error1,
    flush_async_events,
    readable_stream_to_array,
)
from wintersockets.streams._promises import ReasonError
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)


async def run_through(ts: TransformStream, chunks: list[Any]) -> list[Any]:
    writer = ts.writable.get_writer()
    output = asyncio.ensure_future(readable_stream_to_array(ts.readable))
    for chunk in chunks:
        await writer.write(chunk)
    await writer.close()
    return await output


def test_construction_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        TransformStream()


async def test_an_identity_transform_passes_chunks_unchanged() -> None:
    assert await run_through(TransformStream(), [b"a", 1, None, "x"]) == [b"a", 1, None, "x"]


async def test_an_object_transformer_with_coroutine_methods() -> None:
    class Doubler:
        def __init__(self) -> None:
            self.flushed = False

        async def transform(
            self, chunk: int, controller: TransformStreamDefaultController
        ) -> None:
            await asyncio.sleep(0)
            controller.enqueue(chunk * 2)

        async def flush(self, controller: TransformStreamDefaultController) -> None:
            self.flushed = True
            controller.enqueue("end")

    transformer = Doubler()
    assert await run_through(TransformStream(transformer), [1, 2, 3]) == [2, 4, 6, "end"]
    assert transformer.flushed


async def test_a_transform_may_drop_or_split_chunks() -> None:
    def transform(chunk: str, controller: TransformStreamDefaultController) -> None:
        for part in chunk.split(","):
            if part:
                controller.enqueue(part)

    ts = TransformStream({"transform": transform})
    assert await run_through(ts, ["a,b", "", ",c"]) == ["a", "b", "c"]


async def test_transforms_chain_through_pipe_through() -> None:
    def source_start(controller: Any) -> None:
        for i in range(5):
            controller.enqueue(i)
        controller.close()

    rs: ReadableStream[int] = ReadableStream({"start": source_start})
    out = rs.pipe_through(TransformStream({"transform": lambda c, ctl: ctl.enqueue(c + 1)}))
    out = out.pipe_through(TransformStream({"transform": lambda c, ctl: ctl.enqueue(c * 10)}))
    assert await readable_stream_to_array(out) == [10, 20, 30, 40, 50]


async def test_controller_desired_size_follows_the_readable_queue() -> None:
    seen: list[float | None] = []

    def start(controller: TransformStreamDefaultController) -> None:
        seen.append(controller.desired_size)
        controller.enqueue("a")
        seen.append(controller.desired_size)

    TransformStream({"start": start}, None, {"high_water_mark": 2})
    assert seen == [2, 1]


async def test_controller_desired_size_is_none_once_errored() -> None:
    controllers: list[TransformStreamDefaultController] = []
    TransformStream({"start": controllers.append})
    controllers[0].error(error1)
    assert controllers[0].desired_size is None


async def test_error_with_a_reason_that_is_not_an_exception() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    controllers[0].error("plain reason")
    exc = await assert_rejects(ts.readable.get_reader().read(), "plain reason")
    assert isinstance(exc, ReasonError)
    await assert_rejects(ts.writable.get_writer().closed, "plain reason")


async def test_transformer_cancel_gets_the_original_reason() -> None:
    reasons: list[object] = []
    ts = TransformStream({"cancel": reasons.append})
    await ts.readable.cancel({"why": 1})
    assert reasons == [{"why": 1}]


@pytest.mark.parametrize("member", ["start", "transform", "flush", "cancel"])
async def test_a_non_callable_transformer_member_is_a_type_error(member: str) -> None:
    with pytest.raises(TypeError, match=member):
        TransformStream({member: 5})


@pytest.mark.parametrize("transformer", [5, "t", b"t"])
async def test_a_primitive_transformer_is_a_type_error(transformer: object) -> None:
    with pytest.raises(TypeError, match="transformer"):
        TransformStream(transformer)


@pytest.mark.parametrize("position", [1, 2])
async def test_a_primitive_strategy_is_a_type_error(position: int) -> None:
    strategies: list[object] = [None, None]
    strategies[position - 1] = 17
    with pytest.raises(TypeError, match="strategy"):
        TransformStream(None, *strategies)


async def test_strategy_type_errors_come_before_transformer_errors() -> None:
    with pytest.raises(TypeError, match="size"):
        TransformStream({"transform": 5}, {"size": 5})


async def test_transformer_type_errors_come_before_range_errors() -> None:
    with pytest.raises(TypeError, match="transform"):
        TransformStream({"transform": 5}, {"high_water_mark": -1})


async def test_the_readable_range_error_is_reported_before_the_writable_one() -> None:
    with pytest.raises(ValueError, match="nan"):
        TransformStream(None, {"high_water_mark": -1}, {"high_water_mark": math.nan})


async def test_an_async_start_delays_transforms() -> None:
    events: list[str] = []

    async def start(controller: TransformStreamDefaultController) -> None:
        await asyncio.sleep(0)
        events.append("started")

    def transform(chunk: object, controller: TransformStreamDefaultController) -> None:
        events.append("transform")

    ts = TransformStream({"start": start, "transform": transform}, None, {"high_water_mark": 1})
    await ts.writable.get_writer().write("a")
    assert events == ["started", "transform"]


async def test_a_rejected_async_transform_errors_both_sides() -> None:
    async def transform(chunk: object, controller: TransformStreamDefaultController) -> None:
        raise error1

    ts = TransformStream({"transform": transform})
    writer = ts.writable.get_writer()
    read = ts.readable.get_reader().read()
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(read, error1)


async def test_repr_shows_both_sides() -> None:
    ts = TransformStream()
    assert "TransformStream" in repr(ts)
    assert "WritableStream" in repr(ts)
    controllers: list[TransformStreamDefaultController] = []
    TransformStream({"start": controllers.append})
    assert "TransformStreamDefaultController" in repr(controllers[0])


async def test_many_chunks_through_an_identity_transform() -> None:
    ts = TransformStream()
    writer = ts.writable.get_writer()

    async def produce() -> None:
        for i in range(300):
            await writer.ready
            writer.write(i)
        await writer.close()

    producer = asyncio.ensure_future(produce())
    assert await readable_stream_to_array(ts.readable) == list(range(300))
    await producer
    await flush_async_events()
