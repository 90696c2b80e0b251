"""Conformance: aborting writable streams (WPT streams/writable-streams/aborting.any.js)."""

from __future__ import annotations

import asyncio

from tests.streams.support import (
    assert_fulfilled,
    assert_pending,
    assert_rejects,
    delay,
    error1,
    error2,
    flush_async_events,
    js_await,
    on_settle,
    pending,
    recording_writable_stream,
)
from wintersockets.streams.abort_signal import AbortSignal
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream


async def test_abort_before_start_rejects_the_unsettled_ready_promise() -> None:
    def write(chunk: object, c: object) -> None:
        raise AssertionError("write() should not be called")

    ws = WritableStream({"write": write})
    writer = ws.get_writer()
    write_promise = writer.write("a")
    ready = writer.ready
    abort_promise = writer.abort(error1)
    assert writer.ready is ready, "the ready promise property should not change"
    await assert_rejects(ready, error1)
    await assert_rejects(write_promise, error1)
    await abort_promise


async def test_abort_resets_a_fulfilled_ready_promise_to_a_rejected_one() -> None:
    ws = WritableStream()
    writer = ws.get_writer()
    first = writer.write("a")
    ready = writer.ready
    await ready
    abort_promise = writer.abort(error1)
    assert writer.ready is not ready
    await assert_rejects(writer.ready, error1)
    await first
    await abort_promise


async def test_abort_on_a_released_writer_rejects_with_type_error() -> None:
    writer = WritableStream().get_writer()
    writer.release_lock()
    await assert_rejects(writer.abort(), TypeError)


async def test_aborting_immediately_prevents_future_writes() -> None:
    ws, events = recording_writable_stream()
    await delay()
    writer = ws.get_writer()
    abort_promise = writer.abort(error1)
    await assert_rejects(writer.write(1), error1)
    await assert_rejects(writer.write(2), error1)
    await abort_promise
    assert events == ["abort", error1]


async def test_aborting_prevents_further_writes_after_the_one_in_progress() -> None:
    ws, events = recording_writable_stream()
    await delay()
    writer = ws.get_writer()
    w1 = writer.write(1)
    w2 = writer.write(2)
    w3 = writer.write(3)
    abort_promise = writer.abort(error1)
    w4 = writer.write(4)
    w5 = writer.write(5)
    await abort_promise
    assert events == ["write", 1, "abort", error1]
    await w1
    for w in (w2, w3, w4, w5):
        await assert_rejects(w, error1)


async def test_abort_fulfills_with_none_whatever_the_sink_returns() -> None:
    ws = WritableStream({"abort": lambda reason: "Hello"})
    await assert_fulfilled(ws.get_writer().abort("a"))


async def test_sink_abort_that_raises_rejects_writer_abort() -> None:
    def abort(reason: object) -> None:
        raise error1

    writer = WritableStream({"abort": abort}).get_writer()
    await assert_rejects(writer.abort(None), error1)


async def test_repeated_writer_abort_returns_the_same_promise() -> None:
    def abort(reason: object) -> None:
        raise error1

    writer = WritableStream({"abort": abort}).get_writer()
    p1 = writer.abort(None)
    p2 = writer.abort(None)
    assert p1 is p2
    await assert_rejects(p1, error1)


async def test_sink_abort_that_raises_rejects_stream_abort() -> None:
    def abort(reason: object) -> None:
        raise error1

    await assert_rejects(WritableStream({"abort": abort}).abort(None), error1)


async def test_sink_abort_that_raises_during_a_write_rejects_abort() -> None:
    write_result = pending()

    def abort(reason: object) -> None:
        raise error1

    ws = WritableStream({"write": lambda c, ctl: write_result, "abort": abort})
    writer = ws.get_writer()
    first = writer.write(None)
    await flush_async_events()
    abort_promise = writer.abort(None)
    write_result.set_result(None)
    await assert_rejects(abort_promise, error1)
    await first


async def test_abort_passes_the_reason_through_to_the_sink() -> None:
    ws, events = recording_writable_stream()
    await ws.get_writer().abort(error1)
    assert events == ["abort", error1]


async def test_aborting_errors_the_stream_with_the_reason() -> None:
    writer = WritableStream().get_writer()
    abort_promise = writer.abort(error1)
    events: list[object] = []
    on_settle(writer.ready, events, "ready")
    on_settle(writer.closed, events, "closed")
    write_promise = writer.write(None)
    close_promise = writer.close()
    await abort_promise
    await assert_rejects(write_promise, error1)
    await assert_rejects(close_promise, error1)
    await assert_rejects(writer.ready, error1)
    await assert_rejects(writer.closed, error1)
    await flush_async_events()
    assert events == ["ready", "closed"], "ready should reject before closed"


async def test_abort_rejects_outstanding_writes_with_the_reason() -> None:
    writer = WritableStream().get_writer()
    write_promise = writer.write("a")
    abort_promise = writer.abort(error1)
    await assert_rejects(write_promise, error1)
    await abort_promise


async def test_close_then_immediate_abort_errors_the_stream() -> None:
    ws, events = recording_writable_stream()
    writer = ws.get_writer()
    close_promise = writer.close()
    abort_promise = writer.abort(error1)
    await assert_rejects(writer.closed, error1)
    await assert_rejects(close_promise, error1)
    await abort_promise
    assert events == ["abort", error1]


async def test_abort_while_closing_is_ignored() -> None:
    close_result = pending()
    writer = WritableStream({"close": lambda: close_result}).get_writer()
    close_promise = writer.close()
    await delay()
    abort_promise = writer.abort(error1)
    close_result.set_result(None)
    await writer.closed
    await abort_promise
    await close_promise


async def test_abort_after_close_is_a_no_op() -> None:
    writer = WritableStream().get_writer()
    close_promise = writer.close()
    await delay()
    await writer.abort()
    await close_promise


async def test_sink_close_is_not_called_when_aborting_without_sink_abort() -> None:
    calls: list[str] = []
    writer = WritableStream({"close": lambda: calls.append("close")}).get_writer()
    abort_promise = writer.abort(error1)
    await assert_rejects(writer.closed, error1)
    await abort_promise
    assert calls == []


async def test_an_awaitable_returned_from_sink_abort_is_awaited() -> None:
    called: list[bool] = []

    async def abort(reason: object) -> None:
        await asyncio.sleep(0)
        called.append(True)

    await WritableStream({"abort": abort}).get_writer().abort()
    assert called == [True]


async def test_closed_does_not_settle_before_a_fulfilled_write() -> None:
    writer = WritableStream({"write": lambda c, ctl: flush_async_events()}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("a")
    abort_promise = writer.abort(error1)
    order: list[object] = []
    on_settle(write_promise, order, "write")
    on_settle(writer.closed, order, "closed")
    await write_promise
    await assert_rejects(writer.closed, error1)
    await abort_promise
    assert order == ["write", "closed"]


async def test_rejected_write_does_not_overwrite_the_abort_error() -> None:
    def write(chunk: object, ctl: object) -> asyncio.Future[None]:
        f: asyncio.Future[None] = pending()
        f.set_exception(error1)
        return f

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("a")
    abort_promise = writer.abort(error2)
    order: list[object] = []
    on_settle(write_promise, order, "write")
    on_settle(writer.closed, order, "closed")
    await assert_rejects(write_promise, error1)
    await assert_rejects(writer.closed, error2)
    await abort_promise
    assert order == ["write", "closed"]


async def test_writes_settle_in_order_when_aborting() -> None:
    writer = WritableStream(
        {"write": lambda c, ctl: flush_async_events()},
        CountQueuingStrategy(high_water_mark=4),
    ).get_writer()
    await js_await(writer.ready)
    order: list[object] = []
    w1, w2, w3 = writer.write("1"), writer.write("2"), writer.write("3")
    for i, w in enumerate((w1, w2, w3), 1):
        on_settle(w, order, str(i))
    abort_promise = writer.abort(error1)
    await w1
    await assert_rejects(w2, error1)
    await assert_rejects(w3, error1)
    await abort_promise
    await flush_async_events()
    assert order == ["1", "2", "3"]


async def test_writes_settle_in_order_after_a_rejected_write_when_aborting() -> None:
    def write(chunk: object, ctl: object) -> None:
        raise error1

    writer = WritableStream({"write": write}, CountQueuingStrategy(high_water_mark=4)).get_writer()
    await js_await(writer.ready)
    order: list[object] = []
    w1, w2, w3 = writer.write("1"), writer.write("2"), writer.write("3")
    for i, w in enumerate((w1, w2, w3), 1):
        on_settle(w, order, str(i))
    abort_promise = writer.abort(error2)
    await assert_rejects(w1, error1)
    await assert_rejects(w2, error2)
    await assert_rejects(w3, error2)
    await abort_promise
    await flush_async_events()
    assert order == ["1", "2", "3"]


async def test_close_rejects_with_the_abort_reason_when_abort_is_the_first_error() -> None:
    def write(chunk: object, ctl: object) -> None:
        raise error1

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    w = writer.write("a")
    c = writer.close()
    a = writer.abort(error2)
    await assert_rejects(w, error1)
    await assert_rejects(c, error2)
    await a


async def test_sink_abort_waits_for_the_in_flight_write() -> None:
    write_result = pending()
    ws, events = recording_writable_stream({"write": lambda c, ctl: write_result})
    writer = ws.get_writer()
    await js_await(writer.ready)
    w = writer.write("a")
    abort_promise = writer.abort("b")
    await flush_async_events()
    assert events == ["write", "a"], "abort should not be called while write is in flight"
    write_result.set_result(None)
    await abort_promise
    assert events == ["write", "a", "abort", "b"]
    await w


async def test_sink_abort_is_not_called_once_sink_close_started() -> None:
    close_result = pending()
    ws, events = recording_writable_stream({"close": lambda: close_result})
    writer = ws.get_writer()
    await js_await(writer.ready)
    close_promise = writer.close()
    abort_promise = writer.abort()
    await flush_async_events()
    assert events == ["close"]
    close_result.set_result(None)
    await abort_promise
    await close_promise
    assert events == ["close"]


async def test_close_rejection_rejects_both_abort_and_close() -> None:
    close_result = pending()
    abort_calls: list[object] = []
    writer = WritableStream(
        {"close": lambda: close_result, "abort": lambda r: abort_calls.append(r)}
    ).get_writer()
    await js_await(writer.ready)
    close_promise = writer.close()
    abort_promise = writer.abort()
    await flush_async_events()
    assert abort_calls == []
    close_result.set_exception(error1)
    await assert_rejects(abort_promise, error1)
    await assert_rejects(close_promise, error1)
    assert abort_calls == []


async def test_abort_during_write_calls_sink_abort_even_with_close_queued() -> None:
    write_result = pending()
    ws, events = recording_writable_stream({"write": lambda c, ctl: write_result})
    writer = ws.get_writer()
    await js_await(writer.ready)
    w = writer.write("a")
    close_promise = writer.close()
    abort_promise = writer.abort(error1)
    await flush_async_events()
    assert events == ["write", "a"]
    write_result.set_result(None)
    await abort_promise
    assert events == ["write", "a", "abort", error1]
    await assert_rejects(close_promise, error1)
    await w


async def test_writer_made_during_pending_abort_has_a_rejected_ready() -> None:
    never = pending()
    ws = WritableStream({"write": lambda c, ctl: never})
    writer = ws.get_writer()
    await js_await(writer.ready)
    writer.write("a")
    abort_promise = writer.abort(error1)
    writer.release_lock()
    writer2 = ws.get_writer()
    await assert_rejects(writer2.ready, error1)
    assert_pending(abort_promise, "the abort waits for the in-flight write")


async def test_close_promise_resolves_before_abort_promise() -> None:
    writer = WritableStream().get_writer()
    await js_await(writer.ready)
    order: list[object] = []
    close_promise = writer.close()
    abort_promise = writer.abort()
    on_settle(close_promise, order, "close")
    on_settle(abort_promise, order, "abort")
    await close_promise
    await abort_promise
    await flush_async_events()
    assert order == ["close", "abort"]


async def test_ready_rejects_on_controller_error_without_waiting_for_the_write() -> None:
    never = pending()

    def write(chunk: object, controller: WritableStreamDefaultController) -> object:
        controller.error(error1)
        return never

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    writer.write("a")
    await assert_rejects(writer.ready, error1)


async def test_abort_then_rejected_in_flight_write() -> None:
    write_result = pending()
    writer = WritableStream({"write": lambda c, ctl: write_result}).get_writer()
    events: list[object] = []
    on_settle(writer.closed, events, "closed")
    await flush_async_events()
    write_promise = writer.write("a")
    on_settle(write_promise, events, "writePromise")
    abort_promise = writer.abort(error1)
    on_settle(abort_promise, events, "abortPromise")
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(writer.ready, error1)
    await flush_async_events()
    assert events == []
    write_result.set_exception(error2)
    await assert_rejects(write_promise, error2)
    await abort_promise
    await assert_rejects(writer.closed, error1)
    await flush_async_events()
    assert events == ["writePromise", "abortPromise", "closed"]
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(writer.ready, error1)
    writer.release_lock()
    await assert_rejects(writer.ready, TypeError)
    await assert_rejects(writer.closed, TypeError)


async def test_abort_then_controller_error_during_in_flight_write() -> None:
    write_result = pending()
    controllers: list[WritableStreamDefaultController] = []

    def write(chunk: object, c: WritableStreamDefaultController) -> object:
        controllers.append(c)
        return write_result

    writer = WritableStream({"write": write}).get_writer()
    events: list[object] = []
    on_settle(writer.closed, events, "closed")
    await flush_async_events()
    write_promise = writer.write("a")
    on_settle(write_promise, events, "writePromise")
    abort_promise = writer.abort(error1)
    on_settle(abort_promise, events, "abortPromise")
    await assert_rejects(writer.write("a"), error1)
    await flush_async_events()
    assert events == []
    controllers[0].error(error2)  # too late: the stream is already erroring
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(writer.ready, error1)
    await flush_async_events()
    assert events == []
    write_result.set_result(None)
    await write_promise
    await abort_promise
    await assert_rejects(writer.closed, error1)
    await flush_async_events()
    assert events == ["writePromise", "abortPromise", "closed"]


async def test_abort_then_controller_error_during_in_flight_close() -> None:
    close_result = pending()
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream(
        {"start": controllers.append, "close": lambda: close_result}
    ).get_writer()
    events: list[object] = []
    on_settle(writer.closed, events, "closed")
    await flush_async_events()
    close_promise = writer.close()
    on_settle(close_promise, events, "closePromise")
    abort_promise = writer.abort(error1)
    on_settle(abort_promise, events, "abortPromise")
    await assert_rejects(writer.close(), TypeError)
    await assert_rejects(writer.ready, error1)
    await flush_async_events()
    assert events == []
    controllers[0].error(error2)
    await assert_rejects(writer.close(), TypeError)
    await flush_async_events()
    assert events == []
    close_result.set_result(None)
    await close_promise
    await abort_promise
    await writer.closed
    await flush_async_events()
    assert events == ["closePromise", "abortPromise", "closed"]
    await assert_rejects(writer.ready, error1)
    writer.release_lock()
    await assert_rejects(writer.close(), TypeError)
    await assert_rejects(writer.ready, TypeError)
    await assert_rejects(writer.closed, TypeError)


async def test_controller_error_then_abort_during_in_flight_write() -> None:
    write_result = pending()
    controllers: list[WritableStreamDefaultController] = []

    def write(chunk: object, c: WritableStreamDefaultController) -> object:
        controllers.append(c)
        return write_result

    ws, sink_events = recording_writable_stream({"write": write})
    writer = ws.get_writer()
    events: list[object] = []
    on_settle(writer.closed, events, "closed")
    await flush_async_events()
    write_promise = writer.write("a")
    on_settle(write_promise, events, "writePromise")
    controllers[0].error(error2)
    await assert_rejects(writer.write("a"), error2)
    await assert_rejects(writer.ready, error2)
    await flush_async_events()
    assert events == []
    abort_promise = writer.abort(error1)
    on_settle(abort_promise, events, "abortPromise")
    await assert_rejects(writer.write("a"), error2)
    await flush_async_events()
    assert events == []
    write_result.set_result(None)
    await assert_rejects(abort_promise, error2)
    await assert_rejects(writer.closed, error2)
    await flush_async_events()
    assert events == ["writePromise", "abortPromise", "closed"]
    assert sink_events == ["write", "a"], "sink abort() should not be called"


async def test_controller_error_then_abort_during_in_flight_close() -> None:
    close_result = pending()
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream(
        {"start": controllers.append, "close": lambda: close_result}
    ).get_writer()
    events: list[object] = []
    on_settle(writer.closed, events, "closed")
    await flush_async_events()
    close_promise = writer.close()
    on_settle(close_promise, events, "closePromise")
    controllers[0].error(error2)
    await flush_async_events()
    assert events == []
    abort_promise = writer.abort(error1)
    on_settle(abort_promise, events, "abortPromise")
    await assert_rejects(writer.ready, error2)
    await flush_async_events()
    assert events == []
    close_result.set_result(None)
    await close_promise
    await abort_promise
    await writer.closed
    await flush_async_events()
    assert events == ["closePromise", "abortPromise", "closed"]


async def test_release_lock_while_aborting_rejects_the_original_closed() -> None:
    write_result = pending()
    writer = WritableStream({"write": lambda c, ctl: write_result}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("a")
    closed = writer.closed
    abort_promise = writer.abort()
    writer.release_lock()
    write_result.set_result(None)
    await write_promise
    await abort_promise
    await assert_rejects(closed, TypeError)


async def test_release_lock_during_async_sink_abort_rejects_closed() -> None:
    write_result = pending()
    abort_result = pending()
    abort_started = pending()

    def abort(reason: object) -> object:
        abort_started.set_result(None)
        return abort_result

    writer = WritableStream({"write": lambda c, ctl: write_result, "abort": abort}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("a")
    closed = writer.closed
    abort_promise = writer.abort()
    write_result.set_result(None)
    await abort_started
    writer.release_lock()
    assert writer.closed is closed
    abort_result.set_result(None)
    await write_promise
    await abort_promise
    await assert_rejects(closed, TypeError)


async def test_sink_abort_waits_for_sink_start() -> None:
    start_result = pending()
    ws, events = recording_writable_stream({"start": lambda c: start_result})
    abort_promise = ws.abort("done")
    await flush_async_events()
    assert events == []
    start_result.set_result(None)
    await abort_promise
    assert events == ["abort", "done"]


async def test_start_cannot_error_the_controller_after_abort() -> None:
    start_result = pending()
    controllers: list[WritableStreamDefaultController] = []

    def start(c: WritableStreamDefaultController) -> object:
        controllers.append(c)
        return start_result

    ws, events = recording_writable_stream({"start": start})
    abort_promise = ws.abort("done")
    controllers[0].error(error1)
    start_result.set_result(None)
    await abort_promise
    assert events == ["abort", "done"]


async def test_abort_resolves_even_if_sink_start_rejects() -> None:
    async def start(c: object) -> None:
        raise error1

    ws, events = recording_writable_stream({"start": start})
    await ws.abort("done")
    assert events == ["abort", "done"]


async def test_abort_during_start_replaces_ready_synchronously() -> None:
    writer = WritableStream().get_writer()
    ready1 = writer.ready
    abort_promise = writer.abort(error1)
    ready2 = writer.ready
    assert ready1 is not ready2
    await ready1
    await assert_rejects(ready2, error1)
    await abort_promise


async def test_other_writer_promises_reject_in_standard_order_on_abort_during_start() -> None:
    ws, sink_events = recording_writable_stream()
    writer = ws.get_writer()
    events: list[object] = []
    w1 = writer.write(1)
    abort_promise = writer.abort(error1)
    w2 = writer.write(2)
    close_promise = writer.close()
    on_settle(w1, events, "write1")
    on_settle(abort_promise, events, "abort")
    on_settle(w2, events, "write2")
    on_settle(close_promise, events, "close")
    await assert_rejects(w1, error1)
    await abort_promise
    await assert_rejects(w2, error1)
    await assert_rejects(close_promise, error1)
    await flush_async_events()
    assert events == ["write2", "write1", "abort", "close"]
    assert sink_events == ["abort", error1]


async def test_abort_succeeds_despite_a_rejected_write() -> None:
    write_result = pending()
    controllers: list[WritableStreamDefaultController] = []

    def write(chunk: object, c: WritableStreamDefaultController) -> object:
        controllers.append(c)
        return write_result

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("a")
    abort_promise = writer.abort()
    controllers[0].error(error1)
    write_result.set_exception(error2)
    await assert_rejects(write_promise, error2)
    await abort_promise


async def test_abort_rejects_with_the_rejection_from_sink_close() -> None:
    close_result = pending()
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream(
        {"start": controllers.append, "close": lambda: close_result}
    ).get_writer()
    await js_await(writer.ready)
    close_promise = writer.close()
    abort_promise = writer.abort()
    controllers[0].error(error1)
    close_result.set_exception(error2)
    await assert_rejects(close_promise, error2)
    await assert_rejects(abort_promise, error2)


async def test_a_rejecting_sink_write_does_not_prevent_sink_abort() -> None:
    write_result = pending()
    ws, events = recording_writable_stream({"write": lambda c, ctl: write_result})
    writer = ws.get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("1")
    abort_promise = writer.abort(error2)
    write_result.set_exception(error1)
    await assert_rejects(write_promise, error1)
    await abort_promise
    await assert_rejects(writer.closed, error2)
    assert events == ["write", "1", "abort", error2]


async def test_two_aborts_in_a_row_share_a_promise_fulfilled_with_none() -> None:
    ws = WritableStream()
    p1 = ws.abort()
    p2 = ws.abort()
    assert p1 is p2
    await assert_fulfilled(p1)


async def test_sequential_aborts_both_fulfill() -> None:
    ws = WritableStream()
    p1 = ws.abort()
    await assert_fulfilled(p1)
    p2 = ws.abort()
    assert p2 is not p1
    await assert_fulfilled(p2)


async def test_abort_on_an_errored_stream_fulfills() -> None:
    ws = WritableStream({"start": lambda c: c.error(error1)})
    writer = ws.get_writer()
    await assert_rejects(writer.closed, error1)
    await assert_fulfilled(writer.abort())


async def test_sink_abort_not_called_when_controller_error_came_first() -> None:
    write_result = pending()
    controllers: list[WritableStreamDefaultController] = []
    ws, events = recording_writable_stream(
        {"start": controllers.append, "write": lambda c, ctl: write_result}
    )
    writer = ws.get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("chunk")
    controllers[0].error(error1)
    abort_promise = writer.abort(error2)
    write_result.set_result(None)
    await write_promise
    await assert_rejects(abort_promise, error1)
    assert events == ["write", "chunk"]


async def test_sink_abort_not_called_when_a_bad_size_came_first() -> None:
    write_result = pending()
    size = [1.0]
    ws, events = recording_writable_stream(
        {"write": lambda c, ctl: write_result},
        {"size": lambda chunk: size[0], "high_water_mark": 1},
    )
    writer = ws.get_writer()
    await js_await(writer.ready)
    w1 = writer.write("chunk1")
    size[0] = float("nan")
    w2 = writer.write("chunk2")
    abort_promise = writer.abort(error2)
    write_result.set_result(None)
    await w1
    await assert_rejects(w2, ValueError)
    await assert_rejects(abort_promise, ValueError)
    assert events == ["write", "chunk1"]


async def test_abort_without_reason_stores_none() -> None:
    ws = WritableStream()
    await ws.abort()
    await assert_rejects(ws.get_writer().closed, None)


async def test_abort_with_a_string_stores_that_string() -> None:
    ws = WritableStream()
    await ws.abort("string argument")
    await assert_rejects(ws.get_writer().closed, "string argument")


async def test_abort_on_a_locked_stream_rejects() -> None:
    ws = WritableStream()
    writer = ws.get_writer()
    await assert_rejects(ws.abort(), TypeError)
    await js_await(writer.ready)


async def test_controller_signal_is_aborted_with_the_reason() -> None:
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    signal = controllers[0].signal
    assert isinstance(signal, AbortSignal)
    assert not signal.aborted
    assert signal.reason is None
    e = Exception("hello")
    abort_promise = ws.abort(e)
    assert signal.aborted
    assert signal.reason is e
    await abort_promise


async def test_signal_is_aborted_synchronously_during_a_write() -> None:
    called = pending()
    never = pending()
    controllers: list[WritableStreamDefaultController] = []

    def write(chunk: object, c: object) -> object:
        called.set_result(None)
        return never

    writer = WritableStream({"start": controllers.append, "write": write}).get_writer()
    writer.write(99)
    await called
    signal = controllers[0].signal
    assert not signal.aborted
    writer.abort()
    assert signal.aborted
    assert signal.reason is None


async def test_signal_is_aborted_synchronously_during_a_close() -> None:
    called = pending()
    never = pending()
    controllers: list[WritableStreamDefaultController] = []

    def close() -> object:
        called.set_result(None)
        return never

    writer = WritableStream({"start": controllers.append, "close": close}).get_writer()
    writer.close()
    await called
    assert not controllers[0].signal.aborted
    writer.abort()
    assert controllers[0].signal.aborted


async def test_signal_is_not_aborted_on_controller_error() -> None:
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream({"start": controllers.append}).get_writer()
    e = TypeError()
    controllers[0].error(e)
    await assert_rejects(writer.closed, e)
    assert not controllers[0].signal.aborted


async def test_signal_is_not_aborted_on_write_failure() -> None:
    controllers: list[WritableStreamDefaultController] = []
    e = TypeError()

    async def write(chunk: object, c: object) -> None:
        raise e

    writer = WritableStream({"start": controllers.append, "write": write}).get_writer()
    await assert_rejects(writer.write("hello"), e)
    await assert_rejects(writer.closed, e)
    assert not controllers[0].signal.aborted


async def test_signal_is_not_aborted_on_close_failure() -> None:
    controllers: list[WritableStreamDefaultController] = []
    e = TypeError()

    async def close() -> None:
        raise e

    writer = WritableStream({"start": controllers.append, "close": close}).get_writer()
    await assert_rejects(writer.close(), e)
    await assert_rejects(writer.closed, e)
    assert not controllers[0].signal.aborted


async def test_abort_called_again_from_an_abort_listener_wins() -> None:
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream({"start": controllers.append}).get_writer()
    e1, e2 = SyntaxError(), TypeError()
    inner: list[asyncio.Future[None]] = []
    controllers[0].signal.add_event_listener("abort", lambda event: inner.append(writer.abort(e2)))
    outer = writer.abort(e1)
    assert controllers[0].signal.aborted
    await assert_rejects(writer.closed, e2)
    await outer
    await inner[0]


async def test_pending_write_is_left_pending_by_abort_until_the_sink_settles() -> None:
    write_result = pending()
    writer = WritableStream({"write": lambda c, ctl: write_result}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("a")
    abort_promise = writer.abort(error1)
    await flush_async_events()
    assert_pending(write_promise)
    assert_pending(abort_promise)
    write_result.set_result(None)
    await write_promise
    await abort_promise
