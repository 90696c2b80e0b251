"""Conformance: stopping a pipe with an AbortSignal (WPT streams/piping/abort.any.js).

Plus what Python adds: cancelling the pipe's future stops the pipe as an abort would.
"""

from __future__ import annotations

import asyncio
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
    recording_readable_stream,
    recording_writable_stream,
)
from wintersockets.streams._promises import promise_rejected_with
from wintersockets.streams.abort_signal import AbortController, AbortError, AbortSignal
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream

HWM0 = {"high_water_mark": 0}


def error_on_pull() -> dict[str, Any]:
    # Errors the stream if the pipe ever pulls, which it must not after an abort.
    return {"pull": lambda c: c.error("failed to abort")}


def aborted_signal(reason: object = None) -> AbortSignal:
    controller = AbortController()
    controller.abort(reason)
    return controller.signal


@pytest.mark.parametrize("signal", ["AbortSignal", True, -1, object()])
async def test_a_bad_signal_rejects_the_pipe_and_touches_nothing(signal: object) -> None:
    rrs = recording_readable_stream(error_on_pull(), HWM0)
    ws, events = recording_writable_stream()
    await assert_rejects(rrs.stream.pipe_to(ws, signal=signal), TypeError)  # type: ignore[arg-type]
    assert rrs.events == []
    assert events == []


async def test_an_aborted_signal_rejects_with_an_abort_error() -> None:
    rrs = recording_readable_stream(error_on_pull(), HWM0)
    ws = WritableStream()
    error = await assert_rejects(rrs.stream.pipe_to(ws, signal=aborted_signal()), AbortError)
    await rrs.stream.get_reader().closed
    assert await assert_rejects(ws.get_writer().closed, AbortError) is error
    assert rrs.events == ["cancel", error], "the same AbortError object everywhere"


async def test_an_aborted_signal_uses_its_reason() -> None:
    rrs = recording_readable_stream(error_on_pull(), HWM0)
    ws = WritableStream()
    reason = Exception("hello")
    await assert_rejects(rrs.stream.pipe_to(ws, signal=aborted_signal(reason)), reason)
    await rrs.stream.get_reader().closed
    await assert_rejects(ws.get_writer().closed, reason)
    assert rrs.events == ["cancel", reason]


async def test_prevent_cancel_keeps_the_readable() -> None:
    rrs = recording_readable_stream(error_on_pull(), HWM0)
    pipe = rrs.stream.pipe_to(WritableStream(), signal=aborted_signal(), prevent_cancel=True)
    await assert_rejects(pipe, AbortError)
    assert rrs.events == []


async def test_prevent_abort_keeps_the_writable() -> None:
    rs: ReadableStream[Any] = ReadableStream(error_on_pull(), HWM0)
    ws, events = recording_writable_stream()
    await assert_rejects(rs.pipe_to(ws, signal=aborted_signal(), prevent_abort=True), AbortError)
    assert events == []
    await ws.get_writer().ready


async def test_prevent_cancel_and_prevent_abort_keep_both() -> None:
    rrs = recording_readable_stream(error_on_pull(), HWM0)
    ws, events = recording_writable_stream()
    pipe = rrs.stream.pipe_to(ws, signal=aborted_signal(), prevent_cancel=True, prevent_abort=True)
    await assert_rejects(pipe, AbortError)
    assert rrs.events == []
    assert events == []
    await ws.get_writer().ready


async def test_abort_prevents_further_reads() -> None:
    def start(c: Any) -> None:
        c.enqueue("a")
        c.enqueue("b")
        c.close()

    controller = AbortController()
    ws, events = recording_writable_stream({"write": lambda chunk, c: controller.abort()})
    rs: ReadableStream[str] = ReadableStream({"start": start})
    await assert_rejects(rs.pipe_to(ws, signal=controller.signal), AbortError)
    assert events[:3] == ["write", "a", "abort"]
    assert isinstance(events[3], AbortError)
    assert len(events) == 4


async def test_pending_writes_complete_on_abort() -> None:
    controllers: list[Any] = []

    def start(c: Any) -> None:
        controllers.append(c)
        c.enqueue("a")
        c.enqueue("b")

    write_result = pending()
    ws, events = recording_writable_stream(
        {"write": lambda chunk, c: write_result}, CountQueuingStrategy(high_water_mark=math.inf)
    )
    abort_controller = AbortController()
    rs: ReadableStream[str] = ReadableStream({"start": start})
    pipe = rs.pipe_to(ws, signal=abort_controller.signal)
    await delay()
    abort_controller.abort()
    controllers[0].close()
    write_result.set_result(None)
    await assert_rejects(pipe, AbortError)
    assert events[:5] == ["write", "a", "write", "b", "abort"]
    assert isinstance(events[5], AbortError)


async def test_a_rejection_from_source_cancel_rejects_the_pipe() -> None:
    rs: ReadableStream[Any] = ReadableStream(
        {**error_on_pull(), "cancel": lambda r: promise_rejected_with(error1)}, HWM0
    )
    await assert_rejects(rs.pipe_to(WritableStream(), signal=aborted_signal()), error1)


async def test_a_rejection_from_sink_abort_rejects_the_pipe() -> None:
    rs: ReadableStream[Any] = ReadableStream(error_on_pull(), HWM0)
    ws = WritableStream({"abort": lambda r: promise_rejected_with(error1)})
    await assert_rejects(rs.pipe_to(ws, signal=aborted_signal()), error1)


async def test_sink_abort_is_called_before_source_cancel() -> None:
    events: list[str] = []
    rs: ReadableStream[Any] = ReadableStream(
        {**error_on_pull(), "cancel": lambda r: events.append("cancel")}, HWM0
    )
    ws = WritableStream({"abort": lambda r: events.append("abort")})
    await assert_rejects(rs.pipe_to(ws, signal=aborted_signal()), AbortError)
    assert events == ["abort", "cancel"]


async def test_a_sink_abort_rejection_wins_over_a_source_cancel_rejection() -> None:
    events: list[str] = []

    def cancel(reason: object) -> object:
        events.append("cancel")
        return promise_rejected_with(error1)

    def abort(reason: object) -> object:
        events.append("abort")
        return promise_rejected_with(error2)

    rs: ReadableStream[Any] = ReadableStream({**error_on_pull(), "cancel": cancel}, HWM0)
    ws = WritableStream({"abort": abort})
    await assert_rejects(rs.pipe_to(ws, signal=aborted_signal()), error2)
    assert events == ["abort", "cancel"]


@pytest.mark.parametrize("state", ["closed readable", "errored readable"])
async def test_an_aborted_signal_wins_over_a_finished_readable(state: str) -> None:
    def start(c: Any) -> None:
        if state == "closed readable":
            c.close()
        else:
            c.error(error1)

    rs: ReadableStream[Any] = ReadableStream({"start": start})
    await assert_rejects(rs.pipe_to(WritableStream(), signal=aborted_signal()), AbortError)


async def test_an_aborted_signal_wins_over_a_closed_writable() -> None:
    rs: ReadableStream[Any] = ReadableStream(error_on_pull(), HWM0)
    ws = WritableStream()
    writer = ws.get_writer()
    await writer.close()
    writer.release_lock()
    await assert_rejects(rs.pipe_to(ws, signal=aborted_signal()), AbortError)


async def test_an_aborted_signal_wins_over_an_errored_writable() -> None:
    rs: ReadableStream[Any] = ReadableStream(error_on_pull(), HWM0)
    ws = WritableStream({"start": lambda c: c.error(error1)})
    await assert_rejects(rs.pipe_to(ws, signal=aborted_signal()), AbortError)


async def test_abort_does_nothing_after_the_readable_closed() -> None:
    controllers: list[Any] = []
    rs: ReadableStream[Any] = ReadableStream({"start": controllers.append})
    ws = WritableStream()
    abort_controller = AbortController()
    pipe = rs.pipe_to(ws, signal=abort_controller.signal, prevent_close=True)
    controllers[0].close()
    await asyncio.sleep(0)
    abort_controller.abort()
    await pipe
    await ws.get_writer().write("this should succeed")


async def test_abort_does_nothing_after_the_readable_errored() -> None:
    controllers: list[Any] = []
    rs: ReadableStream[Any] = ReadableStream({"start": controllers.append})
    ws = WritableStream()
    abort_controller = AbortController()
    pipe = rs.pipe_to(ws, signal=abort_controller.signal, prevent_abort=True)
    controllers[0].error(error1)
    await asyncio.sleep(0)
    abort_controller.abort()
    await assert_rejects(pipe, error1)
    await ws.get_writer().write("this should succeed")


async def test_abort_does_nothing_after_the_readable_errored_with_pending_writes() -> None:
    controllers: list[Any] = []
    write_result = pending()

    def write(chunk: object, c: object) -> object:
        controllers[0].error(error1)
        return write_result

    rs: ReadableStream[Any] = ReadableStream({"start": controllers.append})
    ws = WritableStream({"write": write})
    abort_controller = AbortController()
    pipe = rs.pipe_to(ws, signal=abort_controller.signal, prevent_abort=True)
    controllers[0].enqueue("a")
    await delay()
    abort_controller.abort()
    write_result.set_result(None)
    await assert_rejects(pipe, error1)
    await ws.get_writer().write("this should succeed")


async def test_abort_does_nothing_after_the_writable_errored() -> None:
    pull_result = pending()
    rrs = recording_readable_stream({"pull": lambda c: pull_result})
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    abort_controller = AbortController()
    pipe = rrs.stream.pipe_to(ws, signal=abort_controller.signal, prevent_cancel=True)
    await asyncio.sleep(0)
    controllers[0].error(error1)
    await asyncio.sleep(0)
    abort_controller.abort()
    await assert_rejects(pipe, error1)
    assert rrs.events == ["pull"]
    pull_result.set_result(None)
    rrs.controller.close()


async def test_the_signal_listener_is_removed_when_the_pipe_finishes() -> None:
    abort_controller = AbortController()
    rs: ReadableStream[Any] = ReadableStream({"start": lambda c: c.close()})
    await rs.pipe_to(WritableStream(), signal=abort_controller.signal)
    assert abort_controller.signal._abort_algorithms == []


# -- not in WPT: cancelling the pipe's future -----------------------------------------------


async def test_cancelling_the_pipe_future_aborts_and_cancels_like_a_signal() -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream()
    pipe = rrs.stream.pipe_to(ws)
    await delay()
    pipe.cancel()
    await flush_async_events()
    assert events[0] == "abort"
    assert isinstance(events[1], AbortError)
    assert "cancelled" in str(events[1])
    assert rrs.events_without_pulls[0] == "cancel"
    assert not rrs.stream.locked, "the reader was released"
    assert not ws.locked, "the writer was released"


async def test_wait_for_timeout_stops_the_pipe_and_leaks_nothing() -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(rrs.stream.pipe_to(ws), 0.01)
    await flush_async_events()
    assert events[0] == "abort"
    assert not rrs.stream.locked
    assert not ws.locked


@pytest.mark.parametrize(("prevent_abort", "prevent_cancel"), [(True, False), (False, True)])
async def test_cancelling_the_pipe_future_honours_the_prevent_options(
    prevent_abort: bool, prevent_cancel: bool
) -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream()
    pipe = rrs.stream.pipe_to(ws, prevent_abort=prevent_abort, prevent_cancel=prevent_cancel)
    await delay()
    pipe.cancel()
    await flush_async_events()
    assert (events == []) is prevent_abort
    assert (rrs.events_without_pulls == []) is prevent_cancel
    assert not rrs.stream.locked
    assert not ws.locked


async def test_cancelling_waits_for_the_pending_write_before_aborting() -> None:
    write_result = pending()
    rs: ReadableStream[str] = ReadableStream({"start": lambda c: c.enqueue("a")})
    ws, events = recording_writable_stream({"write": lambda chunk, c: write_result})
    pipe = rs.pipe_to(ws)
    await delay()
    pipe.cancel()
    await flush_async_events()
    assert events == ["write", "a"], "the abort waits for the write in flight"
    assert ws.locked
    write_result.set_result(None)
    await flush_async_events()
    assert events[:3] == ["write", "a", "abort"]
    assert not ws.locked


async def test_cancelling_a_finished_pipe_does_nothing() -> None:
    rs: ReadableStream[Any] = ReadableStream({"start": lambda c: c.close()})
    ws, events = recording_writable_stream()
    pipe = rs.pipe_to(ws)
    await pipe
    pipe.cancel()
    await flush_async_events()
    assert events == ["close"]
