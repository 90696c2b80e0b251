"""Piping a readable stream into a writable stream [ReadableStreamPipeTo].

https://streams.spec.whatwg.org/#readable-stream-pipe-to

``ReadableStream.pipe_to()`` and ``pipe_through()`` check their arguments, then call
:func:`readable_stream_pipe_to`. The spec leaves the loop's shape to the implementation
("the exact manner in which this happens is not observable"); this one keeps its state in
one :class:`_Pipe` object that is also the read request, so moving a chunk allocates no
closure: a chunk that arrives synchronously is written at once and the next read follows
in the same turn, for as long as the destination's desired size is positive; otherwise the
pipe waits for ``writer.ready`` with a bound method.

Fast paths, none of which anyone but the pipe can observe beyond the sink and source
callbacks being called sooner (never re-entrantly, never more than backpressure allows):

* a write that the sink takes synchronously settles at once, with no future made
  (``writable_stream_pipe_write``), so the desired size is back up for the next read;
* a read with nothing queued adds the pipe's read request and pulls directly, and a
  ``ReadableStream.from_()`` of a plain iterator, once piped, pulls its next value at once
  (see ``readable_stream_default_controller_call_pull_if_needed``);
* since chunks can then flow without any loop turn, the pipe moves at most
  ``_CHUNKS_PER_TURN`` of them in a row before letting the loop run other callbacks.

Cancelling the returned future (as ``asyncio.wait_for`` does on timeout) stops the pipe as
an aborted signal would, with an :class:`AbortError` saying the pipe was cancelled: the
destination is aborted unless ``prevent_abort``, the source cancelled unless
``prevent_cancel``, and the reader and writer are released once that is done.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, final

from ._promises import (
    new_promise,
    promise_resolved_with,
    reject_promise,
    resolve_promise,
    upon_fulfillment,
    upon_promise,
    upon_rejection,
)
from .abort_signal import AbortError
from .default_controller import (
    ReadableStreamDefaultController,
    readable_stream_default_controller_call_pull_if_needed,
)
from .default_reader import (
    readable_stream_default_reader_read,
    readable_stream_default_reader_release,
)
from .readable_stream import (
    READABLE,
    ReadableStream,
    acquire_readable_stream_default_reader,
    is_readable_stream_locked,
    readable_stream_cancel,
)
from .writable_controller import writable_stream_pipe_write
from .writable_stream import (
    CLOSED,
    ERRORED,
    WRITABLE,
    WritableStream,
    acquire_writable_stream_default_writer,
    is_writable_stream_locked,
    writable_stream_abort,
    writable_stream_close_queued_or_in_flight,
)
from .writer import (
    ready_promise,
    writable_stream_default_writer_close_with_error_propagation,
    writable_stream_default_writer_release,
    writable_stream_default_writer_write,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from .abort_signal import AbortSignal
    from .default_reader import ReadableStreamDefaultReader
    from .writer import WritableStreamDefaultWriter

__all__: list[str] = []

_NO_ERROR: Any = object()

# How many chunks a pipe moves in a row before it lets the loop run other callbacks. Reads
# of queued chunks and writes that settle at once (see writable_stream_pipe_write) need no
# loop turn, so without a bound a pipe from a long synchronous source into a synchronous
# sink would hold the loop until it ended.
_CHUNKS_PER_TURN = 128


def readable_stream_pipe_to(
    source: ReadableStream[Any],
    dest: WritableStream,
    prevent_close: bool,
    prevent_abort: bool,
    prevent_cancel: bool,
    signal: AbortSignal | None = None,
) -> asyncio.Future[None]:
    """[ReadableStreamPipeTo] https://streams.spec.whatwg.org/#readable-stream-pipe-to

    Both streams must be unlocked; the caller (``pipe_to``/``pipe_through``) checks.

    Returns:
        A future that resolves once the pipe has finished, or rejects with the error that
        stopped it. Cancelling it stops the pipe (see the module docstring).
    """
    assert isinstance(source, ReadableStream)
    assert isinstance(dest, WritableStream)
    assert not is_readable_stream_locked(source)
    assert not is_writable_stream_locked(dest)
    # A byte stream may be read with a default reader too ("at the user agent's discretion").
    reader = acquire_readable_stream_default_reader(source)
    writer = acquire_writable_stream_default_writer(dest)
    source._disturbed = True
    promise: asyncio.Future[None] = new_promise()
    source_controller = source._controller
    if type(source_controller) is ReadableStreamDefaultController:
        # ReadableStream.from_() over a plain iterator: its pulls may settle at once now
        # that only this pipe reads (see readable_stream_default_controller_call_pull_if_needed).
        source_controller._settles_sync_pulls_at_once = source_controller._sync_pulls_when_piped
    pipe = _Pipe(
        source, dest, reader, writer, prevent_close, prevent_abort, prevent_cancel, signal, promise
    )
    promise.add_done_callback(pipe._on_promise_done)
    if signal is not None:
        if signal.aborted:
            pipe._abort_algorithm()
            return promise
        signal.add_algorithm(pipe._abort_algorithm)
    pipe._watch_states()
    pipe._pump()
    return promise


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _handle(future: asyncio.Future[Any]) -> None:
    # Mark a write's future handled, cheaply when it has already settled.
    if future.done():
        _retrieve(future)
    else:
        future.add_done_callback(_retrieve)


def _wait_for_all(promises: list[asyncio.Future[Any]]) -> asyncio.Future[None]:
    # [Getting a promise to wait for all]: fulfilled once all are, rejected with the first
    # rejection.
    result: asyncio.Future[None] = new_promise()
    remaining = [len(promises)]
    if not promises:
        resolve_promise(result, None)
        return result

    def fulfilled(_: object) -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            resolve_promise(result, None)

    for p in promises:
        upon_promise(p, fulfilled, lambda r: reject_promise(result, r))
    return result


@final
class _Pipe:
    """The state of one ReadableStreamPipeTo; also its read request."""

    __slots__ = (
        "_budget",
        "_current_write",
        "_dest",
        "_finalized",
        "_prevent_abort",
        "_prevent_cancel",
        "_prevent_close",
        "_promise",
        "_pumping",
        "_reader",
        "_reading",
        "_settled",
        "_shutting_down",
        "_signal",
        "_source",
        "_writer",
        "_yielding",
    )

    def __init__(
        self,
        source: ReadableStream[Any],
        dest: WritableStream,
        reader: ReadableStreamDefaultReader[Any],
        writer: WritableStreamDefaultWriter,
        prevent_close: bool,
        prevent_abort: bool,
        prevent_cancel: bool,
        signal: AbortSignal | None,
        promise: asyncio.Future[None],
    ) -> None:
        self._source = source
        self._dest = dest
        self._reader = reader
        self._writer = writer
        self._prevent_close = prevent_close
        self._prevent_abort = prevent_abort
        self._prevent_cancel = prevent_cancel
        self._signal = signal
        self._promise = promise
        self._shutting_down = False
        self._finalized = False
        self._current_write: asyncio.Future[None] | None = None
        self._reading = False
        self._pumping = False
        self._budget = _CHUNKS_PER_TURN
        self._yielding = False
        # Stands for the promise of every write that settled at once.
        self._settled: asyncio.Future[None] = promise_resolved_with(None)

    # -- the loop: "using reader and writer, read all chunks from source and write them
    #    to dest", enforcing backpressure and stopping once shutting down.

    def _pump(self) -> None:
        if self._pumping:
            return
        self._pumping = True
        try:
            dest = self._dest
            while not self._shutting_down and not self._reading:
                if (
                    dest._state is not WRITABLE
                    or dest._close_request is not None
                    or dest._in_flight_close_request is not None
                ):
                    # Erroring, errored or closing: a state reaction shuts the pipe down.
                    return
                controller = dest._controller
                if controller._strategy_hwm - controller._queue_total_size <= 0:
                    # Backpressure: no read while the desired size is not positive.
                    self._wait_for_desire()
                    return
                if self._budget <= 0:
                    # Let the loop run what else is ready, then go on (see _CHUNKS_PER_TURN).
                    if not self._yielding:
                        self._yielding = True
                        controller._loop.call_soon(self._resume)
                    return
                self._budget -= 1
                self._reading = True
                source = self._source
                source_controller = source._controller
                if (
                    type(source_controller) is ReadableStreamDefaultController
                    and not source_controller._queue
                    and source._state is READABLE
                ):
                    # ReadableStreamDefaultReaderRead, then [[PullSteps]] with nothing
                    # queued: ReadableStreamAddReadRequest and CallPullIfNeeded (the source
                    # was marked disturbed when the pipe began).
                    self._reader._read_requests.append(self)
                    readable_stream_default_controller_call_pull_if_needed(source_controller)
                else:
                    readable_stream_default_reader_read(self._reader, self)
        finally:
            self._pumping = False

    def _wait_for_desire(self) -> None:
        # The desired size grows only when the oldest queued write completes, in the step
        # that would resolve writer.ready: the destination's controller tells the pipe
        # then, in that step (the spec leaves how the loop waits to the implementation),
        # instead of a reaction a turn later. A write that fails errors the destination,
        # and a state reaction shuts the pipe down. With no write to wait for (a high-water
        # mark of 0), wait for writer.ready itself.
        dest = self._dest
        request = dest._in_flight_write_request
        if request is None and dest._write_requests:
            request = dest._write_requests[0]
        if request is None or request.done():
            ready_promise(self._writer).add_done_callback(self._on_ready)
            return
        dest._controller._pipe_waiter = self._on_write_done

    def _resume(self) -> None:
        self._yielding = False
        self._budget = _CHUNKS_PER_TURN
        if not self._shutting_down:
            self._pump()

    def _on_ready(self, _ready: asyncio.Future[None]) -> None:
        if not self._shutting_down:
            self._pump()

    def _on_write_done(self) -> None:
        if not self._shutting_down:
            self._pump()

    def chunk_steps(self, chunk: object) -> None:
        """[Read request] chunk steps: write the chunk, then keep reading."""
        self._reading = False
        previous = self._current_write
        settled = self._settled
        if previous is not None and previous is not settled:
            _handle(previous)
        # The fast path settles the write at once when it can; else it writes as usual.
        write = writable_stream_pipe_write(self._dest, chunk, settled)
        if write is None:
            write = writable_stream_default_writer_write(self._writer, chunk)
        self._current_write = write
        if not self._pumping:
            self._pump()

    def close_steps(self) -> None:
        """[Read request] close steps: the source-closed reaction does the rest.

        ``_reading`` stays set: the source has ended, and a read now would end at once
        too, so the loop would read forever before that reaction could run.
        """

    def error_steps(self, _e: object) -> None:
        """[Read request] error steps: the source-errored reaction does the rest.

        ``_reading`` stays set, as after the close steps.
        """

    # -- the rules that propagate errors and closing, in the spec's order

    def _watch_states(self) -> None:
        source, dest = self._source, self._dest
        # Errors must be propagated forward.
        if source._state == "errored":
            self._source_errored(source._stored_error)
        else:
            upon_rejection(self._reader._closed_promise, self._source_errored)
        # Errors must be propagated backward.
        if dest._state is ERRORED:
            self._dest_errored(dest._stored_error)
        else:
            upon_rejection(self._writer._closed_promise, self._dest_errored)
        # Closing must be propagated forward.
        if source._state == "closed":
            self._source_closed(None)
        else:
            upon_fulfillment(self._reader._closed_promise, self._source_closed)
        # Closing must be propagated backward.
        if writable_stream_close_queued_or_in_flight(dest) or dest._state is CLOSED:
            dest_closed = TypeError(
                "the destination writable stream closed before all data could be piped to it"
            )
            if not self._prevent_cancel:
                self._shutdown_with_action(
                    lambda: readable_stream_cancel(source, dest_closed), dest_closed
                )
            else:
                self._shutdown(dest_closed)

    def _source_errored(self, _reason: object) -> None:
        stored_error = self._source._stored_error
        if not self._prevent_abort:
            self._shutdown_with_action(
                lambda: writable_stream_abort(self._dest, stored_error), stored_error
            )
        else:
            self._shutdown(stored_error)

    def _dest_errored(self, _reason: object) -> None:
        stored_error = self._dest._stored_error
        if not self._prevent_cancel:
            self._shutdown_with_action(
                lambda: readable_stream_cancel(self._source, stored_error), stored_error
            )
        else:
            self._shutdown(stored_error)

    def _source_closed(self, _value: object) -> None:
        if not self._prevent_close:
            self._shutdown_with_action(
                lambda: writable_stream_default_writer_close_with_error_propagation(self._writer)
            )
        else:
            self._shutdown()

    def _abort_algorithm(self) -> None:
        signal = self._signal
        assert signal is not None
        self._abort(signal.reason)

    def _abort(self, error: object) -> None:
        # ReadableStreamPipeTo step 14.1: abort dest and cancel source, as each allows.
        source, dest = self._source, self._dest

        def action() -> asyncio.Future[None]:
            actions: list[asyncio.Future[Any]] = []
            if not self._prevent_abort:
                if dest._state is WRITABLE:
                    actions.append(writable_stream_abort(dest, error))
                else:
                    actions.append(promise_resolved_with(None))
            if not self._prevent_cancel:
                if source._state == "readable":
                    actions.append(readable_stream_cancel(source, error))
                else:
                    actions.append(promise_resolved_with(None))
            return _wait_for_all(actions)

        self._shutdown_with_action(action, error)

    def _on_promise_done(self, promise: asyncio.Future[None]) -> None:
        # Not in the spec: the caller cancelled the pipe's future.
        if promise.cancelled() and not self._finalized:
            self._abort(AbortError("the pipe was cancelled: its future was cancelled"))

    # -- shutting down

    def _shutdown_with_action(
        self, action: Callable[[], asyncio.Future[Any]], original_error: object = _NO_ERROR
    ) -> None:
        """[Shutdown with an action] https://streams.spec.whatwg.org/#rs-pipeTo-shutdown-with-action"""
        if self._shutting_down:
            return
        self._shutting_down = True

        def do_the_rest(_: object = None) -> None:
            upon_promise(
                action(),
                lambda _: self._finalize(original_error),
                self._finalize,
            )

        if self._dest_accepts_writes():
            self._wait_for_writes_to_finish(do_the_rest)
        else:
            do_the_rest()

    def _shutdown(self, error: object = _NO_ERROR) -> None:
        """[Shutdown] https://streams.spec.whatwg.org/#rs-pipeTo-shutdown"""
        if self._shutting_down:
            return
        self._shutting_down = True
        if self._dest_accepts_writes():
            self._wait_for_writes_to_finish(lambda: self._finalize(error))
        else:
            self._finalize(error)

    def _dest_accepts_writes(self) -> bool:
        dest = self._dest
        return dest._state is WRITABLE and not writable_stream_close_queued_or_in_flight(dest)

    def _wait_for_writes_to_finish(self, then: Callable[[], None]) -> None:
        # "Wait until every chunk that has been read has been written": every read chunk
        # was written at once, and writes settle in order, so the last write is the one
        # to wait for (unless another starts meanwhile). The wait takes the turns the
        # reference implementation's promise chain takes (two after the last write
        # settles, two when there was none): a sink's start, say, completes first, which
        # WPT piping/abort.any.js observes (the sink's abort is called before the source's
        # cancel).
        current = self._current_write
        loop = self._dest._controller._loop
        if current is None:
            loop.call_soon(loop.call_soon, then)
            return

        def settled(_: asyncio.Future[None]) -> None:
            if self._current_write is not current:
                self._wait_for_writes_to_finish(then)
            else:
                loop.call_soon(loop.call_soon, then)

        current.add_done_callback(settled)

    def _finalize(self, error: object = _NO_ERROR) -> None:
        """[Finalize] https://streams.spec.whatwg.org/#rs-pipeTo-finalize"""
        self._finalized = True
        source_controller = self._source._controller
        if type(source_controller) is ReadableStreamDefaultController:
            source_controller._settles_sync_pulls_at_once = False
        controller = self._dest._controller
        if controller._pipe_waiter == self._on_write_done:
            controller._pipe_waiter = None
        if self._current_write is not None:
            _handle(self._current_write)
        writable_stream_default_writer_release(self._writer)
        readable_stream_default_reader_release(self._reader)
        if self._signal is not None:
            self._signal.remove_algorithm(self._abort_algorithm)
        if error is _NO_ERROR:
            resolve_promise(self._promise, None)
        else:
            reject_promise(self._promise, error)
