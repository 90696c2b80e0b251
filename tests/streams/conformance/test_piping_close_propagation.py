"""Conformance: close propagation through pipes.

WPT streams/piping/close-propagation-forward.any.js and close-propagation-backward.any.js.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    delay,
    error1,
    flush_async_events,
    pending,
    recording_readable_stream,
    recording_writable_stream,
)
from wintersockets.streams.queuing_strategy import CountQueuingStrategy


def raise_error1(*_args: object) -> None:
    raise error1


# -- close-propagation-forward.any.js -------------------------------------------------------


@pytest.mark.parametrize("prevent_close", [None, False, 0, "", True, "a", 1, object()])
async def test_forward_starts_closed(prevent_close: Any) -> None:
    rrs = recording_readable_stream({"start": lambda c: c.close()})
    ws, events = recording_writable_stream()
    await rrs.stream.pipe_to(ws, prevent_close=prevent_close)
    assert rrs.events_without_pulls == []
    assert events == ([] if prevent_close else ["close"])
    await rrs.stream.get_reader().closed
    if not prevent_close:
        await ws.get_writer().closed


async def test_forward_starts_closed_and_a_rejected_close_rejects_the_pipe() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.close()})
    ws, events = recording_writable_stream({"close": raise_error1})
    await assert_rejects(rrs.stream.pipe_to(ws), error1)
    assert events == ["close"]
    await assert_rejects(ws.get_writer().closed, error1)


async def test_forward_starts_closed_with_everything_prevented() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.close()})
    ws, events = recording_writable_stream()
    await rrs.stream.pipe_to(ws, prevent_close=True, prevent_abort=True, prevent_cancel=True)
    assert events == []


@pytest.mark.parametrize("hwm", [1, 0])
@pytest.mark.parametrize(
    ("prevent_close", "close_raises"), [(False, False), (False, True), (True, False)]
)
async def test_forward_becomes_closed_while_empty(
    hwm: int, prevent_close: bool, close_raises: bool
) -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream(
        {"close": raise_error1} if close_raises else None,
        CountQueuingStrategy(high_water_mark=hwm),
    )
    pipe = rrs.stream.pipe_to(ws, prevent_close=prevent_close)
    await delay()
    rrs.controller.close()
    if close_raises:
        await assert_rejects(pipe, error1)
    else:
        await pipe
    assert rrs.events_without_pulls == []
    assert events == ([] if prevent_close else ["close"])


@pytest.mark.parametrize(
    ("prevent_close", "close_raises"), [(False, False), (False, True), (True, False)]
)
async def test_forward_becomes_closed_after_one_chunk(
    prevent_close: bool, close_raises: bool
) -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream({"close": raise_error1} if close_raises else None)
    pipe = rrs.stream.pipe_to(ws, prevent_close=prevent_close)
    await delay()
    rrs.controller.enqueue("Hello")
    await delay()
    rrs.controller.close()
    if close_raises:
        await assert_rejects(pipe, error1)
    else:
        await pipe
    assert events == ["write", "Hello"] + ([] if prevent_close else ["close"])


@pytest.mark.parametrize("prevent_close", [False, True])
async def test_forward_shutdown_waits_for_the_final_write(prevent_close: bool) -> None:
    rrs = recording_readable_stream()
    write_called = pending()
    write_result = pending()

    def write(chunk: object, c: object) -> object:
        write_called.set_result(None)
        return write_result

    ws, events = recording_writable_stream({"write": write})
    pipe = rrs.stream.pipe_to(ws, prevent_close=prevent_close)
    rrs.controller.enqueue("a")
    await write_called
    rrs.controller.close()
    await flush_async_events()
    assert events == ["write", "a"]
    assert not pipe.done()
    write_result.set_result(None)
    await pipe
    assert events == ["write", "a"] + ([] if prevent_close else ["close"])


@pytest.mark.parametrize("prevent_close", [False, True])
async def test_forward_shutdown_waits_for_all_queued_writes(prevent_close: bool) -> None:
    rrs = recording_readable_stream()
    write_results: list[asyncio.Future[None]] = []

    def write(chunk: object, c: object) -> object:
        write_results.append(pending())
        return write_results[-1]

    ws, events = recording_writable_stream(
        {"write": write}, CountQueuingStrategy(high_water_mark=2)
    )
    pipe = rrs.stream.pipe_to(ws, prevent_close=prevent_close)
    rrs.controller.enqueue("a")
    rrs.controller.enqueue("b")
    await flush_async_events()
    rrs.controller.close()
    write_results[0].set_result(None)
    await flush_async_events()
    assert events == ["write", "a", "write", "b"]
    assert not pipe.done()
    write_results[1].set_result(None)
    await pipe
    assert events == ["write", "a", "write", "b"] + ([] if prevent_close else ["close"])


async def test_forward_a_write_failing_while_closing_rejects_the_pipe() -> None:
    rrs = recording_readable_stream()
    write_result = pending()
    ws, events = recording_writable_stream({"write": lambda c, ctl: write_result})
    pipe = rrs.stream.pipe_to(ws)
    rrs.controller.enqueue("a")
    await delay()
    rrs.controller.close()
    await flush_async_events()
    write_result.set_exception(error1)
    await assert_rejects(pipe, error1)
    assert events == ["write", "a"]


async def test_forward_a_destination_already_closing_is_not_closed_twice() -> None:
    rrs = recording_readable_stream({"start": lambda c: c.close()})
    close_result = pending()
    ws, events = recording_writable_stream({"close": lambda: close_result})
    writer = ws.get_writer()
    close = writer.close()
    writer.release_lock()
    pipe = rrs.stream.pipe_to(ws)
    close_result.set_result(None)
    await close
    await pipe
    assert events == ["close"]


# -- close-propagation-backward.any.js ------------------------------------------------------


@pytest.mark.parametrize("prevent_cancel", [None, False, 0, "", True, "a", 1, object()])
async def test_backward_starts_closed(prevent_cancel: Any) -> None:
    rrs = recording_readable_stream()
    ws, _ = recording_writable_stream()
    writer = ws.get_writer()
    writer.close()
    writer.release_lock()
    exc = await assert_rejects(rrs.stream.pipe_to(ws, prevent_cancel=prevent_cancel), TypeError)
    if prevent_cancel:
        assert rrs.events_without_pulls == []
    else:
        assert rrs.events_without_pulls == ["cancel", exc]
    assert "closed" in str(exc)


async def test_backward_starts_closed_and_a_rejected_cancel_rejects_the_pipe() -> None:
    rrs = recording_readable_stream({"cancel": raise_error1})
    ws, _ = recording_writable_stream()
    writer = ws.get_writer()
    writer.close()
    writer.release_lock()
    await assert_rejects(rrs.stream.pipe_to(ws), error1)


async def test_backward_a_closed_destination_is_reported_even_with_everything_prevented() -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream()
    writer = ws.get_writer()
    await writer.close()
    writer.release_lock()
    pipe = rrs.stream.pipe_to(ws, prevent_close=True, prevent_abort=True, prevent_cancel=True)
    await assert_rejects(pipe, TypeError)
    assert rrs.events_without_pulls == []
    assert events == ["close"]
