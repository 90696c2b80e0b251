"""Conformance: closing writable streams (WPT streams/writable-streams/close.any.js)."""

from __future__ import annotations

from tests.streams.support import (
    assert_fulfilled,
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
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream


async def test_close_fulfills_with_none_whatever_the_sink_returns() -> None:
    writer = WritableStream({"close": lambda: "Hello"}).get_writer()
    await assert_fulfilled(writer.close())


async def test_controller_error_during_an_in_flight_close_does_not_error_the_stream() -> None:
    close_result = pending()
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream(
        {"start": controllers.append, "close": lambda: close_result}
    ).get_writer()
    close_promise = writer.close()
    await flush_async_events()
    controllers[0].error(error1)
    await flush_async_events()
    close_result.set_result(None)
    await close_promise
    await writer.closed
    await flush_async_events()
    await writer.closed


async def test_controller_error_inside_sink_close_does_not_error_the_stream() -> None:
    controllers: list[WritableStreamDefaultController] = []
    writer = WritableStream(
        {"start": controllers.append, "close": lambda: controllers[0].error(Exception())}
    ).get_writer()
    await writer.close()
    await writer.closed


async def test_sink_close_raising_while_a_write_is_in_flight_errors_the_stream() -> None:
    def close() -> None:
        raise error1

    writer = WritableStream({"close": close}).get_writer()
    write_promise = writer.write("y")
    close_promise = writer.close()
    await write_promise
    await assert_rejects(close_promise, error1)
    await assert_rejects(writer.closed, error1)


async def test_release_lock_with_a_pending_write_on_an_errored_stream() -> None:
    never = pending()

    def write(chunk: object, controller: WritableStreamDefaultController) -> object:
        controller.error(error1)
        return never

    writer = WritableStream({"write": write}).get_writer()
    writer.write("a")
    await delay()
    writer.release_lock()


async def test_release_lock_with_a_pending_close_after_controller_error() -> None:
    never = pending()
    controllers: list[WritableStreamDefaultController] = []

    def close() -> object:
        controllers[0].error(error1)
        return never

    writer = WritableStream({"start": controllers.append, "close": close}).get_writer()
    writer.close()
    await delay()
    writer.release_lock()


async def test_close_on_a_writable_stream_leaves_ready_fulfilled() -> None:
    ws, events = recording_writable_stream()
    writer = ws.get_writer()
    await js_await(writer.ready)
    assert writer.desired_size == 1
    close_promise = writer.close()
    assert writer.desired_size == 1, "closing does not change the desired size"
    await assert_fulfilled(writer.ready)
    await close_promise
    assert events == ["close"]


async def test_close_in_the_waiting_state_fulfills_ready() -> None:
    never = pending()
    ws, events = recording_writable_stream({"write": lambda c, ctl: never})
    writer = ws.get_writer()
    await js_await(writer.ready)
    writer.write("a")
    assert writer.desired_size == 0
    ready = writer.ready
    await flush_async_events()
    assert not ready.done()
    writer.close()
    await assert_fulfilled(ready)
    assert events == ["write", "a"]


async def test_ready_fulfills_at_once_even_if_sink_close_takes_long() -> None:
    finished: list[bool] = []

    async def close() -> None:
        await flush_async_events()
        finished.append(True)

    ws, events = recording_writable_stream({"close": close})
    writer = ws.get_writer()
    await js_await(writer.ready)
    writer.write("a")
    close_promise = writer.close()
    await assert_fulfilled(writer.ready)
    assert finished == []
    await close_promise
    assert events == ["write", "a", "close"]


async def test_an_awaitable_rejection_from_sink_close_rejects_close() -> None:
    async def close() -> None:
        raise error1

    await assert_rejects(WritableStream({"close": close}).get_writer().close(), error1)


async def test_release_lock_does_not_change_the_result_of_a_sync_close() -> None:
    writer = WritableStream().get_writer()
    await js_await(writer.ready)
    close_promise = writer.close()
    closed = writer.closed
    writer.release_lock()
    await close_promise
    await assert_rejects(closed, TypeError)


async def test_release_lock_does_not_change_the_result_of_an_async_close() -> None:
    writer = WritableStream({"close": lambda: flush_async_events()}).get_writer()
    await js_await(writer.ready)
    close_promise = writer.close()
    closed = writer.closed
    writer.release_lock()
    await close_promise
    await assert_rejects(closed, TypeError)


async def test_close_sets_the_state_to_closed_even_after_the_writer_detached() -> None:
    close_result = pending()
    ws = WritableStream({"close": lambda: close_result})
    writer = ws.get_writer()
    close_promise = writer.close()
    writer.release_lock()
    await delay()
    close_result.set_result(None)
    await close_promise
    assert ws.get_writer().desired_size == 0


async def test_abort_during_close_from_another_writer_resolves() -> None:
    close_result = pending()
    ws = WritableStream({"close": lambda: close_result})
    writer = ws.get_writer()
    close_promise = writer.close()
    writer.release_lock()
    await delay()
    aborting_writer = ws.get_writer()
    abort_promise = aborting_writer.abort()
    aborting_writer.release_lock()
    close_result.set_result(None)
    await abort_promise
    await close_promise


async def test_promises_settle_in_order_on_closure() -> None:
    writer = WritableStream({}).get_writer()
    close_promise = writer.close()
    events: list[object] = []
    on_settle(close_promise, events, "closePromise")
    on_settle(writer.closed, events, "closed")
    await close_promise
    await writer.closed
    await flush_async_events()
    assert events == ["closePromise", "closed"]


async def test_promises_settle_in_order_on_aborted_closure() -> None:
    ws = WritableStream({})
    await delay()
    writer = ws.get_writer()
    close_promise = writer.close()
    abort_promise = writer.abort(error1)
    events: list[object] = []
    on_settle(close_promise, events, "closePromise")
    on_settle(abort_promise, events, "abortPromise")
    on_settle(writer.closed, events, "closed")
    await close_promise
    await abort_promise
    await writer.closed
    await flush_async_events()
    assert events == ["closePromise", "abortPromise", "closed"]


async def test_promises_settle_in_order_on_aborted_and_errored_closure() -> None:
    async def close() -> None:
        raise error1

    ws = WritableStream({"close": close})
    await delay()
    writer = ws.get_writer()
    close_promise = writer.close()
    abort_promise = writer.abort(error2)
    events: list[object] = []
    on_settle(close_promise, events, "closePromise")
    on_settle(abort_promise, events, "abortPromise")
    on_settle(writer.closed, events, "closed")
    await assert_rejects(close_promise, error1)
    await assert_rejects(abort_promise, error1)
    await assert_rejects(writer.closed, error2)
    await flush_async_events()
    assert events == ["closePromise", "abortPromise", "closed"]


async def test_close_does_not_reject_until_no_sink_method_is_in_flight() -> None:
    write_result = pending()
    controllers: list[WritableStreamDefaultController] = []

    def write(chunk: object, c: WritableStreamDefaultController) -> object:
        controllers.append(c)
        return write_result

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    write_promise = writer.write("c")
    controllers[0].error(error1)
    close_promise = writer.close()
    await flush_async_events()
    assert not close_promise.done()
    write_result.set_result(None)
    await write_promise
    await assert_rejects(close_promise, error1)


async def test_a_writer_on_a_closed_stream_has_a_fulfilled_ready() -> None:
    ws = WritableStream()
    writer1 = ws.get_writer()
    await writer1.close()
    writer1.release_lock()
    writer2 = ws.get_writer()
    assert writer2.ready.done()
    await writer2.ready


async def test_stream_close_works_without_a_writer() -> None:
    ws = WritableStream()
    close_promise = ws.close()
    writer = ws.get_writer()
    await writer.closed
    await close_promise


async def test_stream_close_on_a_locked_stream_rejects() -> None:
    ws = WritableStream()
    ws.get_writer()
    await assert_rejects(ws.close(), TypeError)


async def test_stream_close_on_an_erroring_stream_rejects_with_the_error() -> None:
    ws = WritableStream({"start": lambda c: c.error(error1)})
    await assert_rejects(ws.close(), error1)


async def test_stream_close_on_an_errored_stream_rejects_with_type_error() -> None:
    ws = WritableStream({"start": lambda c: c.error(error1)})
    writer = ws.get_writer()
    await assert_rejects(writer.closed, error1)
    writer.release_lock()
    await assert_rejects(ws.close(), TypeError)


async def test_stream_close_on_a_closed_stream_rejects() -> None:
    ws = WritableStream()
    writer = ws.get_writer()
    await writer.close()
    writer.release_lock()
    await assert_rejects(ws.close(), TypeError)


async def test_stream_close_with_a_pending_close_rejects() -> None:
    never = pending()
    ws = WritableStream({"close": lambda: never})
    writer = ws.get_writer()
    writer.close()
    writer.release_lock()
    await assert_rejects(ws.close(), TypeError)
