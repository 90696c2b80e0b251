"""``ReadableByteStreamController`` [rbs-controller-class] and its abstract operations.

https://streams.spec.whatwg.org/#rbs-controller-class

The operations follow the spec's section "Byte stream controllers", in the spec's order,
except those on pull-into descriptors and BYOB requests (PullInto, Respond and the like),
which are in ``byob_request.py`` with ``ReadableStreamBYOBRequest``.

Python cannot transfer or detach a buffer, which changes three things, each in one place:

* ``enqueue(chunk)`` keeps a ``bytes`` chunk as it is (it cannot change) and copies any
  other bytes-like chunk: the copy plays the spec's transfer.
* A BYOB read writes into the caller's own buffer (that is what makes zero-copy socket
  reads possible), and resolves with a ``memoryview`` of the region it filled, in the
  format of the caller's view. ``byob_request.view`` is a writable ``memoryview`` onto that
  buffer at the fill position: an underlying source can ``recv_into`` it.
* The default reader of a byte stream reads ``bytes`` objects.

Queue entries are ``(buffer, byte_offset, byte_length)`` tuples over ``bytes`` buffers.

Beyond the spec, a read whose future its caller cancelled is *abandoned* (see
``default_reader.py``); ``forget_abandoned_reads`` (in ``byob_request.py``) removes such
reads, moving any bytes already written into an abandoned buffer back to the front of the
queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, final

from ._promises import get_loop
from ._types import ReadResult
from ._types import tuple_new as _tuple_new

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from ._underlying_source import UnderlyingSourceRecord
    from .default_reader import ReadRequest
    from .readable_stream import CancelAlgorithm, PullAlgorithm, StartAlgorithm

__all__ = ["ReadableByteStreamController"]

# Not in the spec: see set_up_readable_byte_stream_controller's fill_now.
FillNow = Callable[[memoryview], int]


def as_chunk_buffer(chunk: object) -> bytes:
    """The buffer a byte chunk is queued as: a ``bytes`` as is, a copy of anything else.

    Raises:
        TypeError: ``chunk`` is not a bytes-like object.
    """
    if isinstance(chunk, bytes):
        return chunk
    try:
        view = memoryview(chunk)  # type: ignore[arg-type]  # checked at run time
    except TypeError:
        raise TypeError(
            f"a byte stream's chunk must be a bytes-like object, got {type(chunk).__name__}"
        ) from None
    return view.tobytes()


@final
class ReadableByteStreamController:
    """Controls a readable byte stream [ReadableByteStreamController].

    https://streams.spec.whatwg.org/#rbs-controller-class

    The stream gives one to its underlying source's ``start`` and ``pull``; it cannot be
    constructed directly.
    """

    __slots__ = (
        "_auto_allocate_chunk_size",
        "_byob_request",
        "_cancel_algorithm",
        "_close_requested",
        "_fill_now",
        "_pending_pull_intos",
        "_pull_again",
        "_pull_algorithm",
        "_pulling",
        "_queue",
        "_queue_total_size",
        "_settles_sync_pulls_at_once",
        "_started",
        "_strategy_hwm",
        "_stream",
    )

    _auto_allocate_chunk_size: int | None
    _byob_request: ReadableStreamBYOBRequest | None
    _cancel_algorithm: CancelAlgorithm
    _close_requested: bool
    # Not in the spec: see set_up_readable_byte_stream_controller.
    _fill_now: FillNow | None
    _pending_pull_intos: deque[PullIntoDescriptor]
    _pull_again: bool
    _pull_algorithm: PullAlgorithm
    _pulling: bool
    _queue: deque[tuple[bytes, int, int]]
    _queue_total_size: int
    # Not in the spec: see set_up_readable_byte_stream_controller.
    _settles_sync_pulls_at_once: bool
    _started: bool
    _strategy_hwm: float
    _stream: ReadableStream[bytes]

    def __init__(self) -> None:
        raise TypeError(
            "ReadableByteStreamController cannot be constructed directly: "
            'a ReadableStream with type="bytes" passes one to its underlying source'
        )

    @property
    def byob_request(self) -> ReadableStreamBYOBRequest | None:
        """The pending read into a buffer, or ``None`` [byobRequest].

        Write into ``byob_request.view`` and call ``byob_request.respond(n)``.
        """
        # ReadableByteStreamControllerGetBYOBRequest, inlined: a socket asks for it on
        # every read into a buffer.
        byob_request = self._byob_request
        if byob_request is None and self._pending_pull_intos:
            first_descriptor = self._pending_pull_intos[0]
            start = first_descriptor.byte_offset + first_descriptor.bytes_filled
            end = first_descriptor.byte_offset + first_descriptor.byte_length
            byob_request = ReadableStreamBYOBRequest.__new__(ReadableStreamBYOBRequest)
            byob_request._controller = self
            byob_request._view = first_descriptor.buffer[start:end]
            self._byob_request = byob_request
        return byob_request

    @property
    def desired_size(self) -> float | None:
        """How many bytes the queue lacks to reach the high-water mark [desiredSize].

        Negative when the queue is over it, 0 once closed, ``None`` once errored.
        """
        return readable_byte_stream_controller_get_desired_size(self)

    def close(self) -> None:
        """Close the stream once the queued bytes have been read [close].

        Raises:
            TypeError: the stream is already closed, closing or errored, or a pending BYOB
                read holds a partial element (the stream is then errored).
        """
        if self._close_requested:
            raise TypeError("cannot close the stream: close() was already called")
        state = self._stream._state
        if state != "readable":
            raise TypeError(f"cannot close the stream: it is {state}")
        readable_byte_stream_controller_close(self)

    def enqueue(self, chunk: Buffer) -> None:
        """Queue a chunk of bytes, or hand it to pending reads [enqueue].

        A ``bytes`` chunk is kept as it is; any other bytes-like chunk is copied, so
        changing it afterwards changes nothing.

        Raises:
            TypeError: ``chunk`` is not bytes-like or is empty, or the stream is closed,
                closing or errored.
        """
        stream = self._stream
        if (
            chunk.__class__ is bytes
            and chunk
            and not self._close_requested
            and stream._state is READABLE
            and not self._pending_pull_intos
        ):
            # Fast path: a non-empty `bytes` chunk (kept as is: the transfer) on a readable
            # stream with no read into a buffer pending. Collapses
            # ReadableByteStreamControllerEnqueue's steps for a default reader (the
            # ProcessReadRequestsUsingQueue loop has nothing to serve: a read request waits
            # only while the queue is empty; then EnqueueChunkToQueue, or
            # ReadableStreamFulfillReadRequest) and for no reader or a BYOB reader without
            # pending reads (EnqueueChunkToQueue; ProcessPullIntoDescriptorsUsingQueue has
            # no descriptor to fill), then CallPullIfNeeded.
            # CallPullIfNeeded is called only when ShouldCallPull can be true: with no read
            # waiting, only if the desired size is positive.
            reader = stream._reader
            if reader is None or type(reader) is ReadableStreamBYOBReader:
                self._queue.append((chunk, 0, len(chunk)))
                self._queue_total_size += len(chunk)
                if self._strategy_hwm - self._queue_total_size > 0:
                    readable_byte_stream_controller_call_pull_if_needed(self)
                return
            if type(reader) is ReadableStreamDefaultReader:
                requests = reader._read_requests
                if not requests:
                    self._queue.append((chunk, 0, len(chunk)))
                    self._queue_total_size += len(chunk)
                    if self._strategy_hwm - self._queue_total_size > 0:
                        readable_byte_stream_controller_call_pull_if_needed(self)
                    return
                request = requests[0]
                if not self._queue and not (
                    isinstance(request, PromiseRequest) and request._promise.done()
                ):
                    requests.popleft()
                    if type(request) is _DefaultReaderReadRequest:
                        # The usual request, from read(): its chunk steps, inlined (its
                        # promise is not done: checked above).
                        request._promise.set_result(_tuple_new(ReadResult, (chunk, False)))
                    else:
                        request.chunk_steps(chunk)
                    if requests or self._strategy_hwm - self._queue_total_size > 0:
                        readable_byte_stream_controller_call_pull_if_needed(self)
                    return
        buffer = as_chunk_buffer(chunk)
        if not buffer:
            raise TypeError("cannot enqueue an empty chunk: a byte stream's chunks hold bytes")
        if self._close_requested:
            raise TypeError("cannot enqueue: close() was already called")
        state = stream._state
        if state != "readable":
            raise TypeError(f"cannot enqueue: the stream is {state}")
        readable_byte_stream_controller_enqueue(self, buffer)

    def error(self, e: object = None) -> None:
        """Error the stream: reads and later operations fail with ``e`` [error]."""
        readable_byte_stream_controller_error(self, e)

    # Internal methods [rbs-controller-internal-methods]

    def _cancel_steps(self, reason: object) -> asyncio.Future[Any]:
        """[[CancelSteps]] https://streams.spec.whatwg.org/#rbs-controller-private-cancel"""
        readable_byte_stream_controller_clear_pending_pull_intos(self)
        self._queue.clear()
        self._queue_total_size = 0
        result = self._cancel_algorithm(reason)
        readable_byte_stream_controller_clear_algorithms(self)
        return algorithm_promise(result)

    def _pull_steps(self, read_request: ReadRequest[bytes]) -> None:
        """[[PullSteps]] https://streams.spec.whatwg.org/#rbs-controller-private-pull"""
        stream = self._stream
        assert readable_stream_has_default_reader(stream)
        if self._queue_total_size > 0:
            assert readable_stream_get_num_read_requests(stream) == 0
            readable_byte_stream_controller_fill_read_request_from_queue(self, read_request)
            return
        auto_allocate_chunk_size = self._auto_allocate_chunk_size
        if auto_allocate_chunk_size is not None:
            try:
                buffer = memoryview(bytearray(auto_allocate_chunk_size))
            except MemoryError as buffer_e:
                read_request.error_steps(buffer_e)
                return
            pull_into_descriptor = PullIntoDescriptor(
                buffer, 0, auto_allocate_chunk_size, 1, 1, "B", "default"
            )
            self._pending_pull_intos.append(pull_into_descriptor)
        readable_stream_add_read_request(stream, read_request)
        readable_byte_stream_controller_call_pull_if_needed(self)

    def _pull_steps_from_queue(self) -> Any:
        """[[PullSteps]] step 3, for a read served from the queue.

        Returns the chunk after the queue-drain steps, or ``NO_CHUNK`` when nothing is
        queued. Collapses ReadableByteStreamControllerFillReadRequestFromQueue.
        """
        queue = self._queue
        if not queue:
            return NO_CHUNK
        buffer, byte_offset, byte_length = queue.popleft()
        self._queue_total_size -= byte_length
        if self._queue_total_size == 0 and self._close_requested:
            readable_byte_stream_controller_clear_algorithms(self)
            readable_stream_close(self._stream)
        elif self._strategy_hwm - self._queue_total_size > 0:
            # With bytes queued there is no pending read, so ShouldCallPull can only be true
            # when the desired size is positive: skip the call otherwise.
            readable_byte_stream_controller_call_pull_if_needed(self)
        if byte_offset == 0 and byte_length == len(buffer):
            return buffer
        return buffer[byte_offset : byte_offset + byte_length]

    def _release_steps(self) -> None:
        """[[ReleaseSteps]] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamcontroller-releasesteps"""
        pending = self._pending_pull_intos
        if pending:
            first_pending_pull_into = pending[0]
            first_pending_pull_into.reader_type = "none"
            self._pending_pull_intos = deque((first_pending_pull_into,))

    def _on_pull_fulfilled(self, _value: object) -> None:
        self._pulling = False
        if self._pull_again:
            self._pull_again = False
            readable_byte_stream_controller_call_pull_if_needed(self)

    def _on_pull_or_start_rejected(self, e: object) -> None:
        readable_byte_stream_controller_error(self, e)

    def _on_start_fulfilled(self, _value: object) -> None:
        self._started = True
        assert not self._pulling
        assert not self._pull_again
        readable_byte_stream_controller_call_pull_if_needed(self)


# Byte stream controllers ---------------------------------------------------------------------
def readable_byte_stream_controller_call_pull_if_needed(
    controller: ReadableByteStreamController,
) -> None:
    """[ReadableByteStreamControllerCallPullIfNeeded] https://streams.spec.whatwg.org/#readable-byte-stream-controller-call-pull-if-needed"""
    # Steps 1-2: ReadableByteStreamControllerShouldCallPull, inlined (it runs several times
    # per read); see that function for the spec's steps.
    stream = controller._stream
    if stream._state is not READABLE or controller._close_requested or not controller._started:
        return
    reader = stream._reader
    if reader is None:
        if controller._strategy_hwm - controller._queue_total_size <= 0:
            return
    elif type(reader) is ReadableStreamDefaultReader:
        if not reader._read_requests and (
            controller._strategy_hwm - controller._queue_total_size <= 0
        ):
            return
    elif not reader._read_into_requests and (
        controller._strategy_hwm - controller._queue_total_size <= 0
    ):
        return
    if controller._pulling:
        controller._pull_again = True
        return
    assert not controller._pull_again
    controller._pulling = True
    pull_promise = controller._pull_algorithm()
    if pull_promise is None:
        if controller._settles_sync_pulls_at_once:
            # Not in the spec: see set_up_readable_byte_stream_controller. The steps upon
            # fulfillment of pullPromise, now.
            controller._pulling = False
            if controller._pull_again:
                controller._pull_again = False
                readable_byte_stream_controller_call_pull_if_needed(controller)
            return
        # A promise resolved with undefined: its fulfillment steps run in a later turn, as
        # the reaction would (react_to_algorithm's first case, without the checks).
        get_loop().call_soon(controller._on_pull_fulfilled, None)
        return
    react_to_algorithm(
        pull_promise, controller._on_pull_fulfilled, controller._on_pull_or_start_rejected
    )


def readable_byte_stream_controller_clear_algorithms(
    controller: ReadableByteStreamController,
) -> None:
    """[ReadableByteStreamControllerClearAlgorithms] https://streams.spec.whatwg.org/#readable-byte-stream-controller-clear-algorithms"""
    controller._pull_algorithm = _return_none
    controller._cancel_algorithm = _return_none


def readable_byte_stream_controller_clear_pending_pull_intos(
    controller: ReadableByteStreamController,
) -> None:
    """[ReadableByteStreamControllerClearPendingPullIntos] https://streams.spec.whatwg.org/#readable-byte-stream-controller-clear-pending-pull-intos"""
    readable_byte_stream_controller_invalidate_byob_request(controller)
    controller._pending_pull_intos = deque()


def readable_byte_stream_controller_close(controller: ReadableByteStreamController) -> None:
    """[ReadableByteStreamControllerClose] https://streams.spec.whatwg.org/#readable-byte-stream-controller-close

    Raises:
        TypeError: the first pending BYOB read holds a partial element.
    """
    stream = controller._stream
    if controller._close_requested or stream._state != "readable":
        return
    if controller._queue_total_size > 0:
        controller._close_requested = True
        return
    if controller._pending_pull_intos:
        first_pending_pull_into = controller._pending_pull_intos[0]
        if first_pending_pull_into.bytes_filled % first_pending_pull_into.element_size != 0:
            e = TypeError(
                "the stream closed with too few bytes to fill the last element of the "
                "pending read's view"
            )
            readable_byte_stream_controller_error(controller, e)
            raise e
    readable_byte_stream_controller_clear_algorithms(controller)
    readable_stream_close(stream)


def readable_byte_stream_controller_enqueue(
    controller: ReadableByteStreamController, chunk: Buffer
) -> None:
    """[ReadableByteStreamControllerEnqueue] https://streams.spec.whatwg.org/#readable-byte-stream-controller-enqueue"""
    stream = controller._stream
    if controller._close_requested or stream._state != "readable":
        return
    # Steps 3-7, the transfer: a `bytes` chunk cannot change; any other is copied.
    transferred_buffer = as_chunk_buffer(chunk)
    byte_offset = 0
    byte_length = len(transferred_buffer)
    # Not in the spec: reads their callers cancelled get nothing.
    forget_abandoned_reads(controller)
    if controller._pending_pull_intos:
        first_pending_pull_into = controller._pending_pull_intos[0]
        readable_byte_stream_controller_invalidate_byob_request(controller)
        if first_pending_pull_into.reader_type == "none":
            readable_byte_stream_controller_enqueue_detached_pull_into_to_queue(
                controller, first_pending_pull_into
            )
    reader = stream._reader
    if isinstance(reader, ReadableStreamDefaultReader):
        readable_byte_stream_controller_process_read_requests_using_queue(controller)
        if readable_stream_get_num_read_requests(stream) == 0:
            assert not controller._pending_pull_intos
            readable_byte_stream_controller_enqueue_chunk_to_queue(
                controller, transferred_buffer, byte_offset, byte_length
            )
        else:
            assert not controller._queue
            if controller._pending_pull_intos:
                assert controller._pending_pull_intos[0].reader_type == "default"
                readable_byte_stream_controller_shift_pending_pull_into(controller)
            readable_stream_fulfill_read_request(stream, transferred_buffer, False)
    elif isinstance(reader, ReadableStreamBYOBReader):
        readable_byte_stream_controller_enqueue_chunk_to_queue(
            controller, transferred_buffer, byte_offset, byte_length
        )
        filled_pull_intos = (
            readable_byte_stream_controller_process_pull_into_descriptors_using_queue(controller)
        )
        for filled_pull_into in filled_pull_intos:
            readable_byte_stream_controller_commit_pull_into_descriptor(stream, filled_pull_into)
    else:
        assert not is_readable_stream_locked(stream)
        readable_byte_stream_controller_enqueue_chunk_to_queue(
            controller, transferred_buffer, byte_offset, byte_length
        )
    readable_byte_stream_controller_call_pull_if_needed(controller)


def readable_byte_stream_controller_enqueue_chunk_to_queue(
    controller: ReadableByteStreamController, buffer: bytes, byte_offset: int, byte_length: int
) -> None:
    """[ReadableByteStreamControllerEnqueueChunkToQueue] https://streams.spec.whatwg.org/#readable-byte-stream-controller-enqueue-chunk-to-queue"""
    controller._queue.append((buffer, byte_offset, byte_length))
    controller._queue_total_size += byte_length


def readable_byte_stream_controller_enqueue_cloned_chunk_to_queue(
    controller: ReadableByteStreamController,
    buffer: memoryview,
    byte_offset: int,
    byte_length: int,
) -> None:
    """[ReadableByteStreamControllerEnqueueClonedChunkToQueue] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamcontrollerenqueueclonedchunktoqueue"""
    try:
        cloned_chunk = buffer[byte_offset : byte_offset + byte_length].tobytes()
    except MemoryError as clone_e:
        readable_byte_stream_controller_error(controller, clone_e)
        raise
    readable_byte_stream_controller_enqueue_chunk_to_queue(
        controller, cloned_chunk, 0, byte_length
    )


def readable_byte_stream_controller_enqueue_detached_pull_into_to_queue(
    controller: ReadableByteStreamController, first_descriptor: PullIntoDescriptor
) -> None:
    """[ReadableByteStreamControllerEnqueueDetachedPullIntoToQueue] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamcontrollerenqueuedetachedpullintotoqueue"""
    assert first_descriptor.reader_type == "none"
    if first_descriptor.bytes_filled > 0:
        readable_byte_stream_controller_enqueue_cloned_chunk_to_queue(
            controller,
            first_descriptor.buffer,
            first_descriptor.byte_offset,
            first_descriptor.bytes_filled,
        )
    readable_byte_stream_controller_shift_pending_pull_into(controller)


def readable_byte_stream_controller_error(
    controller: ReadableByteStreamController, e: object
) -> None:
    """[ReadableByteStreamControllerError] https://streams.spec.whatwg.org/#readable-byte-stream-controller-error"""
    stream = controller._stream
    if stream._state != "readable":
        return
    readable_byte_stream_controller_clear_pending_pull_intos(controller)
    controller._queue.clear()
    controller._queue_total_size = 0
    readable_byte_stream_controller_clear_algorithms(controller)
    readable_stream_error(stream, e)


def readable_byte_stream_controller_fill_head_pull_into_descriptor(
    controller: ReadableByteStreamController, size: int, pull_into_descriptor: PullIntoDescriptor
) -> None:
    """[ReadableByteStreamControllerFillHeadPullIntoDescriptor] https://streams.spec.whatwg.org/#readable-byte-stream-controller-fill-head-pull-into-descriptor"""
    assert (
        not controller._pending_pull_intos
        or controller._pending_pull_intos[0] is pull_into_descriptor
    )
    assert controller._byob_request is None
    pull_into_descriptor.bytes_filled += size


def readable_byte_stream_controller_fill_pull_into_descriptor_from_queue(
    controller: ReadableByteStreamController, pull_into_descriptor: PullIntoDescriptor
) -> bool:
    """[ReadableByteStreamControllerFillPullIntoDescriptorFromQueue] https://streams.spec.whatwg.org/#readable-byte-stream-controller-fill-pull-into-descriptor-from-queue"""
    max_bytes_to_copy = min(
        controller._queue_total_size,
        pull_into_descriptor.byte_length - pull_into_descriptor.bytes_filled,
    )
    max_bytes_filled = pull_into_descriptor.bytes_filled + max_bytes_to_copy
    total_bytes_to_copy_remaining = max_bytes_to_copy
    ready = False
    assert pull_into_descriptor.bytes_filled < pull_into_descriptor.minimum_fill
    remainder_bytes = max_bytes_filled % pull_into_descriptor.element_size
    max_aligned_bytes = max_bytes_filled - remainder_bytes
    # A read not yet filled up to its minimum stays at the head of the pending reads, so
    # the underlying source can keep filling it.
    if max_aligned_bytes >= pull_into_descriptor.minimum_fill:
        total_bytes_to_copy_remaining = max_aligned_bytes - pull_into_descriptor.bytes_filled
        ready = True
    queue = controller._queue
    descriptor_buffer = pull_into_descriptor.buffer
    while total_bytes_to_copy_remaining > 0:
        queue_buffer, queue_byte_offset, queue_byte_length = queue[0]
        bytes_to_copy = min(total_bytes_to_copy_remaining, queue_byte_length)
        dest_start = pull_into_descriptor.byte_offset + pull_into_descriptor.bytes_filled
        # CopyDataBlockBytes
        descriptor_buffer[dest_start : dest_start + bytes_to_copy] = memoryview(queue_buffer)[
            queue_byte_offset : queue_byte_offset + bytes_to_copy
        ]
        if queue_byte_length == bytes_to_copy:
            queue.popleft()
        else:
            queue[0] = (
                queue_buffer,
                queue_byte_offset + bytes_to_copy,
                queue_byte_length - bytes_to_copy,
            )
        controller._queue_total_size -= bytes_to_copy
        readable_byte_stream_controller_fill_head_pull_into_descriptor(
            controller, bytes_to_copy, pull_into_descriptor
        )
        total_bytes_to_copy_remaining -= bytes_to_copy
    if not ready:
        assert controller._queue_total_size == 0
        assert pull_into_descriptor.bytes_filled > 0
        assert pull_into_descriptor.bytes_filled < pull_into_descriptor.minimum_fill
    return ready


def readable_byte_stream_controller_fill_read_request_from_queue(
    controller: ReadableByteStreamController, read_request: ReadRequest[bytes]
) -> None:
    """[ReadableByteStreamControllerFillReadRequestFromQueue] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamcontrollerfillreadrequestfromqueue"""
    assert controller._queue_total_size > 0
    buffer, byte_offset, byte_length = controller._queue.popleft()
    controller._queue_total_size -= byte_length
    readable_byte_stream_controller_handle_queue_drain(controller)
    if byte_offset != 0 or byte_length != len(buffer):
        buffer = buffer[byte_offset : byte_offset + byte_length]
    read_request.chunk_steps(buffer)


def readable_byte_stream_controller_get_desired_size(
    controller: ReadableByteStreamController,
) -> float | None:
    """[ReadableByteStreamControllerGetDesiredSize] https://streams.spec.whatwg.org/#readable-byte-stream-controller-get-desired-size"""
    state = controller._stream._state
    if state == "errored":
        return None
    if state == "closed":
        return 0
    return controller._strategy_hwm - controller._queue_total_size


def readable_byte_stream_controller_handle_queue_drain(
    controller: ReadableByteStreamController,
) -> None:
    """[ReadableByteStreamControllerHandleQueueDrain] https://streams.spec.whatwg.org/#readable-byte-stream-controller-handle-queue-drain"""
    assert controller._stream._state == "readable"
    if controller._queue_total_size == 0 and controller._close_requested:
        readable_byte_stream_controller_clear_algorithms(controller)
        readable_stream_close(controller._stream)
    else:
        readable_byte_stream_controller_call_pull_if_needed(controller)


def readable_byte_stream_controller_process_pull_into_descriptors_using_queue(
    controller: ReadableByteStreamController,
) -> list[PullIntoDescriptor]:
    """[ReadableByteStreamControllerProcessPullIntoDescriptorsUsingQueue] https://streams.spec.whatwg.org/#readable-byte-stream-controller-process-pull-into-descriptors-using-queue"""
    assert not controller._close_requested
    filled_pull_intos: list[PullIntoDescriptor] = []
    while controller._pending_pull_intos:
        if controller._queue_total_size == 0:
            break
        forget_abandoned_reads(controller, filled=len(filled_pull_intos))
        if not controller._pending_pull_intos:
            break
        pull_into_descriptor = controller._pending_pull_intos[0]
        assert pull_into_descriptor.reader_type != "none"
        if readable_byte_stream_controller_fill_pull_into_descriptor_from_queue(
            controller, pull_into_descriptor
        ):
            readable_byte_stream_controller_shift_pending_pull_into(controller)
            filled_pull_intos.append(pull_into_descriptor)
    return filled_pull_intos


def readable_byte_stream_controller_process_read_requests_using_queue(
    controller: ReadableByteStreamController,
) -> None:
    """[ReadableByteStreamControllerProcessReadRequestsUsingQueue] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamcontrollerprocessreadrequestsusingqueue"""
    reader = controller._stream._reader
    assert isinstance(reader, ReadableStreamDefaultReader)
    while reader._read_requests:
        if controller._queue_total_size == 0:
            return
        read_request = reader._read_requests.popleft()
        if request_is_abandoned(read_request):
            continue  # not in the spec: its caller cancelled the read
        readable_byte_stream_controller_fill_read_request_from_queue(controller, read_request)


def readable_byte_stream_controller_shift_pending_pull_into(
    controller: ReadableByteStreamController,
) -> PullIntoDescriptor:
    """[ReadableByteStreamControllerShiftPendingPullInto] https://streams.spec.whatwg.org/#readable-byte-stream-controller-shift-pending-pull-into"""
    assert controller._byob_request is None
    return controller._pending_pull_intos.popleft()


def readable_byte_stream_controller_should_call_pull(
    controller: ReadableByteStreamController,
) -> bool:
    """[ReadableByteStreamControllerShouldCallPull] https://streams.spec.whatwg.org/#readable-byte-stream-controller-should-call-pull"""
    stream = controller._stream
    if stream._state is not READABLE:
        return False
    if controller._close_requested:
        return False
    if not controller._started:
        return False
    # Steps 5-7 with ReadableStreamHasDefaultReader, ReadableStreamGetNumReadRequests,
    # their BYOB counterparts and GetDesiredSize inlined (the stream is readable): this
    # runs on every read.
    reader = stream._reader
    if reader is not None:
        if type(reader) is ReadableStreamDefaultReader:
            if reader._read_requests:
                return True
        elif reader._read_into_requests:
            return True
    return controller._strategy_hwm - controller._queue_total_size > 0


def set_up_readable_byte_stream_controller(
    stream: ReadableStream[bytes],
    controller: ReadableByteStreamController,
    start_algorithm: StartAlgorithm,
    pull_algorithm: PullAlgorithm,
    cancel_algorithm: CancelAlgorithm,
    high_water_mark: float,
    auto_allocate_chunk_size: int | None,
    *,
    settle_sync_pulls_at_once: bool = False,
    fill_now: FillNow | None = None,
) -> None:
    """[SetUpReadableByteStreamController] https://streams.spec.whatwg.org/#set-up-readable-byte-stream-controller

    Not in the spec: with ``settle_sync_pulls_at_once``, a pull algorithm that returns
    ``None`` counts as done when it returns. The steps upon fulfillment of its promise
    (clear [[pulling]], pull again if asked to meanwhile) then run at once instead of one
    turn later, which saves a loop callback per pull. What changes is only when a pull
    asked for while another is "in flight" happens: at once, rather than after that turn.
    Ask for it only for a pull algorithm that no one else can observe and that may run
    again at any time (a socket's, which resumes reading), not for a user's source.

    Not in the spec either: ``fill_now(view)`` lets a source in another layer (a
    socket's) answer a read into a buffer without a pull-into descriptor. When such a
    read would add its descriptor and pull (the stream readable and started, nothing
    queued or pending, no pull under way), ``fill_now`` is called first with a byte view
    of the reader's buffer; it writes what its pull would respond with now and returns
    how many bytes (0 for none). If that is the read's minimum or more, the read completes
    with them at once, as pull-then-respond would have; otherwise it goes on as the spec
    says, the bytes already written counted as filled. ``fill_now`` must not touch the
    stream or the controller.

    Raises:
        Exception: whatever ``start_algorithm`` raised.
    """
    assert not hasattr(stream, "_controller")
    if auto_allocate_chunk_size is not None:
        assert isinstance(auto_allocate_chunk_size, int)
        assert auto_allocate_chunk_size > 0
    controller._stream = stream
    controller._pull_again = False
    controller._pulling = False
    controller._byob_request = None
    controller._queue = deque()
    controller._queue_total_size = 0
    controller._close_requested = False
    controller._started = False
    controller._strategy_hwm = high_water_mark
    controller._pull_algorithm = pull_algorithm
    controller._cancel_algorithm = cancel_algorithm
    controller._auto_allocate_chunk_size = auto_allocate_chunk_size
    controller._pending_pull_intos = deque()
    controller._settles_sync_pulls_at_once = settle_sync_pulls_at_once
    controller._fill_now = fill_now
    stream._controller = controller
    start_result = start_algorithm()
    react_to_algorithm(
        start_result, controller._on_start_fulfilled, controller._on_pull_or_start_rejected
    )


def set_up_readable_byte_stream_controller_from_underlying_source(
    stream: ReadableStream[bytes],
    underlying_source: UnderlyingSourceRecord,
    high_water_mark: float,
) -> None:
    """[SetUpReadableByteStreamControllerFromUnderlyingSource] https://streams.spec.whatwg.org/#set-up-readable-byte-stream-controller-from-underlying-source

    Raises:
        TypeError: ``auto_allocate_chunk_size`` is 0.
    """
    controller = ReadableByteStreamController.__new__(ReadableByteStreamController)
    start_algorithm, pull_algorithm, cancel_algorithm = source_algorithms(
        underlying_source, controller
    )
    auto_allocate_chunk_size = underlying_source.auto_allocate_chunk_size
    if auto_allocate_chunk_size == 0:
        raise TypeError("auto_allocate_chunk_size must be greater than 0, got 0")
    set_up_readable_byte_stream_controller(
        stream,
        controller,
        start_algorithm,
        pull_algorithm,
        cancel_algorithm,
        high_water_mark,
        auto_allocate_chunk_size,
    )


def _return_none(*_args: object) -> None:
    return None


# See readable_stream.py for why these imports come last.
from . import default_reader  # noqa: E402
from .byob_reader import ReadableStreamBYOBReader  # noqa: E402
from .byob_request import (  # noqa: E402
    PullIntoDescriptor,
    ReadableStreamBYOBRequest,
    forget_abandoned_reads,
    readable_byte_stream_controller_commit_pull_into_descriptor,
    readable_byte_stream_controller_invalidate_byob_request,
)
from .default_controller import (  # noqa: E402
    algorithm_promise,
    react_to_algorithm,
    source_algorithms,
)
from .default_reader import (  # noqa: E402
    NO_CHUNK,
    PromiseRequest,
    ReadableStreamDefaultReader,
    _DefaultReaderReadRequest,
    request_is_abandoned,
)
from .readable_stream import (  # noqa: E402
    READABLE,
    ReadableStream,
    is_readable_stream_locked,
    readable_stream_add_read_request,
    readable_stream_close,
    readable_stream_error,
    readable_stream_fulfill_read_request,
    readable_stream_get_num_read_requests,
    readable_stream_has_default_reader,
)

# ReadableStreamDefaultReader.read()'s fast path for a byte stream with nothing queued
# adds its read request and pulls itself (see default_reader.py).
default_reader._byte_call_pull_if_needed = readable_byte_stream_controller_call_pull_if_needed
