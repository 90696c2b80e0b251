"""ReadableStream: construction, underlying sources of every shape, cancel, get_reader."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    error1,
    flush_async_events,
    readable_stream_to_array,
    stream_with_controller,
)
from wintersockets.streams.byob_reader import ReadableStreamBYOBReader
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.default_reader import ReadableStreamDefaultReader
from wintersockets.streams.queuing_strategy import (
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
)
from wintersockets.streams.readable_stream import (
    ReadableStream,
    ReadableStreamState,
    create_readable_byte_stream,
    create_readable_stream,
    is_readable_stream_disturbed,
)


def test_construction_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        ReadableStream()


async def test_a_stream_without_source_stays_readable_and_unlocked() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    assert not stream.locked
    assert stream._state == "readable"
    assert stream._state is ReadableStreamState.READABLE
    assert repr(stream) == "<ReadableStream state=readable locked=False>"


async def test_source_as_object_with_methods() -> None:
    calls: list[str] = []

    class Source:
        def start(self, controller: ReadableStreamDefaultController[int]) -> None:
            calls.append("start")
            controller.enqueue(1)

        def pull(self, controller: ReadableStreamDefaultController[int]) -> None:
            calls.append("pull")
            controller.close()

        def cancel(self, reason: object) -> None:
            calls.append("cancel")

    stream: ReadableStream[int] = ReadableStream(Source())
    assert calls == ["start"]
    assert await readable_stream_to_array(stream) == [1]
    assert calls == ["start", "pull"]


async def test_source_as_mapping_with_async_callbacks() -> None:
    async def start(controller: ReadableStreamDefaultController[str]) -> None:
        await asyncio.sleep(0)
        controller.enqueue("a")

    async def pull(controller: ReadableStreamDefaultController[str]) -> None:
        await asyncio.sleep(0)
        controller.close()

    stream: ReadableStream[str] = ReadableStream({"start": start, "pull": pull})
    assert await readable_stream_to_array(stream) == ["a"]


async def test_callbacks_without_parameters_are_called_without_arguments() -> None:
    cancelled: list[bool] = []
    stream: ReadableStream[Any] = ReadableStream(
        {"start": lambda: None, "pull": lambda: None, "cancel": lambda: cancelled.append(True)}
    )
    await stream.cancel("why")
    assert cancelled == [True]


async def test_none_members_count_as_absent() -> None:
    stream: ReadableStream[Any] = ReadableStream(
        {"start": None, "pull": None, "cancel": None, "type": None}
    )
    assert isinstance(stream._controller, ReadableStreamDefaultController)


@pytest.mark.parametrize("source", [5, "source", b"bytes", 1.5])
async def test_a_source_that_is_not_an_object_is_a_type_error(source: object) -> None:
    with pytest.raises(TypeError, match="underlying source must be an object"):
        ReadableStream(source)


@pytest.mark.parametrize("member", ["start", "pull", "cancel"])
async def test_a_callback_that_is_not_callable_is_a_type_error(member: str) -> None:
    with pytest.raises(TypeError, match=f"underlying source {member} must be callable"):
        ReadableStream({member: "nope"})


async def test_an_unknown_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match='type must be "bytes"'):
        ReadableStream({"type": "byte"})


async def test_a_throwing_getter_on_the_source_propagates() -> None:
    class Source:
        @property
        def start(self) -> None:
            raise error1

    with pytest.raises(type(error1)):
        ReadableStream(Source())


async def test_start_that_raises_makes_the_constructor_raise() -> None:
    def start(_controller: object) -> None:
        raise error1

    with pytest.raises(type(error1)) as caught:
        ReadableStream({"start": start})
    assert caught.value is error1


async def test_start_that_rejects_errors_the_stream() -> None:
    async def start(_controller: object) -> None:
        raise error1

    stream: ReadableStream[Any] = ReadableStream({"start": start})
    reader = stream.get_reader()
    await assert_rejects(reader.closed, error1)
    assert stream._state == "errored"


async def test_pull_waits_for_start_to_settle() -> None:
    events: list[str] = []
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def start(_controller: object) -> asyncio.Future[None]:
        return started

    ReadableStream({"start": start, "pull": lambda c: events.append("pull")})
    await flush_async_events()
    assert events == []
    started.set_result(None)
    await flush_async_events()
    assert events == ["pull"]


async def test_pull_that_raises_errors_the_stream() -> None:
    def pull(_controller: object) -> None:
        raise error1

    stream: ReadableStream[Any] = ReadableStream({"pull": pull})
    await assert_rejects(stream.get_reader().read(), error1)


async def test_pull_is_not_called_again_until_its_promise_settles() -> None:
    pulls: list[asyncio.Future[None]] = []
    loop = asyncio.get_running_loop()

    def pull(controller: ReadableStreamDefaultController[int]) -> asyncio.Future[None]:
        controller.enqueue(len(pulls))
        pulls.append(loop.create_future())
        return pulls[-1]

    stream: ReadableStream[int] = ReadableStream({"pull": pull}, {"high_water_mark": 5})
    await flush_async_events()
    assert len(pulls) == 1
    pulls[0].set_result(None)
    await flush_async_events()
    assert len(pulls) == 2
    assert stream._controller.desired_size == 3


@pytest.mark.parametrize(
    "strategy",
    [{"high_water_mark": -1}, {"high_water_mark": math.nan}, {"highWaterMark": -0.5}],
)
async def test_a_negative_or_nan_high_water_mark_is_a_value_error(strategy: object) -> None:
    with pytest.raises(ValueError, match="high_water_mark"):
        ReadableStream(None, strategy)


async def test_a_high_water_mark_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="high_water_mark must be a number"):
        ReadableStream(None, {"high_water_mark": "5"})


async def test_a_strategy_that_is_not_an_object_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="strategy must be an object"):
        ReadableStream(None, 5)


async def test_a_size_that_is_not_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="size must be callable"):
        ReadableStream(None, {"size": 5})


async def test_strategy_objects_set_the_high_water_mark() -> None:
    stream, controller = stream_with_controller(None, CountQueuingStrategy(high_water_mark=4))
    assert controller.desired_size == 4
    stream, controller = stream_with_controller(
        None, ByteLengthQueuingStrategy(high_water_mark=10)
    )
    controller.enqueue(b"abc")
    assert controller.desired_size == 7
    assert not stream.locked


async def test_a_byte_stream_strategy_with_a_size_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot have a size"):
        ReadableStream({"type": "bytes"}, CountQueuingStrategy(high_water_mark=1))
    with pytest.raises(ValueError, match="cannot have a size"):
        ReadableStream({"type": "bytes"}, {"size": lambda chunk: 1})


async def test_a_byte_stream_gets_a_byte_controller_with_default_high_water_mark_0() -> None:
    box: list[ReadableByteStreamController] = []
    ReadableStream({"type": "bytes", "start": box.append})
    assert isinstance(box[0], ReadableByteStreamController)
    assert box[0].desired_size == 0


@pytest.mark.parametrize(
    ("size", "error"), [(0, TypeError), (-1, TypeError), (1.5, TypeError), (True, TypeError)]
)
async def test_bad_auto_allocate_chunk_size(size: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="auto_allocate_chunk_size"):
        ReadableStream({"type": "bytes", "auto_allocate_chunk_size": size})


async def test_auto_allocate_chunk_size_in_either_spelling() -> None:
    for key in ("auto_allocate_chunk_size", "autoAllocateChunkSize"):
        box: list[ReadableByteStreamController] = []
        ReadableStream({"type": "bytes", "start": box.append, key: 16})
        assert box[0]._auto_allocate_chunk_size == 16


async def test_cancel_calls_the_source_with_the_reason_and_resolves_with_none() -> None:
    reasons: list[object] = []

    async def cancel(reason: object) -> str:
        reasons.append(reason)
        return "ignored"

    stream: ReadableStream[Any] = ReadableStream({"cancel": cancel})
    await stream.cancel("reason")
    assert reasons == ["reason"]
    assert stream._state == "closed"
    assert is_readable_stream_disturbed(stream)


async def test_cancel_rejects_when_the_source_cancel_fails() -> None:
    def cancel(_reason: object) -> None:
        raise error1

    stream: ReadableStream[Any] = ReadableStream({"cancel": cancel})
    await assert_rejects(stream.cancel(), error1)


async def test_cancel_a_locked_stream_rejects_with_type_error() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    stream.get_reader()
    await assert_rejects(stream.cancel(), TypeError, "locked")


async def test_cancel_an_errored_stream_rejects_with_its_error() -> None:
    stream, controller = stream_with_controller()
    controller.error(error1)
    await assert_rejects(stream.cancel(), error1)


async def test_cancel_a_closed_stream_resolves() -> None:
    stream, controller = stream_with_controller()
    controller.close()
    await stream.cancel()


async def test_cancel_discards_queued_chunks() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue(1)
    await stream.cancel()
    result = await stream.get_reader().read()
    assert result.done


async def test_cancel_returns_a_future_created_at_call_time() -> None:
    events: list[str] = []
    stream: ReadableStream[Any] = ReadableStream({"cancel": lambda r: events.append("cancel")})
    future = stream.cancel()
    assert events == ["cancel"]
    assert isinstance(future, asyncio.Future)
    await future


async def test_get_reader_modes() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    reader = stream.get_reader()
    assert isinstance(reader, ReadableStreamDefaultReader)
    with pytest.raises(TypeError, match="locked"):
        stream.get_reader()
    reader.release_lock()
    with pytest.raises(TypeError, match='mode must be "byob"'):
        stream.get_reader("default")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="needs a byte stream"):
        stream.get_reader("byob")
    byte_stream: ReadableStream[bytes] = ReadableStream({"type": "bytes"})
    assert isinstance(byte_stream.get_reader({"mode": "byob"}), ReadableStreamBYOBReader)


async def test_create_readable_stream_with_plain_algorithms() -> None:
    chunks = iter([1, 2])
    stream: ReadableStream[int]

    def pull() -> None:
        controller = stream._controller
        assert isinstance(controller, ReadableStreamDefaultController)
        value = next(chunks, None)
        if value is None:
            controller.close()
        else:
            controller.enqueue(value)

    stream = create_readable_stream(lambda: None, pull, lambda reason: None, 0)
    assert await readable_stream_to_array(stream) == [1, 2]


async def test_create_readable_byte_stream_has_a_byte_controller() -> None:
    stream = create_readable_byte_stream(lambda: None, lambda: None, lambda reason: None)
    controller = stream._controller
    assert isinstance(controller, ReadableByteStreamController)
    assert controller.desired_size == 0
    assert controller._auto_allocate_chunk_size is None
    assert isinstance(stream.get_reader("byob"), ReadableStreamBYOBReader)


async def test_the_controller_cannot_be_constructed_directly() -> None:
    with pytest.raises(TypeError, match="cannot be constructed directly"):
        ReadableStreamDefaultController()
    with pytest.raises(TypeError, match="cannot be constructed directly"):
        ReadableByteStreamController()


async def test_pipe_to_rejects_bad_arguments_at_once() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    await assert_rejects(stream.pipe_to(object()), TypeError, "WritableStream")
    from wintersockets.streams.writable_stream import WritableStream

    await assert_rejects(
        stream.pipe_to(WritableStream(), signal="nope"),  # type: ignore[arg-type]
        TypeError,
        "AbortSignal",
    )
    stream.get_reader()
    await assert_rejects(stream.pipe_to(WritableStream()), TypeError, "locked")
    assert stream.locked


async def test_pipe_to_a_locked_writable_stream_rejects() -> None:
    from wintersockets.streams.writable_stream import WritableStream

    destination = WritableStream()
    destination.get_writer()
    stream: ReadableStream[Any] = ReadableStream()
    await assert_rejects(stream.pipe_to(destination), TypeError, "locked WritableStream")
    assert not stream.locked


async def test_pipe_through_checks_the_pair() -> None:
    from wintersockets.streams.writable_stream import WritableStream

    stream: ReadableStream[Any] = ReadableStream()
    with pytest.raises(TypeError, match=r"transform\.readable must be a ReadableStream"):
        stream.pipe_through({"writable": WritableStream()})
    with pytest.raises(TypeError, match=r"transform\.writable must be a WritableStream"):
        stream.pipe_through({"readable": ReadableStream()})
    locked = WritableStream()
    locked.get_writer()
    with pytest.raises(TypeError, match="locked WritableStream"):
        stream.pipe_through({"readable": ReadableStream(), "writable": locked})
    stream.get_reader()
    with pytest.raises(TypeError, match="cannot pipe a locked stream"):
        stream.pipe_through({"readable": ReadableStream(), "writable": WritableStream()})


async def test_values_and_aiter_lock_the_stream() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    iterator = stream.values()
    assert stream.locked
    with pytest.raises(TypeError, match="locked"):
        aiter(stream)
    await iterator.aclose()
    assert not stream.locked


async def test_repr_shows_type_state_and_lock() -> None:
    stream: ReadableStream[bytes] = ReadableStream({"type": "bytes"})
    stream.get_reader()
    assert repr(stream) == "<ReadableStream type='bytes' state=readable locked=True>"


async def test_pending_read_is_settled_by_close() -> None:
    stream, controller = stream_with_controller()
    read = stream.get_reader().read()
    await flush_async_events()
    assert_pending(read)
    controller.close()
    assert (await read).done
