"""User callbacks are called with as many arguments as they declare, as in JavaScript."""

from __future__ import annotations

import asyncio

from wintersockets.streams import ReadableStream, TransformStream, WritableStream
from wintersockets.streams._callbacks import fit_arguments, positional_capacity


def test_positional_capacity_counts_what_a_callable_takes() -> None:
    assert positional_capacity(lambda: None) == 0
    assert positional_capacity(lambda chunk: None) == 1
    assert positional_capacity(lambda *args: None) is None
    assert positional_capacity(lambda chunk, *, flag=False: None) == 1


def test_fit_arguments_drops_only_the_trailing_arguments_not_declared() -> None:
    seen: list[tuple[object, ...]] = []
    assert fit_arguments(print, 2) is print  # no signature: called with everything
    fit_arguments(lambda a: seen.append((a,)), 2)("chunk", "controller")
    assert seen == [("chunk",)]


async def test_a_sink_write_without_the_controller_receives_each_chunk() -> None:
    got: list[object] = []
    stream = WritableStream({"write": lambda chunk: got.append(chunk), "close": lambda: None})
    writer = stream.get_writer()
    await writer.write("a")
    await writer.write(b"b")
    await writer.close()
    assert got == ["a", b"b"]


async def test_sink_abort_without_the_reason_is_called() -> None:
    aborted: list[bool] = []
    stream = WritableStream({"abort": lambda: aborted.append(True)})
    await stream.abort(ValueError("stop"))
    assert aborted == [True]


async def test_a_source_pull_and_cancel_without_arguments_work() -> None:
    cancelled: list[bool] = []
    stream = ReadableStream({"pull": lambda: None, "cancel": lambda: cancelled.append(True)})
    await stream.cancel("done")
    assert cancelled == [True]


async def test_a_transformer_flush_without_the_controller_is_called() -> None:
    flushed: list[bool] = []
    transform = TransformStream({"flush": lambda: flushed.append(True)})
    writer = transform.writable.get_writer()
    reader = transform.readable.get_reader()
    closing = writer.close()
    assert (await reader.read()).done
    await closing
    assert flushed == [True]
    await asyncio.sleep(0)
