"""Reads into buffers: ``ReadableStreamBYOBRequest`` [rs-byob-request-class] and their ops.

https://streams.spec.whatwg.org/#rs-byob-request-class

An underlying byte source gets a BYOB request from ``controller.byob_request`` while a read
into a buffer is pending (a BYOB reader's read, or a default read with
``auto_allocate_chunk_size``). It writes into ``view`` (``sock.recv_into(request.view)``,
say) and reports how much with ``respond(n)``.

This module also holds the byte stream controller operations on pull-into descriptors
and BYOB requests (the spec's section "Byte stream controllers", split for size; the rest
is in ``byte_controller.py``), in the spec's order. See ``byte_controller.py`` for how
Python's buffers change the spec's transfers.
"""

from __future__ import annotations

import ctypes
from collections import deque
from typing import TYPE_CHECKING, Any, Literal, final

from ._types import ReadResult
from ._types import tuple_new as _tuple_new
from ._underlying_source import enforce_range_unsigned

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from .byob_reader import ReadIntoRequest
    from .byte_controller import FillNow, ReadableByteStreamController
    from .readable_stream import ReadableStream

__all__ = ["ReadableStreamBYOBRequest"]

ReaderType = Literal["default", "byob", "none"]


@final
class PullIntoDescriptor:
    """A [pull-into descriptor]: a pending read into a buffer.

    https://streams.spec.whatwg.org/#pull-into-descriptor

    ``buffer`` is a writable, one-dimensional byte ``memoryview``; ``view_format`` is the
    format of the view the result is cast back to (the spec's view constructor). The
    spec's [[bufferByteLength]] is ``buffer.nbytes``: nothing reads it, since a Python
    buffer is never transferred.
    """

    __slots__ = (
        "buffer",
        "byte_length",
        "byte_offset",
        "bytes_filled",
        "element_size",
        "minimum_fill",
        "reader_type",
        "view_format",
    )

    def __init__(
        self,
        buffer: memoryview,
        byte_offset: int,
        byte_length: int,
        minimum_fill: int,
        element_size: int,
        view_format: str,
        reader_type: ReaderType,
    ) -> None:
        self.buffer = buffer
        self.byte_offset = byte_offset
        self.byte_length = byte_length
        self.bytes_filled = 0
        self.minimum_fill = minimum_fill
        self.element_size = element_size
        self.view_format = view_format
        self.reader_type: ReaderType = reader_type


def cast_view(view: memoryview, view_format: str) -> memoryview:
    """``view`` cast to ``view_format`` (a native single-character format)."""
    return view.cast(view_format)  # type: ignore[call-overload,no-any-return]


def _address(view: memoryview) -> int:
    # The address of a writable view's first byte (empty views included).
    return ctypes.addressof((ctypes.c_char * 0).from_buffer(view))


def _offset_in_buffer(view: memoryview) -> tuple[int, int]:
    # The view's byte offset in the whole buffer of the object it views, and that
    # buffer's length: the [[ByteOffset]] and [[ViewedArrayBuffer]].[[ByteLength]] of a
    # JavaScript view.
    whole = memoryview(view.obj)
    return _address(view) - _address(whole), whole.nbytes


def new_view_is_in_place(descriptor: PullIntoDescriptor, view: memoryview) -> bool:
    """Check ``view`` for respond_with_new_view(), as the spec checks its offset and buffer.

    Python views cannot be transferred, so the check is on memory. Returns ``True`` when
    ``view`` starts where ``byob_request.view`` starts (the source wrote in place), and
    ``False`` when it is in another buffer of the same length at the same offset, as the
    spec allows: its bytes must then be copied into the reader's buffer.

    Raises:
        ValueError: ``view`` is read-only, starts at another offset, or views a buffer of
            another length (the spec's RangeError).
    """
    if view.readonly:
        raise ValueError(
            "respond_with_new_view() needs a writable view, such as byob_request.view[:n]"
        )
    start = descriptor.byte_offset + descriptor.bytes_filled
    target = descriptor.buffer[start:]
    if _address(view) == _address(target):
        return True
    view_offset, view_buffer_length = _offset_in_buffer(view)
    target_offset, target_buffer_length = _offset_in_buffer(target)
    if view_offset != target_offset:
        raise ValueError(
            f"the view starts at byte {view_offset} of its buffer, byob_request.view at "
            f"byte {target_offset}: respond with a view such as byob_request.view[:n]"
        )
    if view_buffer_length != target_buffer_length:
        raise ValueError(
            f"the view's buffer holds {view_buffer_length} bytes, byob_request.view's "
            f"{target_buffer_length}: respond with a view such as byob_request.view[:n]"
        )
    return False


def as_view(view: object, what: str) -> memoryview:
    """``view`` as a ``memoryview``.

    Raises:
        TypeError: ``view`` is not a bytes-like object.
    """
    if isinstance(view, memoryview):
        return view
    try:
        return memoryview(view)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what} must be a bytes-like object, got {type(view).__name__}") from None


@final
class ReadableStreamBYOBRequest:
    """A pending read into a buffer, as its underlying source sees it [ReadableStreamBYOBRequest].

    https://streams.spec.whatwg.org/#rs-byob-request-class

    It cannot be constructed directly. Once answered (or once the controller enqueues a
    chunk, or the stream closes or errors) it is invalidated: ``view`` is ``None`` and
    ``respond()`` raises.
    """

    __slots__ = ("_controller", "_view")

    _controller: ReadableByteStreamController | None
    _view: memoryview | None

    def __init__(self) -> None:
        raise TypeError(
            "ReadableStreamBYOBRequest cannot be constructed directly: "
            "get one from a byte stream controller's byob_request"
        )

    @property
    def view(self) -> memoryview | None:
        """A writable byte view of the free part of the reader's buffer [view].

        ``None`` once the request is invalidated. The same object on every access.
        """
        return self._view

    def respond(self, bytes_written: int) -> None:
        """Report that ``bytes_written`` bytes were written at the start of ``view`` [respond].

        https://streams.spec.whatwg.org/#rs-byob-request-respond

        On a closed stream, ``respond(0)`` hands the reader its buffer back empty.

        Raises:
            TypeError: the request was invalidated, ``bytes_written`` is not a non-negative
                integer, is 0 while the stream is readable, or is not 0 once it is closed.
            ValueError: ``bytes_written`` is more than ``view`` holds (the spec's
                RangeError).
        """
        if bytes_written.__class__ is not int or bytes_written < 0:
            bytes_written = enforce_range_unsigned(bytes_written, "bytes_written")
        controller = self._controller
        if controller is None:
            raise TypeError(_INVALIDATED)
        assert self._view is not None
        assert self._view.nbytes > 0
        respond_to_current_byob_request(controller, bytes_written)

    def respond_with_new_view(self, view: Buffer) -> None:
        """Report the bytes written as a view of the request's buffer [respondWithNewView].

        https://streams.spec.whatwg.org/#rs-byob-request-respond-with-new-view

        ``view`` starts where ``self.view`` starts (``request.view[:n]``, say), or is in
        another buffer of the same length at the same offset, whose bytes are then copied
        into the reader's buffer. On a closed stream it must be empty.

        Raises:
            TypeError: the request was invalidated, ``view`` is not bytes-like, is empty
                while the stream is readable, or not empty once it is closed.
            ValueError: ``view`` is read-only, at another offset, in a buffer of another
                length, or longer than ``self.view`` (the spec's RangeError).
        """
        new_view = as_view(view, "view")
        controller = self._controller
        if controller is None:
            raise TypeError(_INVALIDATED)
        readable_byte_stream_controller_respond_with_new_view(controller, new_view)


_INVALIDATED = (
    "this BYOB request was already answered or invalidated: "
    "get the current one from controller.byob_request"
)


# For other layers' underlying byte sources (not in the spec's operations) --------------------


def current_byob_request_view(controller: ReadableByteStreamController) -> memoryview | None:
    """[Current BYOB request view]: the free part of the first pending read's buffer, or ``None``.

    https://streams.spec.whatwg.org/#readablestream-current-byob-request-view

    For an underlying source in another layer (a socket's), which only writes into the
    view and answers with :func:`respond_to_current_byob_request`: no
    ``ReadableStreamBYOBRequest`` is made for it (only the source could see one). Use the
    view only until responding.
    """
    byob_request = controller._byob_request
    if byob_request is not None:
        return byob_request._view
    pending = controller._pending_pull_intos
    if not pending:
        return None
    descriptor = pending[0]
    start = descriptor.byte_offset + descriptor.bytes_filled
    return descriptor.buffer[start : descriptor.byte_offset + descriptor.byte_length]


def respond_to_current_byob_request(
    controller: ReadableByteStreamController, bytes_written: int
) -> None:
    """``byob_request.respond(bytes_written)``, for the current BYOB request (made or not).

    A read into a buffer must be pending; ``bytes_written`` is a non-negative ``int``.

    Raises:
        TypeError: ``bytes_written`` is 0 while the stream is readable, or not 0 once it is
            closed.
        ValueError: ``bytes_written`` is more than the view holds (the spec's RangeError).
    """
    # Fast path: the one pending read into a buffer, of a BYOB reader, filled to its
    # minimum with whole elements while the stream is readable (a socket's recv_into).
    # Collapses ReadableByteStreamControllerRespond, RespondInternal (with its
    # InvalidateBYOBRequest) and RespondInReadableState: FillHeadPullIntoDescriptor,
    # ShiftPendingPullInto, no remainder to clone, ProcessPullIntoDescriptorsUsingQueue
    # (nothing left pending, so nothing filled), CommitPullIntoDescriptor with
    # ConvertPullIntoDescriptor and ReadableStreamFulfillReadIntoRequest; then
    # CallPullIfNeeded. Anything else (errors included) takes the spec's path.
    pending = controller._pending_pull_intos
    descriptor = pending[0]
    filled = descriptor.bytes_filled + bytes_written
    stream = controller._stream
    if (
        bytes_written
        and filled >= descriptor.minimum_fill
        and filled <= descriptor.byte_length
        and len(pending) == 1
        and descriptor.reader_type == "byob"
        and stream._state is READABLE
        and filled % descriptor.element_size == 0
    ):
        # A "byob" descriptor means the stream's reader is the BYOB reader whose
        # first read-into request it serves.
        reader = stream._reader
        assert type(reader) is ReadableStreamBYOBReader
        requests = reader._read_into_requests
        request = requests[0]
        if not (isinstance(request, PromiseRequest) and request._promise.done()):
            byob_request = controller._byob_request
            if byob_request is not None:
                byob_request._controller = None
                byob_request._view = None
                controller._byob_request = None
            descriptor.bytes_filled = filled
            pending.popleft()
            start = descriptor.byte_offset
            view = descriptor.buffer[start : start + filled]
            if descriptor.view_format != "B":
                view = cast_view(view, descriptor.view_format)
            requests.popleft()
            if type(request) is _BYOBReaderReadIntoRequest:
                # The usual request, from read(): its chunk steps, inlined (its promise is
                # not done: checked above).
                request._promise.set_result(_tuple_new(ReadResult, (view, False)))
            else:
                request.chunk_steps(view)
            # CallPullIfNeeded, called only when ShouldCallPull can be true: a read waits,
            # or the desired size is positive.
            if requests or controller._strategy_hwm - controller._queue_total_size > 0:
                readable_byte_stream_controller_call_pull_if_needed(controller)
            return
    readable_byte_stream_controller_respond(controller, bytes_written)


# Byte stream controllers: reads into buffers -------------------------------------------------


def forget_abandoned_reads(
    controller: ReadableByteStreamController, keep_first: bool = False, filled: int = 0
) -> None:
    """Not in the spec: forget reads at the front whose futures their callers cancelled.

    Each abandoned read's pull-into descriptor goes too. Bytes already written into the
    first descriptor's buffer go back to the front of the queue. When the underlying source
    may still write into that buffer (a ``byob_request`` is out, or ``keep_first``), the
    descriptor stays, with reader type "none", as the spec's [[ReleaseSteps]] leave it, so
    what the source writes reaches the queue.

    ``filled`` counts the reads whose descriptors were already filled and shifted but not
    yet committed: their requests are still first in line, and are not looked at.
    """
    reader = controller._stream._reader
    if reader is None:
        return
    requests: deque[Any]
    if isinstance(reader, ReadableStreamDefaultReader):
        requests = reader._read_requests
    else:
        requests = reader._read_into_requests
    if len(requests) <= filled or not request_is_abandoned(requests[filled]):
        return
    pending = controller._pending_pull_intos
    index = 1 if pending and pending[0].reader_type == "none" else 0
    while len(requests) > filled and request_is_abandoned(requests[filled]):
        del requests[filled]
        if index >= len(pending):
            continue  # a default read without a descriptor
        if index > 0:
            del pending[index]  # never the head, so nothing was written into it
            continue
        descriptor = pending[0]
        if keep_first or controller._byob_request is not None:
            descriptor.reader_type = "none"
            index = 1
            continue
        pending.popleft()
        filled = descriptor.bytes_filled
        if filled > 0:
            start = descriptor.byte_offset
            buffer = descriptor.buffer[start : start + filled].tobytes()
            controller._queue.appendleft((buffer, 0, filled))
            controller._queue_total_size += filled


def readable_byte_stream_controller_commit_pull_into_descriptor(
    stream: ReadableStream[bytes], pull_into_descriptor: PullIntoDescriptor
) -> None:
    """[ReadableByteStreamControllerCommitPullIntoDescriptor] https://streams.spec.whatwg.org/#readable-byte-stream-controller-commit-pull-into-descriptor"""
    assert stream._state != "errored"
    assert pull_into_descriptor.reader_type != "none"
    done = False
    if stream._state == "closed":
        assert pull_into_descriptor.bytes_filled % pull_into_descriptor.element_size == 0
        done = True
    filled_view = readable_byte_stream_controller_convert_pull_into_descriptor(
        pull_into_descriptor
    )
    if pull_into_descriptor.reader_type == "default":
        readable_stream_fulfill_read_request(stream, filled_view, done)
    else:
        assert pull_into_descriptor.reader_type == "byob"
        assert isinstance(filled_view, memoryview)
        readable_stream_fulfill_read_into_request(stream, filled_view, done)


def readable_byte_stream_controller_convert_pull_into_descriptor(
    pull_into_descriptor: PullIntoDescriptor,
) -> memoryview | bytes:
    """[ReadableByteStreamControllerConvertPullIntoDescriptor] https://streams.spec.whatwg.org/#readable-byte-stream-controller-convert-pull-into-descriptor

    A view of the filled region of the caller's buffer, in the caller's format; ``bytes``
    for a default reader's automatically allocated buffer.
    """
    bytes_filled = pull_into_descriptor.bytes_filled
    element_size = pull_into_descriptor.element_size
    assert bytes_filled <= pull_into_descriptor.byte_length
    assert bytes_filled % element_size == 0
    start = pull_into_descriptor.byte_offset
    view = pull_into_descriptor.buffer[start : start + bytes_filled]
    if pull_into_descriptor.reader_type == "default":
        return view.tobytes()
    if pull_into_descriptor.view_format != "B":
        return cast_view(view, pull_into_descriptor.view_format)
    return view


def readable_byte_stream_controller_get_byob_request(
    controller: ReadableByteStreamController,
) -> ReadableStreamBYOBRequest | None:
    """[ReadableByteStreamControllerGetBYOBRequest] https://streams.spec.whatwg.org/#abstract-opdef-readablebytestreamcontrollergetbyobrequest"""
    if controller._byob_request is None and controller._pending_pull_intos:
        first_descriptor = controller._pending_pull_intos[0]
        start = first_descriptor.byte_offset + first_descriptor.bytes_filled
        end = first_descriptor.byte_offset + first_descriptor.byte_length
        view = first_descriptor.buffer[start:end]
        byob_request = ReadableStreamBYOBRequest.__new__(ReadableStreamBYOBRequest)
        byob_request._controller = controller
        byob_request._view = view
        controller._byob_request = byob_request
    return controller._byob_request


def readable_byte_stream_controller_invalidate_byob_request(
    controller: ReadableByteStreamController,
) -> None:
    """[ReadableByteStreamControllerInvalidateBYOBRequest] https://streams.spec.whatwg.org/#readable-byte-stream-controller-invalidate-byob-request"""
    byob_request = controller._byob_request
    if byob_request is None:
        return
    byob_request._controller = None
    byob_request._view = None
    controller._byob_request = None


def idle_fill_now(controller: ReadableByteStreamController) -> FillNow | None:
    """Not in the spec: the source's ``fill_now``, if a read into a buffer may ask it now.

    That is when the read would otherwise add its descriptor and pull (see
    ``set_up_readable_byte_stream_controller``): the stream readable and started, nothing
    queued or pending, no pull under way and no close requested.
    """
    fill_now = controller._fill_now
    if (
        fill_now is not None
        and controller._stream._state is READABLE
        and not controller._queue_total_size
        and not controller._pending_pull_intos
        and controller._started
        and not controller._pulling
        and not controller._close_requested
    ):
        return fill_now
    return None


def readable_byte_stream_controller_pull_into(
    controller: ReadableByteStreamController,
    view: memoryview,
    min: int,
    read_into_request: ReadIntoRequest,
    filled_now: int = 0,
) -> None:
    """[ReadableByteStreamControllerPullInto] https://streams.spec.whatwg.org/#readable-byte-stream-controller-pull-into

    ``view`` is a writable, C-contiguous ``memoryview`` of the caller's buffer; ``min``
    counts its elements. ``filled_now`` (not in the spec): bytes the source's
    ``fill_now`` already wrote at the start of a byte ``view``, short of ``min``.
    """
    stream = controller._stream
    element_size = view.itemsize
    total = controller._queue_total_size
    if (
        total >= min
        and element_size == 1
        and not controller._pending_pull_intos
        and stream._state is READABLE
    ):
        # Fast path: bytes enough for the read are queued and no other read into a buffer
        # waits (a socket's queue read in pieces). Collapses the steps of this function that
        # run then, without a pull-into descriptor: FillPullIntoDescriptorFromQueue (whole
        # bytes, so no alignment), ConvertPullIntoDescriptor, HandleQueueDrain and the
        # read-into request's chunk steps.
        buffer = view.cast("B")
        filled = buffer.nbytes if buffer.nbytes < total else total
        queue = controller._queue
        position = 0
        while position < filled:
            queue_buffer, queue_byte_offset, queue_byte_length = queue[0]
            bytes_to_copy = filled - position
            if bytes_to_copy >= queue_byte_length:
                bytes_to_copy = queue_byte_length
                queue.popleft()
            else:
                queue[0] = (
                    queue_buffer,
                    queue_byte_offset + bytes_to_copy,
                    queue_byte_length - bytes_to_copy,
                )
            buffer[position : position + bytes_to_copy] = memoryview(queue_buffer)[
                queue_byte_offset : queue_byte_offset + bytes_to_copy
            ]
            position += bytes_to_copy
        controller._queue_total_size = total - filled
        result = buffer[:filled]
        if view.format != "B":
            result = cast_view(result, view.format)
        readable_byte_stream_controller_handle_queue_drain(controller)
        read_into_request.chunk_steps(result)
        return
    minimum_fill = min * element_size
    byte_length = view.nbytes
    assert element_size <= minimum_fill <= byte_length
    assert minimum_fill % element_size == 0
    # TransferArrayBuffer(view.[[ViewedArrayBuffer]]) cannot be done in Python: the read
    # fills the caller's buffer through a byte view of it.
    buffer = view.cast("B")
    view_format = view.format
    filled = filled_now
    fill_now = None if filled or element_size != 1 else idle_fill_now(controller)
    if fill_now is not None:
        # Not in the spec: the source answers now what its pull would (see
        # set_up_readable_byte_stream_controller); the steps below would add the
        # descriptor, pull, and have the pull respond with these bytes.
        filled = fill_now(buffer)
        if filled >= minimum_fill:
            result = buffer[:filled]
            if view_format != "B":
                result = cast_view(result, view_format)
            read_into_request.chunk_steps(result)
            return
    pull_into_descriptor = PullIntoDescriptor(
        buffer, 0, byte_length, minimum_fill, element_size, view_format, "byob"
    )
    pull_into_descriptor.bytes_filled = filled
    pending = controller._pending_pull_intos
    if pending:
        forget_abandoned_reads(controller)  # removes from `pending` in place
    if pending:
        pending.append(pull_into_descriptor)
        # No CallPullIfNeeded: the desired size did not change, and the source already knows
        # that at least one read into a buffer is pending.
        readable_stream_add_read_into_request(stream, read_into_request)
        return
    if stream._state is CLOSED:
        empty_view = buffer[0:0]
        if view_format != "B":
            empty_view = cast_view(empty_view, view_format)
        read_into_request.close_steps(empty_view)
        return
    if controller._queue_total_size > 0:
        if readable_byte_stream_controller_fill_pull_into_descriptor_from_queue(
            controller, pull_into_descriptor
        ):
            filled_view = readable_byte_stream_controller_convert_pull_into_descriptor(
                pull_into_descriptor
            )
            assert isinstance(filled_view, memoryview)
            readable_byte_stream_controller_handle_queue_drain(controller)
            read_into_request.chunk_steps(filled_view)
            return
        if controller._close_requested:
            e = TypeError(
                "the stream is closing with too few bytes left to fill the read's minimum"
            )
            readable_byte_stream_controller_error(controller, e)
            read_into_request.error_steps(e)
            return
    pending.append(pull_into_descriptor)
    # ReadableStreamAddReadIntoRequest, inlined: the reader is a BYOB reader (this is its
    # read) and the stream is readable.
    reader = stream._reader
    assert type(reader) is ReadableStreamBYOBReader
    reader._read_into_requests.append(read_into_request)
    readable_byte_stream_controller_call_pull_if_needed(controller)


def readable_byte_stream_controller_respond(
    controller: ReadableByteStreamController, bytes_written: int
) -> None:
    """[ReadableByteStreamControllerRespond] https://streams.spec.whatwg.org/#readable-byte-stream-controller-respond

    Raises:
        TypeError: ``bytes_written`` is 0 while the stream is readable, or not 0 once it
            is closed.
        ValueError: ``bytes_written`` is more than the request's view holds (the spec's
            RangeError).
    """
    assert controller._pending_pull_intos
    first_descriptor = controller._pending_pull_intos[0]
    state = controller._stream._state
    if state == "closed":
        if bytes_written != 0:
            raise TypeError(
                f"respond() on a closed stream takes 0 bytes written, got {bytes_written!r}"
            )
    else:
        assert state == "readable"
        if bytes_written == 0:
            raise TypeError(
                "respond(0) is only for a closed stream: "
                "pass the number of bytes written into the view"
            )
        remaining = first_descriptor.byte_length - first_descriptor.bytes_filled
        if bytes_written > remaining:
            raise ValueError(
                f"bytes written must be at most the view's {remaining} bytes, "
                f"got {bytes_written!r}"
            )
    # firstDescriptor's buffer is not transferred: see the module docstring.
    readable_byte_stream_controller_respond_internal(controller, bytes_written)


def readable_byte_stream_controller_respond_in_closed_state(
    controller: ReadableByteStreamController, first_descriptor: PullIntoDescriptor
) -> None:
    """[ReadableByteStreamControllerRespondInClosedState] https://streams.spec.whatwg.org/#readable-byte-stream-controller-respond-in-closed-state"""
    assert first_descriptor.bytes_filled % first_descriptor.element_size == 0
    if first_descriptor.reader_type == "none":
        readable_byte_stream_controller_shift_pending_pull_into(controller)
    stream = controller._stream
    if readable_stream_has_byob_reader(stream):
        filled_pull_intos: list[PullIntoDescriptor] = []
        while len(filled_pull_intos) < readable_stream_get_num_read_into_requests(stream):
            pull_into_descriptor = readable_byte_stream_controller_shift_pending_pull_into(
                controller
            )
            filled_pull_intos.append(pull_into_descriptor)
        for filled_pull_into in filled_pull_intos:
            readable_byte_stream_controller_commit_pull_into_descriptor(stream, filled_pull_into)


def readable_byte_stream_controller_respond_in_readable_state(
    controller: ReadableByteStreamController,
    bytes_written: int,
    pull_into_descriptor: PullIntoDescriptor,
) -> None:
    """[ReadableByteStreamControllerRespondInReadableState] https://streams.spec.whatwg.org/#readable-byte-stream-controller-respond-in-readable-state"""
    assert pull_into_descriptor.bytes_filled + bytes_written <= pull_into_descriptor.byte_length
    readable_byte_stream_controller_fill_head_pull_into_descriptor(
        controller, bytes_written, pull_into_descriptor
    )
    stream = controller._stream
    if pull_into_descriptor.reader_type == "none":
        readable_byte_stream_controller_enqueue_detached_pull_into_to_queue(
            controller, pull_into_descriptor
        )
        filled_pull_intos = (
            readable_byte_stream_controller_process_pull_into_descriptors_using_queue(controller)
        )
        for filled_pull_into in filled_pull_intos:
            readable_byte_stream_controller_commit_pull_into_descriptor(stream, filled_pull_into)
        return
    if pull_into_descriptor.bytes_filled < pull_into_descriptor.minimum_fill:
        # A read not yet filled up to its minimum stays at the head of the pending reads,
        # so the underlying source can keep filling it.
        return
    readable_byte_stream_controller_shift_pending_pull_into(controller)
    remainder_size = pull_into_descriptor.bytes_filled % pull_into_descriptor.element_size
    if remainder_size > 0:
        end = pull_into_descriptor.byte_offset + pull_into_descriptor.bytes_filled
        readable_byte_stream_controller_enqueue_cloned_chunk_to_queue(
            controller, pull_into_descriptor.buffer, end - remainder_size, remainder_size
        )
    pull_into_descriptor.bytes_filled -= remainder_size
    filled_pull_intos = readable_byte_stream_controller_process_pull_into_descriptors_using_queue(
        controller
    )
    readable_byte_stream_controller_commit_pull_into_descriptor(stream, pull_into_descriptor)
    for filled_pull_into in filled_pull_intos:
        readable_byte_stream_controller_commit_pull_into_descriptor(stream, filled_pull_into)


def readable_byte_stream_controller_respond_internal(
    controller: ReadableByteStreamController, bytes_written: int
) -> None:
    """[ReadableByteStreamControllerRespondInternal] https://streams.spec.whatwg.org/#readable-byte-stream-controller-respond-internal"""
    # Not in the spec: if the caller abandoned the read being responded to, what the source
    # wrote goes to the queue, as for a released reader.
    forget_abandoned_reads(controller, keep_first=True)
    first_descriptor = controller._pending_pull_intos[0]
    readable_byte_stream_controller_invalidate_byob_request(controller)
    state = controller._stream._state
    if state == "closed":
        assert bytes_written == 0
        readable_byte_stream_controller_respond_in_closed_state(controller, first_descriptor)
    else:
        assert state == "readable"
        assert bytes_written > 0
        readable_byte_stream_controller_respond_in_readable_state(
            controller, bytes_written, first_descriptor
        )
    readable_byte_stream_controller_call_pull_if_needed(controller)


def readable_byte_stream_controller_respond_with_new_view(
    controller: ReadableByteStreamController, view: memoryview
) -> None:
    """[ReadableByteStreamControllerRespondWithNewView] https://streams.spec.whatwg.org/#readable-byte-stream-controller-respond-with-new-view

    ``view`` starts where ``byob_request.view`` starts, or is in another buffer of the
    same length at the same offset (its bytes are then copied into the reader's buffer).

    Raises:
        TypeError: the view is empty while the stream is readable, or not empty once it is
            closed.
        ValueError: the view is at another offset, in a buffer of another length, or
            longer than the request (the spec's RangeError).
    """
    assert controller._pending_pull_intos
    first_descriptor = controller._pending_pull_intos[0]
    state = controller._stream._state
    view_byte_length = view.nbytes
    if state == "closed":
        if view_byte_length != 0:
            raise TypeError(
                "respond_with_new_view() on a closed stream takes an empty view, "
                f"got {view_byte_length} bytes"
            )
    else:
        assert state == "readable"
        if view_byte_length == 0:
            raise TypeError(
                "respond_with_new_view() on a readable stream takes a view of the bytes "
                "written, got an empty view"
            )
    in_place = new_view_is_in_place(first_descriptor, view)
    if first_descriptor.bytes_filled + view_byte_length > first_descriptor.byte_length:
        raise ValueError(
            f"the view holds {view_byte_length} bytes, more than byob_request.view's "
            f"{first_descriptor.byte_length - first_descriptor.bytes_filled}"
        )
    if not in_place:
        # firstDescriptor.[[buffer]] = TransferArrayBuffer(view.[[ViewedArrayBuffer]]): the
        # reader keeps its own buffer, so the bytes move instead.
        start = first_descriptor.byte_offset + first_descriptor.bytes_filled
        first_descriptor.buffer[start : start + view_byte_length] = view.cast("B")
    readable_byte_stream_controller_respond_internal(controller, view_byte_length)


# See readable_stream.py for why these imports come last.
from .byob_reader import ReadableStreamBYOBReader, _BYOBReaderReadIntoRequest  # noqa: E402
from .byte_controller import (  # noqa: E402
    readable_byte_stream_controller_call_pull_if_needed,
    readable_byte_stream_controller_enqueue_cloned_chunk_to_queue,
    readable_byte_stream_controller_enqueue_detached_pull_into_to_queue,
    readable_byte_stream_controller_error,
    readable_byte_stream_controller_fill_head_pull_into_descriptor,
    readable_byte_stream_controller_fill_pull_into_descriptor_from_queue,
    readable_byte_stream_controller_handle_queue_drain,
    readable_byte_stream_controller_process_pull_into_descriptors_using_queue,
    readable_byte_stream_controller_shift_pending_pull_into,
)
from .default_reader import (  # noqa: E402
    PromiseRequest,
    ReadableStreamDefaultReader,
    request_is_abandoned,
)
from .readable_stream import (  # noqa: E402
    CLOSED,
    READABLE,
    readable_stream_add_read_into_request,
    readable_stream_fulfill_read_into_request,
    readable_stream_fulfill_read_request,
    readable_stream_get_num_read_into_requests,
    readable_stream_has_byob_reader,
)
