"""Conformance: error propagation through pipes.

WPT streams/piping/error-propagation-forward.any.js, error-propagation-backward.any.js and
multiple-propagation.any.js.
"""

from __future__ import annotations

import asyncio
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
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream


async def rejected_start(c: Any) -> None:
    raise error1


def raise_error2(*_args: object) -> None:
    raise error2


# -- error-propagation-forward.any.js -------------------------------------------------------


@pytest.mark.parametrize("abort_raises", [False, True])
async def test_forward_starts_errored_aborts_the_destination(abort_raises: bool) -> None:
    rrs = recording_readable_stream({"start": rejected_start})
    ws, events = recording_writable_stream({"abort": raise_error2} if abort_raises else None)
    await assert_rejects(rrs.stream.pipe_to(ws), error2 if abort_raises else error1)
    assert rrs.events == []
    assert events == ["abort", error1]


@pytest.mark.parametrize("prevent_abort", [None, False, 0, "", True, "a", 1, object()])
async def test_forward_prevent_abort_is_taken_for_its_truth(prevent_abort: Any) -> None:
    rrs = recording_readable_stream({"start": rejected_start})
    ws, events = recording_writable_stream()
    await assert_rejects(rrs.stream.pipe_to(ws, prevent_abort=prevent_abort), error1)
    assert events == ([] if prevent_abort else ["abort", error1])


@pytest.mark.parametrize("prevent_close", [False, True])
async def test_forward_starts_errored_with_everything_prevented(prevent_close: bool) -> None:
    rrs = recording_readable_stream({"start": rejected_start})
    ws, events = recording_writable_stream()
    pipe = rrs.stream.pipe_to(
        ws, prevent_abort=True, prevent_cancel=True, prevent_close=prevent_close
    )
    await assert_rejects(pipe, error1)
    assert rrs.events == []
    assert events == []


@pytest.mark.parametrize("hwm", [1, 0])
@pytest.mark.parametrize(
    ("prevent_abort", "abort_raises"), [(False, False), (False, True), (True, False)]
)
async def test_forward_becomes_errored_while_empty(
    hwm: int, prevent_abort: bool, abort_raises: bool
) -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream(
        {"abort": raise_error2} if abort_raises else None,
        CountQueuingStrategy(high_water_mark=hwm),
    )
    pipe = rrs.stream.pipe_to(ws, prevent_abort=prevent_abort)
    await delay()
    rrs.controller.error(error1)
    await assert_rejects(pipe, error2 if abort_raises else error1)
    assert rrs.events_without_pulls == []
    assert events == ([] if prevent_abort else ["abort", error1])


@pytest.mark.parametrize("hwm", [1, 0])
@pytest.mark.parametrize(
    ("prevent_abort", "abort_raises"), [(False, False), (False, True), (True, False)]
)
async def test_forward_becomes_errored_after_one_chunk(
    hwm: int, prevent_abort: bool, abort_raises: bool
) -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream(
        {"abort": raise_error2} if abort_raises else None,
        CountQueuingStrategy(high_water_mark=hwm),
    )
    pipe = rrs.stream.pipe_to(ws, prevent_abort=prevent_abort)
    await delay()
    rrs.controller.enqueue("Hello")
    await delay()
    rrs.controller.error(error1)
    await assert_rejects(pipe, error2 if abort_raises else error1)
    assert rrs.events_without_pulls == []
    written = ["write", "Hello"] if hwm else []
    assert events == written + ([] if prevent_abort else ["abort", error1])


@pytest.mark.parametrize("prevent_abort", [False, True])
async def test_forward_shutdown_waits_for_the_final_write(prevent_abort: bool) -> None:
    rrs = recording_readable_stream()
    write_called = pending()
    write_result = pending()

    def write(chunk: object, c: object) -> object:
        write_called.set_result(None)
        return write_result

    ws, events = recording_writable_stream({"write": write})
    pipe = rrs.stream.pipe_to(ws, prevent_abort=prevent_abort)
    rrs.controller.enqueue("a")
    await write_called
    rrs.controller.error(error1)
    await flush_async_events()
    assert events == ["write", "a"]
    assert not pipe.done()
    write_result.set_result(None)
    await assert_rejects(pipe, error1)
    await flush_async_events()
    assert events == ["write", "a"] + ([] if prevent_abort else ["abort", error1])


@pytest.mark.parametrize("prevent_abort", [False, True])
async def test_forward_shutdown_waits_for_queued_writes(prevent_abort: bool) -> None:
    rrs = recording_readable_stream()
    write_results: list[asyncio.Future[None]] = []

    def write(chunk: object, c: object) -> object:
        write_results.append(pending())
        return write_results[-1]

    ws, events = recording_writable_stream(
        {"write": write}, CountQueuingStrategy(high_water_mark=2)
    )
    pipe = rrs.stream.pipe_to(ws, prevent_abort=prevent_abort)
    rrs.controller.enqueue("a")
    rrs.controller.enqueue("b")
    await flush_async_events()
    assert events == ["write", "a"]
    rrs.controller.error(error1)
    write_results[0].set_result(None)
    await flush_async_events()
    assert events == ["write", "a", "write", "b"]
    assert not pipe.done()
    write_results[1].set_result(None)
    await assert_rejects(pipe, error1)
    assert events == ["write", "a", "write", "b"] + ([] if prevent_abort else ["abort", error1])


# -- error-propagation-backward.any.js ------------------------------------------------------


@pytest.mark.parametrize("cancel_raises", [False, True])
async def test_backward_starts_errored_cancels_the_source(cancel_raises: bool) -> None:
    rrs = recording_readable_stream({"cancel": raise_error2} if cancel_raises else None)

    async def start(c: object) -> None:
        raise error1

    ws, events = recording_writable_stream({"start": start})
    await delay()
    await assert_rejects(rrs.stream.pipe_to(ws), error2 if cancel_raises else error1)
    assert rrs.events_without_pulls == ["cancel", error1]
    assert events == []


@pytest.mark.parametrize("prevent_cancel", [None, False, 0, "", True, "a", 1, object()])
async def test_backward_prevent_cancel_is_taken_for_its_truth(prevent_cancel: Any) -> None:
    rrs = recording_readable_stream()

    async def start(c: object) -> None:
        raise error1

    ws, _ = recording_writable_stream({"start": start})
    await delay()
    await assert_rejects(rrs.stream.pipe_to(ws, prevent_cancel=prevent_cancel), error1)
    assert rrs.events_without_pulls == ([] if prevent_cancel else ["cancel", error1])


async def test_backward_erroring_during_start_cancels_after_start() -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream({"start": lambda c: c.error(error1)})
    await assert_rejects(rrs.stream.pipe_to(ws), error1)
    assert rrs.events_without_pulls == ["cancel", error1]
    assert events == []


@pytest.mark.parametrize(
    ("prevent_cancel", "cancel_raises"), [(False, False), (False, True), (True, False)]
)
async def test_backward_becomes_errored_before_piping_via_a_write(
    prevent_cancel: bool, cancel_raises: bool
) -> None:
    rrs = recording_readable_stream({"cancel": raise_error2} if cancel_raises else None)

    def write(chunk: object, c: object) -> None:
        raise error1

    ws, events = recording_writable_stream({"write": write})
    writer = ws.get_writer()
    write_promise = writer.write("Hello")
    await assert_rejects(write_promise, error1)
    writer.release_lock()
    pipe = rrs.stream.pipe_to(ws, prevent_cancel=prevent_cancel)
    await assert_rejects(pipe, error2 if cancel_raises else error1)
    assert rrs.events_without_pulls == ([] if prevent_cancel else ["cancel", error1])
    assert events == ["write", "Hello"]


@pytest.mark.parametrize(
    ("prevent_cancel", "cancel_raises"), [(False, False), (False, True), (True, False)]
)
async def test_backward_becomes_errored_during_piping_via_a_write(
    prevent_cancel: bool, cancel_raises: bool
) -> None:
    def start(c: Any) -> None:
        c.enqueue("Hello")

    rrs = recording_readable_stream(
        {"start": start, **({"cancel": raise_error2} if cancel_raises else {})}
    )

    def write(chunk: object, c: object) -> None:
        raise error1

    ws, events = recording_writable_stream({"write": write})
    pipe = rrs.stream.pipe_to(ws, prevent_cancel=prevent_cancel)
    await assert_rejects(pipe, error2 if cancel_raises else error1)
    assert rrs.events_without_pulls == ([] if prevent_cancel else ["cancel", error1])
    assert events == ["write", "Hello"]


async def test_backward_errored_via_controller_while_empty() -> None:
    rrs = recording_readable_stream()
    controllers: list[WritableStreamDefaultController] = []
    ws, events = recording_writable_stream({"start": controllers.append})
    pipe = rrs.stream.pipe_to(ws)
    await delay()
    controllers[0].error(error1)
    await assert_rejects(pipe, error1)
    assert rrs.events_without_pulls == ["cancel", error1]
    assert events == []


async def test_backward_shutdown_does_not_wait_for_a_write_of_an_errored_stream() -> None:
    rrs = recording_readable_stream()
    controllers: list[WritableStreamDefaultController] = []
    write_result = pending()
    ws, events = recording_writable_stream(
        {"start": controllers.append, "write": lambda c, ctl: write_result}
    )
    pipe = rrs.stream.pipe_to(ws)
    rrs.controller.enqueue("a")
    await delay()
    assert events == ["write", "a"]
    controllers[0].error(error1)
    write_result.set_result(None)
    await assert_rejects(pipe, error1)
    assert rrs.events_without_pulls == ["cancel", error1]


async def test_backward_an_erroring_destination_is_cancelled_with_its_error() -> None:
    # Dest errors while a write is in flight: the pipe shuts down once it is errored.
    rrs = recording_readable_stream()
    write_result = pending()
    ws, events = recording_writable_stream({"write": lambda c, ctl: write_result})
    pipe = rrs.stream.pipe_to(ws)
    rrs.controller.enqueue("a")
    await delay()
    write_result.set_exception(error1)
    await assert_rejects(pipe, error1)
    assert rrs.events_without_pulls == ["cancel", error1]
    assert events == ["write", "a"]


# -- multiple-propagation.any.js ------------------------------------------------------------


async def test_errored_readable_into_errored_writable_forward_error_wins() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.error(error1)})
    ws, events = recording_writable_stream({"start": lambda c: c.error(error2)})
    await delay()
    await assert_rejects(rrs.stream.pipe_to(ws), error1)
    assert rrs.events == []
    assert events == []


async def test_errored_readable_into_erroring_writable_rejects_with_the_writable_error() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.error(error1)})
    ws, events = recording_writable_stream({"start": lambda c: c.error(error2)})
    # Not started yet, the writable is only erroring: aborting it fails with its error.
    await assert_rejects(rrs.stream.pipe_to(ws), error2)
    assert rrs.events == []
    assert events == []


async def test_errored_readable_into_closed_writable() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.error(error1)})
    ws, events = recording_writable_stream()
    writer = ws.get_writer()
    await writer.close()
    writer.release_lock()
    await assert_rejects(rrs.stream.pipe_to(ws), error1)
    assert rrs.events == []
    assert events == ["close"]


async def test_closed_readable_into_errored_writable() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.close()})
    ws, events = recording_writable_stream({"start": lambda c: c.error(error2)})
    await delay()
    await assert_rejects(rrs.stream.pipe_to(ws), error2)
    assert rrs.events == []
    assert events == []


async def test_closed_readable_into_closed_writable() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.close()})
    ws, events = recording_writable_stream()
    writer = ws.get_writer()
    await writer.close()
    writer.release_lock()
    await rrs.stream.pipe_to(ws)
    assert rrs.events == []
    assert events == ["close"]


async def test_errored_readable_into_a_closing_writable_rejects_with_the_readable_error() -> None:
    rs: ReadableStream[Any] = ReadableStream({"start": lambda c: c.error(error1)})
    close_result = pending()
    ws, events = recording_writable_stream({"close": lambda: close_result})
    await delay()
    writer = ws.get_writer()
    close = writer.close()
    writer.release_lock()
    pipe = rs.pipe_to(ws)
    close_result.set_result(None)
    await assert_rejects(pipe, error1)
    await close
    assert events == ["close"]


async def test_forward_rule_wins_over_backward_when_both_error_later() -> None:
    rrs = recording_readable_stream()
    controllers: list[WritableStreamDefaultController] = []
    ws = WritableStream({"start": controllers.append})
    pipe = rrs.stream.pipe_to(ws)
    await delay()
    rrs.controller.error(error1)
    controllers[0].error(error2)
    await assert_rejects(pipe, error1)
