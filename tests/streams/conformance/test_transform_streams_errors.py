"""Conformance: transform stream errors, cancellation and termination.

WPT streams/transform-streams/errors.any.js, cancel.any.js and terminate.any.js (current
versions: a readable.cancel() racing an abort, terminate() or error() during start
fulfils, and the writable side keeps the first error).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    delay,
    error1,
    error2,
    flush_async_events,
    pending,
    recording_transform_stream,
    recording_writable_stream,
)
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)

thrown_error = error1
ignored_error = error2


def raise_(exc: BaseException) -> Any:
    raise exc


# -- errors.any.js --------------------------------------------------------------------------


async def test_an_error_raised_in_transform_errors_both_sides() -> None:
    ts = TransformStream({"transform": lambda c, ctl: raise_(thrown_error)})
    reader = ts.readable.get_reader()
    writer = ts.writable.get_writer()
    write = writer.write("a")
    read = reader.read()
    await assert_rejects(write, thrown_error)
    await assert_rejects(read, thrown_error)
    await assert_rejects(reader.closed, thrown_error)
    await assert_rejects(writer.closed, thrown_error)


async def test_an_error_raised_in_flush_errors_both_sides() -> None:
    ts = TransformStream(
        {"transform": lambda c, ctl: None, "flush": lambda c: raise_(thrown_error)}
    )
    reader = ts.readable.get_reader()
    writer = ts.writable.get_writer()
    write = writer.write("a")
    close = writer.close()
    read = reader.read()
    await write
    await assert_rejects(close, thrown_error)
    await assert_rejects(read, thrown_error)
    await assert_rejects(reader.closed, thrown_error)
    await assert_rejects(writer.closed, thrown_error)


async def test_an_errored_stream_does_not_enqueue() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.enqueue("a")
        c.error(Exception("generic error"))
        with pytest.raises(TypeError):
            c.enqueue("b")

    TransformStream({"start": start})


async def test_a_rejected_start_errors_the_stream() -> None:
    async def start(c: object) -> None:
        await flush_async_events()
        raise thrown_error

    def unreached(*args: object) -> None:
        raise AssertionError("transform and flush must not be called")

    ts = TransformStream({"start": start, "transform": unreached, "flush": unreached})
    writer = ts.writable.get_writer()
    reader = ts.readable.get_reader()
    write, close, read = writer.write("a"), writer.close(), reader.read()
    await assert_rejects(write, thrown_error)
    await assert_rejects(close, thrown_error)
    await assert_rejects(read, thrown_error)


async def test_controller_error_before_a_start_rejection_decides_the_error() -> None:
    controller_error = Exception("start failure")

    async def start(c: TransformStreamDefaultController) -> None:
        await flush_async_events()
        c.error(controller_error)
        raise Exception("ignored error")

    ts = TransformStream({"start": start})
    writer = ts.writable.get_writer()
    reader = ts.readable.get_reader()
    write, close, read = writer.write("a"), writer.close(), reader.read()
    await assert_rejects(write, controller_error)
    await assert_rejects(close, controller_error)
    await assert_rejects(read, controller_error)


async def test_the_constructor_raises_what_start_raises() -> None:
    with pytest.raises(UnicodeError):
        TransformStream({"start": lambda c: raise_(UnicodeError("start thrown error"))})


async def test_the_constructor_raises_what_size_raises_inside_start() -> None:
    with pytest.raises(UnicodeError):
        TransformStream(
            {"start": lambda c: c.enqueue("a")},
            None,
            {"size": lambda chunk: raise_(UnicodeError("size thrown error"))},
        )


async def test_size_calling_controller_error_then_raising_raises_the_first_error() -> None:
    controller_error = UnicodeError("controller.error")
    controllers: list[TransformStreamDefaultController] = []

    def size(chunk: object) -> float:
        controllers[0].error(controller_error)
        raise Exception("redundant error")

    def start(c: TransformStreamDefaultController) -> None:
        controllers.append(c)
        c.enqueue("a")

    with pytest.raises(UnicodeError) as info:
        TransformStream({"start": start}, None, {"size": size})
    assert info.value is controller_error


async def test_cancelling_the_readable_errors_the_writable() -> None:
    ts = TransformStream()
    writer = ts.writable.get_writer()
    closed = writer.closed
    await ts.readable.cancel(thrown_error)
    await assert_rejects(closed, thrown_error)


async def test_the_readable_can_be_errored_between_close_requested_and_complete() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    writer = ts.writable.get_writer()
    reader = ts.readable.get_reader()
    write = writer.write("a")
    close = writer.close()
    controllers[0].error(thrown_error)
    await assert_rejects(reader.closed, thrown_error)
    await assert_rejects(write, thrown_error)
    await assert_rejects(close, thrown_error)


async def test_an_error_from_transform_after_terminate_still_errors() -> None:
    def transform(chunk: object, c: TransformStreamDefaultController) -> None:
        c.enqueue(chunk)
        c.terminate()
        raise thrown_error

    ts = TransformStream({"transform": transform}, None, {"high_water_mark": 1})
    write = ts.writable.get_writer().write("a")
    closed = ts.readable.get_reader().closed
    await assert_rejects(write, thrown_error)
    await assert_rejects(closed, thrown_error)


async def test_abort_then_cancel_during_start_both_fulfil_and_abort_sets_the_error() -> None:
    ts = TransformStream()
    writer = ts.writable.get_writer()
    abort = writer.abort(thrown_error)
    cancel = ts.readable.cancel(Exception("cancel reason"))
    await abort
    await cancel
    await assert_rejects(writer.closed, thrown_error)


async def test_abort_then_cancel_during_a_sink_write_both_fulfil() -> None:
    transform_result = pending()
    ts = TransformStream(
        {"transform": lambda c, ctl: transform_result}, None, {"high_water_mark": 2}
    )
    writer = ts.writable.get_writer()
    await delay()
    write = writer.write(None)
    abort = writer.abort(thrown_error)
    cancel = ts.readable.cancel(Exception("cancel reason"))
    transform_result.set_result(None)
    await write
    await abort
    await cancel
    await assert_rejects(writer.closed, thrown_error)


async def test_controller_error_twice_keeps_the_first_error() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.error(thrown_error)
        c.error(ignored_error)

    ts = TransformStream({"start": start})
    await assert_rejects(ts.writable.abort(), thrown_error)


async def test_controller_error_right_after_readable_cancel_errors_the_writable() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    cancel = ts.readable.cancel(ignored_error)
    controllers[0].error(thrown_error)
    await cancel
    await assert_rejects(ts.writable.get_writer().closed, thrown_error)


async def test_controller_error_after_readable_cancel_resolved_does_nothing() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    await ts.readable.cancel(thrown_error)
    controllers[0].error(ignored_error)
    await assert_rejects(ts.writable.get_writer().closed, thrown_error)


async def test_controller_error_after_writable_abort_completed_does_nothing() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    await ts.writable.abort(thrown_error)
    controllers[0].error(ignored_error)
    await assert_rejects(ts.writable.get_writer().closed, thrown_error)


async def test_controller_error_after_a_transformer_method_raised_does_nothing() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream(
        {"start": controllers.append, "transform": lambda c, ctl: raise_(thrown_error)},
        None,
        {"high_water_mark": math.inf},
    )
    writer = ts.writable.get_writer()
    await assert_rejects(writer.write(None), thrown_error)
    controllers[0].error()
    await assert_rejects(writer.closed, thrown_error)


async def test_erroring_a_write_waiting_on_backpressure_fails_it() -> None:
    controllers: list[TransformStreamDefaultController] = []
    calls: list[object] = []
    ts = TransformStream(
        {"start": controllers.append, "transform": lambda c, ctl: calls.append(c)},
        None,
        {"high_water_mark": 1},
    )
    await delay()
    controllers[0].enqueue("a")  # creates backpressure
    write = ts.writable.get_writer().write("b")
    assert calls == []
    controllers[0].error(thrown_error)
    await assert_rejects(write, thrown_error)
    assert calls == []


async def test_a_write_waiting_for_backpressure_rejects_when_aborted() -> None:
    ts = TransformStream({}, None, {"high_water_mark": 0})
    await delay()
    writer = ts.writable.get_writer()
    write = writer.write(0)
    abort = writer.abort(thrown_error)
    read = ts.readable.get_reader().read()
    await assert_rejects(read, thrown_error)
    await assert_rejects(write, thrown_error)
    await abort


async def test_the_readable_is_errored_with_the_abort_reason() -> None:
    ts = TransformStream()
    abort = ts.writable.abort(thrown_error)
    await assert_rejects(ts.readable.get_reader().read(), thrown_error)
    await abort


# -- cancel.any.js --------------------------------------------------------------------------


async def test_cancelling_the_readable_calls_transformer_cancel() -> None:
    reasons: list[object] = []
    ts = TransformStream({"cancel": reasons.append})
    await ts.readable.cancel(thrown_error)
    assert reasons == [thrown_error]


async def test_cancelling_the_readable_rejects_if_transformer_cancel_raises() -> None:
    original = Exception("original reason")

    def cancel(reason: object) -> None:
        assert reason is original
        raise thrown_error

    ts = TransformStream({"cancel": cancel})
    writer = ts.writable.get_writer()
    await assert_rejects(ts.readable.cancel(original), thrown_error)
    await assert_rejects(writer.closed, thrown_error)


async def test_aborting_the_writable_calls_transformer_cancel_not_flush() -> None:
    reasons: list[object] = []
    ts = TransformStream(
        {"cancel": reasons.append, "flush": lambda c: raise_(AssertionError("no flush"))}
    )
    await ts.writable.abort(thrown_error)
    assert reasons == [thrown_error]


async def test_aborting_the_writable_rejects_if_transformer_cancel_raises() -> None:
    ts = TransformStream({"cancel": lambda r: raise_(thrown_error)})
    reader = ts.readable.get_reader()
    await assert_rejects(ts.writable.abort(Exception("original")), thrown_error)
    await assert_rejects(reader.closed, thrown_error)


async def test_closing_the_writable_rejects_if_a_parallel_cancel_raises() -> None:
    async def cancel(reason: object) -> None:
        raise thrown_error

    ts = TransformStream({"cancel": cancel, "flush": lambda c: raise_(AssertionError())})
    cancel_promise = ts.readable.cancel(Exception("original"))
    close_promise = ts.writable.close()
    await assert_rejects(cancel_promise, thrown_error)
    await assert_rejects(close_promise, thrown_error)


async def test_cancel_and_parallel_close_reject_if_cancel_calls_controller_error() -> None:
    controllers: list[TransformStreamDefaultController] = []

    async def cancel(reason: object) -> None:
        controllers[0].error(thrown_error)

    ts = TransformStream({"start": controllers.append, "cancel": cancel})
    cancel_promise = ts.readable.cancel(Exception("original"))
    close_promise = ts.writable.close()
    await assert_rejects(cancel_promise, thrown_error)
    await assert_rejects(close_promise, thrown_error)


async def test_abort_then_cancel_reject_if_cancel_calls_controller_error() -> None:
    controllers: list[TransformStreamDefaultController] = []

    async def cancel(reason: object) -> None:
        controllers[0].error(thrown_error)

    ts = TransformStream({"start": controllers.append, "cancel": cancel})
    await assert_rejects(ts.writable.abort(Exception("original")), thrown_error)
    await assert_rejects(ts.readable.cancel(1), thrown_error)


async def test_transformer_cancel_runs_once_for_abort_then_cancel() -> None:
    calls: list[object] = []
    ts = TransformStream({"cancel": calls.append})
    await delay()  # once started, the abort reaches the transformer at once
    abort = ts.writable.abort(error1)
    cancel = ts.readable.cancel(error2)
    await abort
    await cancel
    assert calls == [error1]


# -- terminate.any.js -----------------------------------------------------------------------


async def test_terminate_errors_a_pipe() -> None:
    rts = recording_transform_stream(None, None, {"high_water_mark": 0})
    rs: ReadableStream[int] = ReadableStream({"start": lambda c: c.enqueue(0)})
    pipe = rs.pipe_to(rts.writable)
    await delay()
    assert rts.events == []
    assert not pipe.done()
    assert rts.controller is not None
    rts.controller.terminate()
    await assert_rejects(pipe, TypeError)
    assert rts.events == []


async def test_terminate_stops_remaining_chunks() -> None:
    rts = recording_transform_stream(None, None, {"high_water_mark": 1})

    def start(c: Any) -> None:
        c.enqueue(0)
        c.enqueue(1)

    pipe = ReadableStream({"start": start}).pipe_to(rts.writable)
    await delay()
    assert rts.events == ["transform", 0]
    assert rts.controller is not None
    rts.controller.terminate()
    await assert_rejects(pipe, TypeError)
    assert rts.events == ["transform", 0]


async def test_enqueue_raises_after_terminate() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.enqueue(0)
        c.terminate()
        with pytest.raises(TypeError):
            c.enqueue(1)

    TransformStream({"start": start})


async def test_error_after_terminate_with_a_queued_chunk_errors_the_readable() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.enqueue(0)
        c.terminate()
        c.error(error1)

    ts = TransformStream({"start": start})
    await assert_rejects(ts.writable.abort(), TypeError)
    await assert_rejects(ts.readable.cancel(), error1)
    await assert_rejects(ts.readable.get_reader().closed, error1)


async def test_error_after_terminate_without_a_queued_chunk_does_nothing() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.terminate()
        c.error(error1)

    ts = TransformStream({"start": start})
    await assert_rejects(ts.writable.abort(), TypeError)
    await ts.readable.cancel()
    await ts.readable.get_reader().closed


async def test_terminate_inside_flush_lets_close_succeed() -> None:
    ts = TransformStream({"flush": lambda c: c.terminate()})
    writer = ts.writable.get_writer()
    await writer.close()
    await writer.closed
    await ts.readable.get_reader().closed


async def test_terminate_closes_a_pipe_destination_after_queued_chunks() -> None:
    ws, events = recording_writable_stream()
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    pipe = ts.readable.pipe_to(ws)
    await delay()
    controllers[0].enqueue("a")
    controllers[0].terminate()
    await pipe
    assert events == ["write", "a", "close"]
