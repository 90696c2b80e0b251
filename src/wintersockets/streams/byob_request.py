"""``ReadableStreamBYOBRequest`` [rs-byob-request-class]: a pending read into a buffer.

https://streams.spec.whatwg.org/#rs-byob-request-class

An underlying byte source gets one from ``controller.byob_request`` while a read into a
buffer is pending (a BYOB reader's read, or a default read with
``auto_allocate_chunk_size``). It writes into ``view`` (``sock.recv_into(request.view)``,
say) and reports how much with ``respond(n)``.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, final

from ._underlying_source import enforce_range_unsigned

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from .byte_controller import PullIntoDescriptor, ReadableByteStreamController

__all__ = ["ReadableStreamBYOBRequest"]


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
        bytes_written = enforce_range_unsigned(bytes_written, "bytes_written")
        controller = self._controller
        if controller is None:
            raise TypeError(_INVALIDATED)
        assert self._view is not None
        assert self._view.nbytes > 0
        readable_byte_stream_controller_respond(controller, bytes_written)

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


# See readable_stream.py for why these imports come last.
from .byte_controller import (  # noqa: E402
    readable_byte_stream_controller_respond,
    readable_byte_stream_controller_respond_with_new_view,
)
