"""Conformance: transform stream basics.

WPT streams/transform-streams/general.any.js, flush.any.js, properties.any.js and
lipfuzz.any.js (a template-substituting transformer).
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    delay,
    error1,
    flush_async_events,
    js_await,
    pending,
    readable_stream_to_array,
)
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)
from wintersockets.streams.writable_stream import WritableStream

# -- general.any.js -------------------------------------------------------------------------


async def test_constructible_with_or_without_a_transform() -> None:
    TransformStream({"transform": lambda chunk, c: None})
    TransformStream()
    TransformStream({})


async def test_readable_and_writable_have_the_right_types() -> None:
    ts = TransformStream({"transform": lambda chunk, c: None})
    assert isinstance(ts.writable, WritableStream)
    assert isinstance(ts.readable, ReadableStream)
    ts.writable.get_writer()
    ts.readable.get_reader()
    with pytest.raises(AttributeError):
        ts.readable = ts.readable  # type: ignore[misc]


async def test_the_writable_starts_writable() -> None:
    ts = TransformStream({"transform": lambda chunk, c: None})
    assert ts.writable.get_writer().desired_size == 1


async def test_identity_reads_what_was_written() -> None:
    ts = TransformStream()
    writer = ts.writable.get_writer()
    write = writer.write("a")
    assert writer.desired_size == 0
    result = await ts.readable.get_reader().read()
    assert result.value == "a"
    assert not result.done
    await delay()
    assert writer.desired_size == 1
    await write


async def test_sync_uppercaser() -> None:
    ts = TransformStream({"transform": lambda chunk, c: c.enqueue(chunk.upper())})
    ts.writable.get_writer().write("a")
    result = await ts.readable.get_reader().read()
    assert result == ("A", False)


async def test_sync_uppercaser_doubler() -> None:
    def transform(chunk: str, c: TransformStreamDefaultController) -> None:
        c.enqueue(chunk.upper())
        c.enqueue(chunk.upper())

    ts = TransformStream({"transform": transform})
    ts.writable.get_writer().write("a")
    reader = ts.readable.get_reader()
    assert (await reader.read()).value == "A"
    assert (await reader.read()).value == "A"


async def test_async_uppercaser() -> None:
    async def transform(chunk: str, c: TransformStreamDefaultController) -> None:
        await asyncio.sleep(0)
        c.enqueue(chunk.upper())

    ts = TransformStream({"transform": transform})
    ts.writable.get_writer().write("a")
    assert (await ts.readable.get_reader().read()).value == "A"


async def test_async_uppercaser_doubler() -> None:
    second: list[Any] = []
    finish = pending()

    def transform(chunk: str, c: TransformStreamDefaultController) -> object:
        asyncio.get_running_loop().call_soon(c.enqueue, chunk.upper())
        second.append(lambda: c.enqueue(chunk.upper()))
        return finish

    ts = TransformStream({"transform": transform})
    reader = ts.readable.get_reader()
    write = ts.writable.get_writer().write("a")
    assert (await reader.read()).value == "A"
    second[0]()
    assert (await reader.read()).value == "A"
    finish.set_result(None)
    await write


async def test_closing_the_writable_closes_the_readable() -> None:
    ts = TransformStream({"transform": lambda chunk, c: None})
    writer = ts.writable.get_writer()
    writer.close()
    await writer.closed
    await ts.readable.get_reader().closed


async def test_closing_waits_for_transforms_to_finish() -> None:
    transform_result = pending()
    ts = TransformStream(
        {"transform": lambda chunk, c: transform_result}, None, {"high_water_mark": 1}
    )
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    reader_closed = ts.readable.get_reader().closed
    await delay()
    assert not reader_closed.done()
    transform_result.set_result(None)
    await writer.closed
    await flush_async_events()
    assert reader_closed.done()


async def test_closing_after_sync_enqueues_and_async_done() -> None:
    def transform(chunk: object, c: TransformStreamDefaultController) -> object:
        c.enqueue("x")
        c.enqueue("y")
        return delay()

    ts = TransformStream({"transform": transform})
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    chunks = asyncio.ensure_future(readable_stream_to_array(ts.readable))
    await writer.closed
    assert await chunks == ["x", "y"]


async def test_closing_after_async_enqueues_and_async_done() -> None:
    async def transform(chunk: object, c: TransformStreamDefaultController) -> None:
        await delay()
        c.enqueue("x")
        c.enqueue("y")
        await delay()

    ts = TransformStream({"transform": transform})
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    chunks = asyncio.ensure_future(readable_stream_to_array(ts.readable))
    await writer.closed
    assert await chunks == ["x", "y"]


async def test_transformer_methods_are_called_as_methods() -> None:
    class Transformer:
        suffix = "-suffix"

        def start(self, c: TransformStreamDefaultController) -> None:
            c.enqueue("start" + self.suffix)

        def transform(self, chunk: str, c: TransformStreamDefaultController) -> None:
            c.enqueue(chunk + self.suffix)

        def flush(self, c: TransformStreamDefaultController) -> None:
            c.enqueue("flushed" + self.suffix)

    ts = TransformStream(Transformer())
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    chunks = asyncio.ensure_future(readable_stream_to_array(ts.readable))
    await writer.closed
    assert await chunks == ["start-suffix", "a-suffix", "flushed-suffix"]


async def test_start_transform_and_flush_are_strictly_ordered() -> None:
    events: list[str] = []

    async def start(c: object) -> None:
        events.append("start called")
        await flush_async_events()
        events.append("start done")

    async def transform(chunk: object, c: object) -> None:
        assert events[-1] == "start done"
        await flush_async_events()
        events.append("transform done")

    async def flush(c: object) -> None:
        assert events[-1] == "transform done"
        await flush_async_events()
        events.append("flush done")

    ts = TransformStream(
        {"start": start, "transform": transform, "flush": flush}, None, {"high_water_mark": 1}
    )
    assert events == []  # the coroutine runs as a task: started, not yet run
    writer = ts.writable.get_writer()
    write = writer.write("a")
    await writer.close()
    assert events[-1] == "flush done"
    await write


async def test_transform_can_be_called_synchronously() -> None:
    calls: list[object] = []
    ts = TransformStream(
        {"transform": lambda chunk, c: calls.append(chunk)}, None, {"high_water_mark": math.inf}
    )
    await delay()
    write = ts.writable.get_writer().write(None)
    assert calls == [None]
    await write


async def test_closing_closes_the_readable_even_with_backpressure() -> None:
    ts = TransformStream({}, None, {"high_water_mark": 0})
    writer = ts.writable.get_writer()
    writer.close()
    await writer.closed
    await ts.readable.get_reader().closed


async def test_enqueue_raises_after_terminate() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.terminate()
        with pytest.raises(TypeError):
            c.enqueue(None)

    TransformStream({"start": start})


async def test_enqueue_raises_after_readable_cancel() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    cancel = ts.readable.cancel()
    with pytest.raises(TypeError):
        controllers[0].enqueue(None)
    await cancel


async def test_terminate_twice_does_nothing_the_second_time() -> None:
    def start(c: TransformStreamDefaultController) -> None:
        c.terminate()
        c.terminate()

    TransformStream({"start": start})


async def test_terminate_right_after_readable_cancel_errors_the_writable() -> None:
    # The current WPT ("terminate() should abort writable immediately after
    # readable.cancel()"); older versions expected the cancel reason on the writable.
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    cancel = ts.readable.cancel({"name": "cancelReason"})
    controllers[0].terminate()
    await cancel
    await assert_rejects(ts.writable.get_writer().closed, TypeError)


async def test_terminate_after_readable_cancel_resolved_does_nothing() -> None:
    controllers: list[TransformStreamDefaultController] = []
    ts = TransformStream({"start": controllers.append})
    reason = {"name": "cancelReason"}
    await ts.readable.cancel(reason)
    controllers[0].terminate()
    await assert_rejects(ts.writable.get_writer().closed, reason)


async def test_start_is_called_once() -> None:
    calls: list[int] = []
    TransformStream({"start": lambda c: calls.append(1)})
    await flush_async_events()
    assert calls == [1]


@pytest.mark.parametrize("key", ["readable_type", "readableType", "writable_type", "writableType"])
async def test_a_defined_reserved_type_raises_value_error(key: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        TransformStream({key: "bytes"})


# -- flush.any.js ---------------------------------------------------------------------------


async def test_flush_is_called_at_once_when_no_writes_are_queued() -> None:
    calls: list[bool] = []
    ts = TransformStream({"transform": lambda c, ctl: None, "flush": lambda c: calls.append(True)})
    await ts.writable.get_writer().close()
    assert calls == [True]


async def test_flush_waits_for_queued_writes() -> None:
    transform_result = pending()
    flushed: list[bool] = []

    def flush(c: object) -> object:
        flushed.append(True)
        return pending()  # never resolves

    ts = TransformStream(
        {"transform": lambda c, ctl: transform_result, "flush": flush},
        None,
        {"high_water_mark": 1},
    )
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    assert flushed == []
    reader_closed = ts.readable.get_reader().closed
    await delay()
    assert flushed == []
    transform_result.set_result(None)
    await flush_async_events()
    assert flushed == [True]
    assert not reader_closed.done(), "a flush that never settles keeps the readable open"


async def test_flush_can_enqueue_more() -> None:
    def flush(c: TransformStreamDefaultController) -> None:
        c.enqueue("x")
        c.enqueue("y")

    ts = TransformStream({"transform": lambda c, ctl: None, "flush": flush})
    reader = ts.readable.get_reader()
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    assert await reader.read() == ("x", False)
    assert await reader.read() == ("y", False)


async def test_flush_can_enqueue_more_then_close_asynchronously() -> None:
    def flush(c: TransformStreamDefaultController) -> object:
        c.enqueue("x")
        c.enqueue("y")
        return delay()

    ts = TransformStream({"transform": lambda c, ctl: None, "flush": flush})
    reader = ts.readable.get_reader()
    writer = ts.writable.get_writer()
    writer.write("a")
    writer.close()
    assert await reader.read() == ("x", False)
    assert await reader.read() == ("y", False)
    await reader.closed


async def test_error_during_flush_rejects_close() -> None:
    ts = TransformStream({"flush": lambda c: c.error(error1)})
    await assert_rejects(ts.writable.get_writer().close(), error1)


# -- properties.any.js ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "members"),
    [
        (TransformStream, ["readable", "writable"]),
        (TransformStreamDefaultController, ["desired_size", "enqueue", "error", "terminate"]),
    ],
)
def test_classes_have_the_spec_members(cls: type, members: list[str]) -> None:
    for name in members:
        assert hasattr(cls, name), name


def test_the_controller_cannot_be_constructed() -> None:
    with pytest.raises(TypeError, match="cannot be constructed"):
        TransformStreamDefaultController()


# -- lipfuzz.any.js -------------------------------------------------------------------------


class LipFuzzTransformer:
    """Replaces ``{{name}}`` with a substitution, even when a tag spans chunks."""

    def __init__(self, substitutions: dict[str, str]) -> None:
        self.substitutions = substitutions
        self.partial = ""

    def transform(self, chunk: str, controller: TransformStreamDefaultController) -> None:
        chunk = self.partial + chunk
        self.partial = ""
        last = 0
        out = []
        for match in re.finditer(r"\{\{([a-zA-Z0-9_-]+)\}\}", chunk):
            out.append(chunk[last : match.start()])
            out.append(self.substitutions.get(match.group(1), ""))
            last = match.end()
        rest = chunk[last:]
        cut = rest.rfind("{{")
        if cut != -1 and "}}" not in rest[cut:]:
            self.partial, rest = rest[cut:], rest[:cut]
        elif rest.endswith("{"):
            self.partial, rest = "{", rest[:-1]
        out.append(rest)
        controller.enqueue("".join(out))

    def flush(self, controller: TransformStreamDefaultController) -> None:
        if self.partial:
            controller.enqueue(self.partial)


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (["Hello {{name}}"], "Hello world"),
        (["Hello {", "{name}}"], "Hello world"),
        (["Hello {{na", "me}}!"], "Hello world!"),
        (["{{unknown}} x"], " x"),
        (["trailing {"], "trailing {"),
    ],
)
async def test_a_template_transformer_works_across_chunks(
    chunks: list[str], expected: str
) -> None:
    ts = TransformStream(LipFuzzTransformer({"name": "world"}))
    writer = ts.writable.get_writer()
    for chunk in chunks:
        writer.write(chunk)
    writer.close()
    output = await readable_stream_to_array(ts.readable)
    await js_await(writer.closed)
    assert "".join(output) == expected
