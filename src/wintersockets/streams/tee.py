"""Teeing a readable stream [readable-stream-tee]: one stream, two branches.

https://streams.spec.whatwg.org/#readable-stream-tee

ReadableStreamTee, ReadableStreamDefaultTee and ReadableByteStreamTee, from the spec's
section "Working with readable streams". The spec's closures over shared variables become
one slotted object per tee, which is also the read request its reads use.

The spec delays handing a chunk to the branches by a microtask, so an error of the source
reaches both branches before a chunk that was read synchronously; ``loop.call_soon`` plays
the microtask.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar, final

from ._promises import get_loop, new_promise, reject_promise, resolve_promise, upon_promise

__all__: list[str] = []

T = TypeVar("T")


def readable_stream_tee(
    stream: ReadableStream[T], clone_for_branch2: bool
) -> tuple[ReadableStream[T], ReadableStream[T]]:
    """[ReadableStreamTee] https://streams.spec.whatwg.org/#readable-stream-tee

    Raises:
        TypeError: the stream is locked.
    """
    if isinstance(stream._controller, ReadableByteStreamController):
        return readable_byte_stream_tee(stream)  # type: ignore[arg-type,return-value]
    return readable_stream_default_tee(stream, clone_for_branch2)


def _resolve_with(promise: asyncio.Future[None], result: asyncio.Future[None]) -> None:
    # [Resolve] a promise with another promise: adopt its outcome.
    upon_promise(
        result,
        lambda _value: resolve_promise(promise, None),
        lambda reason: reject_promise(promise, reason),
    )


@final
class _DefaultTee:
    """The state of ReadableStreamDefaultTee, and the read request of its reads."""

    __slots__ = (
        "branch1",
        "branch2",
        "cancel_promise",
        "canceled1",
        "canceled2",
        "read_again",
        "reader",
        "reading",
        "reason1",
        "reason2",
        "stream",
    )

    def __init__(self, stream: ReadableStream[Any]) -> None:
        self.stream = stream
        self.reader = acquire_readable_stream_default_reader(stream)
        self.reading = False
        self.read_again = False
        self.canceled1 = False
        self.canceled2 = False
        self.reason1: object = None
        self.reason2: object = None
        self.cancel_promise: asyncio.Future[None] = new_promise()
        self.branch1: ReadableStream[Any]
        self.branch2: ReadableStream[Any]

    def pull_algorithm(self) -> None:
        if self.reading:
            self.read_again = True
            return
        self.reading = True
        readable_stream_default_reader_read(self.reader, self)

    # The read request.

    def chunk_steps(self, chunk: object) -> None:
        get_loop().call_soon(self._enqueue_in_branches, chunk)

    def _enqueue_in_branches(self, chunk: object) -> None:
        self.read_again = False
        # cloneForBranch2 is false for tee(); structured cloning has no Python counterpart.
        if not self.canceled1:
            readable_stream_default_controller_enqueue(_default_controller(self.branch1), chunk)
        if not self.canceled2:
            readable_stream_default_controller_enqueue(_default_controller(self.branch2), chunk)
        self.reading = False
        if self.read_again:
            self.pull_algorithm()

    def close_steps(self) -> None:
        self.reading = False
        if not self.canceled1:
            readable_stream_default_controller_close(_default_controller(self.branch1))
        if not self.canceled2:
            readable_stream_default_controller_close(_default_controller(self.branch2))
        if not self.canceled1 or not self.canceled2:
            resolve_promise(self.cancel_promise, None)

    def error_steps(self, _e: object) -> None:
        self.reading = False

    def cancel1_algorithm(self, reason: object) -> asyncio.Future[None]:
        self.canceled1 = True
        self.reason1 = reason
        if self.canceled2:
            composite_reason = [self.reason1, self.reason2]
            _resolve_with(
                self.cancel_promise, readable_stream_cancel(self.stream, composite_reason)
            )
        return self.cancel_promise

    def cancel2_algorithm(self, reason: object) -> asyncio.Future[None]:
        self.canceled2 = True
        self.reason2 = reason
        if self.canceled1:
            composite_reason = [self.reason1, self.reason2]
            _resolve_with(
                self.cancel_promise, readable_stream_cancel(self.stream, composite_reason)
            )
        return self.cancel_promise

    def on_reader_closed_rejected(self, r: object) -> None:
        readable_stream_default_controller_error(_default_controller(self.branch1), r)
        readable_stream_default_controller_error(_default_controller(self.branch2), r)
        if not self.canceled1 or not self.canceled2:
            resolve_promise(self.cancel_promise, None)


def _default_controller(branch: ReadableStream[Any]) -> ReadableStreamDefaultController[Any]:
    controller = branch._controller
    assert isinstance(controller, ReadableStreamDefaultController)
    return controller


def _return_none() -> None:
    return None


def readable_stream_default_tee(
    stream: ReadableStream[T], clone_for_branch2: bool
) -> tuple[ReadableStream[T], ReadableStream[T]]:
    """[ReadableStreamDefaultTee] https://streams.spec.whatwg.org/#abstract-opdef-readablestreamdefaulttee"""
    assert isinstance(stream, ReadableStream)
    tee = _DefaultTee(stream)
    tee.branch1 = create_readable_stream(_return_none, tee.pull_algorithm, tee.cancel1_algorithm)
    tee.branch2 = create_readable_stream(_return_none, tee.pull_algorithm, tee.cancel2_algorithm)
    upon_promise(tee.reader._closed_promise, None, tee.on_reader_closed_rejected)
    return tee.branch1, tee.branch2


@final
class _ByteTeeReadIntoRequest:
    """The read-into request of the byte tee's reads into one branch's buffer."""

    __slots__ = ("for_branch2", "tee")

    def __init__(self, tee: _ByteTee, for_branch2: bool) -> None:
        self.tee = tee
        self.for_branch2 = for_branch2

    def chunk_steps(self, chunk: memoryview) -> None:
        get_loop().call_soon(self._respond_and_enqueue, chunk)

    def _respond_and_enqueue(self, chunk: memoryview) -> None:
        tee = self.tee
        tee.read_again_for_branch1 = False
        tee.read_again_for_branch2 = False
        byob_canceled = tee.canceled2 if self.for_branch2 else tee.canceled1
        other_canceled = tee.canceled1 if self.for_branch2 else tee.canceled2
        byob_branch, other_branch = tee.branches(self.for_branch2)
        if not other_canceled:
            try:
                cloned_chunk = chunk.tobytes()  # CloneAsUint8Array
            except MemoryError as clone_e:
                readable_byte_stream_controller_error(_byte_controller(byob_branch), clone_e)
                readable_byte_stream_controller_error(_byte_controller(other_branch), clone_e)
                _resolve_with(tee.cancel_promise, readable_stream_cancel(tee.stream, clone_e))
                return
            if not byob_canceled:
                readable_byte_stream_controller_respond_with_new_view(
                    _byte_controller(byob_branch), chunk
                )
            readable_byte_stream_controller_enqueue(_byte_controller(other_branch), cloned_chunk)
        elif not byob_canceled:
            readable_byte_stream_controller_respond_with_new_view(
                _byte_controller(byob_branch), chunk
            )
        tee.reading = False
        if tee.read_again_for_branch1:
            tee.pull1_algorithm()
        elif tee.read_again_for_branch2:
            tee.pull2_algorithm()

    def close_steps(self, chunk: memoryview | None) -> None:
        tee = self.tee
        tee.reading = False
        byob_canceled = tee.canceled2 if self.for_branch2 else tee.canceled1
        other_canceled = tee.canceled1 if self.for_branch2 else tee.canceled2
        byob_branch, other_branch = tee.branches(self.for_branch2)
        if not byob_canceled:
            readable_byte_stream_controller_close(_byte_controller(byob_branch))
        if not other_canceled:
            readable_byte_stream_controller_close(_byte_controller(other_branch))
        if chunk is not None:
            assert chunk.nbytes == 0
            if not byob_canceled:
                readable_byte_stream_controller_respond_with_new_view(
                    _byte_controller(byob_branch), chunk
                )
            other_controller = _byte_controller(other_branch)
            if not other_canceled and other_controller._pending_pull_intos:
                readable_byte_stream_controller_respond(other_controller, 0)
        if not byob_canceled or not other_canceled:
            resolve_promise(tee.cancel_promise, None)

    def error_steps(self, _e: object) -> None:
        self.tee.reading = False


@final
class _ByteTee:
    """The state of ReadableByteStreamTee, and the read request of its default reads."""

    __slots__ = (
        "branch1",
        "branch2",
        "cancel_promise",
        "canceled1",
        "canceled2",
        "read_again_for_branch1",
        "read_again_for_branch2",
        "read_into_request1",
        "read_into_request2",
        "reader",
        "reading",
        "reason1",
        "reason2",
        "stream",
    )

    def __init__(self, stream: ReadableStream[bytes]) -> None:
        self.stream = stream
        self.reader: ReadableStreamDefaultReader[bytes] | ReadableStreamBYOBReader = (
            acquire_readable_stream_default_reader(stream)
        )
        self.read_again_for_branch1 = False
        self.read_again_for_branch2 = False
        self.reading = False
        self.canceled1 = False
        self.canceled2 = False
        self.reason1: object = None
        self.reason2: object = None
        self.cancel_promise: asyncio.Future[None] = new_promise()
        self.read_into_request1 = _ByteTeeReadIntoRequest(self, False)
        self.read_into_request2 = _ByteTeeReadIntoRequest(self, True)
        self.branch1: ReadableStream[bytes]
        self.branch2: ReadableStream[bytes]

    def branches(self, for_branch2: bool) -> tuple[ReadableStream[bytes], ReadableStream[bytes]]:
        """The branch being read into, and the other one."""
        if for_branch2:
            return self.branch2, self.branch1
        return self.branch1, self.branch2

    def forward_reader_error(
        self, this_reader: ReadableStreamDefaultReader[bytes] | ReadableStreamBYOBReader
    ) -> None:
        def on_rejected(r: object) -> None:
            if this_reader is not self.reader:
                return
            readable_byte_stream_controller_error(_byte_controller(self.branch1), r)
            readable_byte_stream_controller_error(_byte_controller(self.branch2), r)
            if not self.canceled1 or not self.canceled2:
                resolve_promise(self.cancel_promise, None)

        upon_promise(this_reader._closed_promise, None, on_rejected)

    def pull_with_default_reader(self) -> None:
        reader = self.reader
        if isinstance(reader, ReadableStreamBYOBReader):
            assert not reader._read_into_requests
            readable_stream_byob_reader_release(reader)
            reader = self.reader = acquire_readable_stream_default_reader(self.stream)
            self.forward_reader_error(reader)
        readable_stream_default_reader_read(reader, self)

    # The read request of pull_with_default_reader.

    def chunk_steps(self, chunk: bytes) -> None:
        get_loop().call_soon(self._enqueue_in_branches, chunk)

    def _enqueue_in_branches(self, chunk: bytes) -> None:
        self.read_again_for_branch1 = False
        self.read_again_for_branch2 = False
        # The spec clones the chunk for branch 2 (CloneAsUint8Array). A default reader of a
        # byte stream reads `bytes`, which cannot change, so both branches can share it.
        if not self.canceled1:
            readable_byte_stream_controller_enqueue(_byte_controller(self.branch1), chunk)
        if not self.canceled2:
            readable_byte_stream_controller_enqueue(_byte_controller(self.branch2), chunk)
        self.reading = False
        if self.read_again_for_branch1:
            self.pull1_algorithm()
        elif self.read_again_for_branch2:
            self.pull2_algorithm()

    def close_steps(self) -> None:
        self.reading = False
        controller1 = _byte_controller(self.branch1)
        controller2 = _byte_controller(self.branch2)
        if not self.canceled1:
            readable_byte_stream_controller_close(controller1)
        if not self.canceled2:
            readable_byte_stream_controller_close(controller2)
        if controller1._pending_pull_intos:
            readable_byte_stream_controller_respond(controller1, 0)
        if controller2._pending_pull_intos:
            readable_byte_stream_controller_respond(controller2, 0)
        if not self.canceled1 or not self.canceled2:
            resolve_promise(self.cancel_promise, None)

    def error_steps(self, _e: object) -> None:
        self.reading = False

    def pull_with_byob_reader(self, view: memoryview, for_branch2: bool) -> None:
        reader = self.reader
        if isinstance(reader, ReadableStreamDefaultReader):
            assert not reader._read_requests
            readable_stream_default_reader_release(reader)
            reader = self.reader = acquire_readable_stream_byob_reader(self.stream)
            self.forward_reader_error(reader)
        assert isinstance(reader, ReadableStreamBYOBReader)
        read_into_request = self.read_into_request2 if for_branch2 else self.read_into_request1
        readable_stream_byob_reader_read(reader, view, 1, read_into_request)

    def pull1_algorithm(self) -> None:
        if self.reading:
            self.read_again_for_branch1 = True
            return
        self.reading = True
        byob_request = readable_byte_stream_controller_get_byob_request(
            _byte_controller(self.branch1)
        )
        if byob_request is None:
            self.pull_with_default_reader()
        else:
            assert byob_request._view is not None
            self.pull_with_byob_reader(byob_request._view, False)

    def pull2_algorithm(self) -> None:
        if self.reading:
            self.read_again_for_branch2 = True
            return
        self.reading = True
        byob_request = readable_byte_stream_controller_get_byob_request(
            _byte_controller(self.branch2)
        )
        if byob_request is None:
            self.pull_with_default_reader()
        else:
            assert byob_request._view is not None
            self.pull_with_byob_reader(byob_request._view, True)

    def cancel1_algorithm(self, reason: object) -> asyncio.Future[None]:
        self.canceled1 = True
        self.reason1 = reason
        if self.canceled2:
            composite_reason = [self.reason1, self.reason2]
            _resolve_with(
                self.cancel_promise, readable_stream_cancel(self.stream, composite_reason)
            )
        return self.cancel_promise

    def cancel2_algorithm(self, reason: object) -> asyncio.Future[None]:
        self.canceled2 = True
        self.reason2 = reason
        if self.canceled1:
            composite_reason = [self.reason1, self.reason2]
            _resolve_with(
                self.cancel_promise, readable_stream_cancel(self.stream, composite_reason)
            )
        return self.cancel_promise


def _byte_controller(branch: ReadableStream[bytes]) -> ReadableByteStreamController:
    controller = branch._controller
    assert isinstance(controller, ReadableByteStreamController)
    return controller


def readable_byte_stream_tee(
    stream: ReadableStream[bytes],
) -> tuple[ReadableStream[bytes], ReadableStream[bytes]]:
    """[ReadableByteStreamTee] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamtee"""
    assert isinstance(stream, ReadableStream)
    assert isinstance(stream._controller, ReadableByteStreamController)
    tee = _ByteTee(stream)
    tee.branch1 = create_readable_byte_stream(
        _return_none, tee.pull1_algorithm, tee.cancel1_algorithm
    )
    tee.branch2 = create_readable_byte_stream(
        _return_none, tee.pull2_algorithm, tee.cancel2_algorithm
    )
    tee.forward_reader_error(tee.reader)
    return tee.branch1, tee.branch2


# See readable_stream.py for why these imports come last.
from .byob_reader import (  # noqa: E402
    ReadableStreamBYOBReader,
    readable_stream_byob_reader_read,
    readable_stream_byob_reader_release,
)
from .byob_request import (  # noqa: E402
    readable_byte_stream_controller_get_byob_request,
    readable_byte_stream_controller_respond,
    readable_byte_stream_controller_respond_with_new_view,
)
from .byte_controller import (  # noqa: E402
    ReadableByteStreamController,
    readable_byte_stream_controller_close,
    readable_byte_stream_controller_enqueue,
    readable_byte_stream_controller_error,
)
from .default_controller import (  # noqa: E402
    ReadableStreamDefaultController,
    readable_stream_default_controller_close,
    readable_stream_default_controller_enqueue,
    readable_stream_default_controller_error,
)
from .default_reader import (  # noqa: E402
    ReadableStreamDefaultReader,
    readable_stream_default_reader_read,
    readable_stream_default_reader_release,
)
from .readable_stream import (  # noqa: E402
    ReadableStream,
    acquire_readable_stream_byob_reader,
    acquire_readable_stream_default_reader,
    create_readable_byte_stream,
    create_readable_stream,
    readable_stream_cancel,
)
