"""Conformance: writers, errors and class surface.

WPT streams/writable-streams/general.any.js, error.any.js, properties.any.js and
brand-checks.any.js.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.streams.support import (
    assert_rejects,
    error1,
    error2,
    flush_async_events,
    js_await,
    on_settle,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream
from wintersockets.streams.writer import WritableStreamDefaultWriter

# -- general.any.js -------------------------------------------------------------------------


async def test_desired_size_of_a_released_writer_raises_type_error() -> None:
    writer = WritableStream({}).get_writer()
    writer.release_lock()
    with pytest.raises(TypeError, match="released"):
        _ = writer.desired_size


async def test_desired_size_starts_at_the_high_water_mark() -> None:
    assert WritableStream({}).get_writer().desired_size == 1


async def test_desired_size_of_a_closed_stream_is_zero() -> None:
    writer = WritableStream({}).get_writer()
    writer.close()
    await writer.closed
    assert writer.desired_size == 0


async def test_desired_size_of_an_errored_stream_is_none() -> None:
    writer = WritableStream({"start": lambda c: c.error()}).get_writer()
    assert writer.desired_size is None


@pytest.mark.parametrize("how", ["closing", "closed", "aborted", "errored"])
async def test_get_writer_works_whatever_the_state(how: str) -> None:
    ws = WritableStream({"start": (lambda c: c.error()) if how == "errored" else None})
    writer = ws.get_writer()
    if how == "closing":
        writer.close()
    elif how == "closed":
        await writer.close()
    elif how == "aborted":
        writer.abort()
    else:
        await assert_rejects(writer.closed, None)
    writer.release_lock()
    ws.get_writer()
    await flush_async_events()


async def test_closed_and_ready_of_a_released_writer_reject_with_the_same_type_error() -> None:
    writer = WritableStream({}).get_writer()
    writer.release_lock()
    closed_error = await assert_rejects(writer.closed, TypeError)
    ready_error = await assert_rejects(writer.ready, TypeError)
    assert ready_error is closed_error


async def test_sink_callables_from_a_mapping_are_called_without_self() -> None:
    calls: list[str] = []
    sink = {
        "start": lambda c: calls.append("start"),
        "write": lambda chunk, c: calls.append("write"),
        "close": lambda: calls.append("close"),
    }
    writer = WritableStream(sink).get_writer()
    writer.write("a")
    await writer.close()
    assert calls == ["start", "write", "close"]


async def test_size_is_called_with_only_the_chunk() -> None:
    seen: list[object] = []

    def size(chunk: object) -> float:
        seen.append(chunk)
        return 1

    writer = WritableStream({}, {"size": size}).get_writer()
    await writer.write("a")
    assert seen == ["a"]


async def test_redundant_release_lock_is_a_no_op() -> None:
    ws = WritableStream()
    writer1 = ws.get_writer()
    writer1.release_lock()
    writer2 = ws.get_writer()
    writer1.release_lock()
    await writer2.ready


async def test_ready_rejects_before_closed_on_release_lock() -> None:
    ws = WritableStream()
    writer = ws.get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("dummy")
    events: list[object] = []
    on_settle(writer.ready, events, "ready")
    on_settle(writer.closed, events, "closed")
    writer.release_lock()
    await flush_async_events()
    assert events == ["ready", "closed"]
    await write_promise
    await ws.abort()


# -- error.any.js ---------------------------------------------------------------------------


async def test_controller_error_errors_the_stream() -> None:
    ws = WritableStream({"start": lambda c: c.error(error1)})
    await assert_rejects(ws.get_writer().closed, error1)


async def test_controller_error_on_an_erroring_stream_does_not_raise() -> None:
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    abort_promise = ws.abort()
    controllers[0].error(error1)
    await abort_promise


async def test_only_the_first_controller_error_counts() -> None:
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    controllers[0].error(error1)
    controllers[0].error(error2)
    await assert_rejects(ws.get_writer().closed, error1)


async def test_controller_error_on_an_errored_stream_does_not_raise() -> None:
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    await ws.abort()
    controllers[0].error(error1)


async def test_controller_error_on_a_closed_stream_does_not_raise() -> None:
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    await ws.get_writer().close()
    controllers[0].error(error1)


async def test_controller_error_without_argument_errors_with_none() -> None:
    ws = WritableStream({"start": lambda c: c.error()})
    await assert_rejects(ws.get_writer().closed, None)


# -- properties.any.js and brand-checks.any.js ----------------------------------------------


@pytest.mark.parametrize(
    ("cls", "members"),
    [
        (WritableStream, ["locked", "abort", "close", "get_writer"]),
        (
            WritableStreamDefaultWriter,
            ["closed", "desired_size", "ready", "abort", "close", "release_lock", "write"],
        ),
        (WritableStreamDefaultController, ["signal", "error"]),
    ],
)
def test_classes_have_the_spec_members(cls: type, members: list[str]) -> None:
    for name in members:
        assert hasattr(cls, name), name


async def test_promise_returning_methods_return_futures_created_at_call_time() -> None:
    ws = WritableStream()
    assert isinstance(ws.abort(), asyncio.Future)
    ws2 = WritableStream()
    close = ws2.close()
    assert isinstance(close, asyncio.Future)
    await close
    writer = WritableStream().get_writer()
    write = writer.write("a")
    assert isinstance(write, asyncio.Future)
    await write


async def test_instances_reject_new_attributes() -> None:
    ws = WritableStream()
    with pytest.raises(AttributeError):
        ws.foo = 1  # type: ignore[attr-defined]
    writer = ws.get_writer()
    with pytest.raises(AttributeError):
        writer.foo = 1  # type: ignore[attr-defined]
