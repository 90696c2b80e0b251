"""WHATWG Streams for asyncio: the Streams Standard, usable on its own.

https://streams.spec.whatwg.org/ — names are the spec's in snake_case. Every method the
spec defines as returning a promise returns an ``asyncio.Future`` created at call time.
"""

from __future__ import annotations

from wintersockets.streams._promises import ReasonError
from wintersockets.streams._transformer import TransformerDict
from wintersockets.streams._types import BytesLike, ReadResult
from wintersockets.streams._underlying_sink import UnderlyingSinkDict
from wintersockets.streams._underlying_source import UnderlyingSourceDict
from wintersockets.streams.abort_signal import AbortController, AbortError, AbortEvent, AbortSignal
from wintersockets.streams.async_iterator import ReadableStreamAsyncIterator
from wintersockets.streams.byob_reader import ReadableStreamBYOBReader, ReadIntoRequest
from wintersockets.streams.byob_request import ReadableStreamBYOBRequest
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.default_reader import (
    ReadableStreamDefaultReader,
    ReadableStreamGenericReader,
    ReadRequest,
)
from wintersockets.streams.queuing_strategy import (
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
    QueuingStrategy,
)
from wintersockets.streams.readable_stream import ReadableStream, ReadableStreamState
from wintersockets.streams.text_streams import TextDecoderStream, TextEncoderStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream, WritableStreamState
from wintersockets.streams.writer import WritableStreamDefaultWriter

__all__ = [
    "AbortController",
    "AbortError",
    "AbortEvent",
    "AbortSignal",
    "ByteLengthQueuingStrategy",
    "BytesLike",
    "CountQueuingStrategy",
    "QueuingStrategy",
    "ReadIntoRequest",
    "ReadRequest",
    "ReadResult",
    "ReadableByteStreamController",
    "ReadableStream",
    "ReadableStreamAsyncIterator",
    "ReadableStreamBYOBReader",
    "ReadableStreamBYOBRequest",
    "ReadableStreamDefaultController",
    "ReadableStreamDefaultReader",
    "ReadableStreamGenericReader",
    "ReadableStreamState",
    "ReasonError",
    "TextDecoderStream",
    "TextEncoderStream",
    "TransformStream",
    "TransformStreamDefaultController",
    "TransformerDict",
    "UnderlyingSinkDict",
    "UnderlyingSourceDict",
    "WritableStream",
    "WritableStreamDefaultController",
    "WritableStreamDefaultWriter",
    "WritableStreamState",
]
