"""Transform streams [ts]: ``TransformStream``, its controller and their abstract operations.

https://streams.spec.whatwg.org/#ts

The operations follow the spec's order under its section headings: "Working with transform
streams", "Default controllers", "Default sinks" and "Default sources".

Fast paths (each keeps the observable order of sink, source and transformer calls):

* A transform algorithm that completes synchronously (the identity transform, or a
  ``transform`` callback that returns ``None``) stands for "a promise resolved with
  undefined". TransformStreamDefaultControllerPerformTransform then returns ``None``
  instead of reacting to that promise, and the writable side treats ``None`` as a fulfilled
  write (see ``writable_controller.py``); the one-tick reactions in between collapse.
* While backpressure holds, TransformStreamDefaultSinkWriteAlgorithm keeps the one waiting
  chunk on the stream and reacts to [[backpressureChangePromise]] with a bound method,
  instead of a closure per chunk; the writable side never has two writes in flight.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import TYPE_CHECKING, Any, final

from ._promises import (
    as_exception,
    get_loop,
    new_promise,
    promise_rejected_with,
    promise_resolved_with_result,
    reason_of,
    reject_promise,
    resolve_promise,
    upon_promise,
)
from ._transformer import convert_transformer
from ._underlying_sink import check_dictionary
from .default_controller import (
    readable_stream_default_controller_close,
    readable_stream_default_controller_enqueue,
    readable_stream_default_controller_error,
    readable_stream_default_controller_get_desired_size,
)
from .queuing_strategy import extract_high_water_mark, extract_size_algorithm
from .readable_stream import READABLE, ReadableStream, create_readable_stream
from .writable_controller import (
    adopt,
    invoke_promise_callback,
    writable_stream_default_controller_error_if_needed,
)
from .writable_stream import ERRORED, ERRORING, WRITABLE, WritableStream, create_writable_stream

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._transformer import TransformerRecord
    from .default_controller import ReadableStreamDefaultController
    from .queuing_strategy import SizeAlgorithm

__all__ = ["TransformStream", "TransformStreamDefaultController"]


def _high_water_mark_or_error(strategy: object, default: float) -> float | ValueError:
    # ExtractHighWaterMark's RangeError comes after the transformer is converted (the
    # constructor's steps 5-8), while Web IDL raises the strategy's TypeErrors first.
    try:
        return extract_high_water_mark(strategy, default)
    except ValueError as exc:
        return exc


@final
class TransformStream:
    """A writable side whose chunks are transformed onto a readable side [TransformStream].

    https://streams.spec.whatwg.org/#ts-class

    Args:
        transformer: an object or mapping with optional ``start(controller)``,
            ``transform(chunk, controller)``, ``flush(controller)`` and ``cancel(reason)``
            callbacks, each plain or returning an awaitable. Without ``transform``, chunks
            pass through unchanged (an identity transform stream).
        writable_strategy: the writable side's queuing strategy (default: high-water mark 1).
        readable_strategy: the readable side's queuing strategy (default: high-water mark 0).

    Raises:
        TypeError: an argument has the wrong type, or ``start`` raised it.
        ValueError: a high-water mark is negative or NaN, or the transformer has a
            ``readable_type`` or ``writable_type`` (the spec's RangeError).
    """

    __slots__ = (
        "__weakref__",
        "_backpressure",
        "_backpressure_change_promise",
        "_controller",
        "_readable",
        "_waiting_chunk",
        "_waiting_write",
        "_writable",
    )

    _backpressure: bool | None
    _backpressure_change_promise: asyncio.Future[None] | None
    _controller: TransformStreamDefaultController
    _readable: ReadableStream[Any]
    _waiting_chunk: object
    _waiting_write: asyncio.Future[None] | None
    _writable: WritableStream

    def __init__(
        self,
        transformer: object = None,
        writable_strategy: object = None,
        readable_strategy: object = None,
    ) -> None:
        for strategy in (writable_strategy, readable_strategy):
            if strategy is not None:
                check_dictionary(strategy, "strategy")
        writable_size_algorithm = extract_size_algorithm(writable_strategy)
        writable_high_water_mark = _high_water_mark_or_error(writable_strategy, 1)
        readable_size_algorithm = extract_size_algorithm(readable_strategy)
        readable_high_water_mark = _high_water_mark_or_error(readable_strategy, 0)
        record = convert_transformer(transformer)
        if isinstance(readable_high_water_mark, ValueError):
            raise readable_high_water_mark
        if isinstance(writable_high_water_mark, ValueError):
            raise writable_high_water_mark
        start_promise: asyncio.Future[Any] = new_promise()
        initialize_transform_stream(
            self,
            start_promise,
            writable_high_water_mark,
            writable_size_algorithm,
            readable_high_water_mark,
            readable_size_algorithm,
        )
        set_up_transform_stream_default_controller_from_transformer(self, record)
        if record.start is not None:
            start_result = record.start(self._controller)
            if isinstance(start_result, asyncio.Future) or inspect.isawaitable(start_result):
                upon_promise(
                    adopt(promise_resolved_with_result(start_result)),
                    lambda value: resolve_promise(start_promise, value),
                    lambda reason: reject_promise(start_promise, reason),
                )
            else:
                resolve_promise(start_promise, start_result)
        else:
            resolve_promise(start_promise, None)

    @property
    def readable(self) -> ReadableStream[Any]:
        """The readable side, where transformed chunks come out [readable]."""
        return self._readable

    @property
    def writable(self) -> WritableStream:
        """The writable side, where chunks to transform go in [writable]."""
        return self._writable

    def _on_backpressure_change(self, _promise: asyncio.Future[None]) -> None:
        # TransformStreamDefaultSinkWriteAlgorithm, step 3.3: the fulfillment steps of the
        # reaction to [[backpressureChangePromise]] (it never rejects).
        chunk, result = self._waiting_chunk, self._waiting_write
        self._waiting_chunk = self._waiting_write = None
        assert result is not None
        writable = self._writable
        state = writable._state
        if state is ERRORING:
            reject_promise(result, writable._stored_error)
            return
        assert state is WRITABLE
        outcome = transform_stream_default_controller_perform_transform(self._controller, chunk)
        if outcome is None:
            resolve_promise(result, None)
        else:
            outcome.add_done_callback(functools.partial(_settle_from, result))

    def __repr__(self) -> str:
        return f"<TransformStream readable={self._readable!r} writable={self._writable!r}>"


def _settle_from(target: asyncio.Future[None], source: asyncio.Future[Any]) -> None:
    if source.cancelled():
        reject_promise(target, asyncio.CancelledError())
        return
    exc = source.exception()
    if exc is None:
        resolve_promise(target, None)
    else:
        reject_promise(target, reason_of(exc))


@final
class TransformStreamDefaultController:
    """Lets a transformer enqueue, error or terminate [TransformStreamDefaultController].

    https://streams.spec.whatwg.org/#ts-default-controller-class

    The stream creates it and passes it to the transformer; it cannot be constructed
    directly.
    """

    __slots__ = (
        "_cancel_algorithm",
        "_finish_promise",
        "_flush_algorithm",
        "_stream",
        "_transform_algorithm",
    )

    _cancel_algorithm: Callable[[object], object] | None
    _finish_promise: asyncio.Future[None] | None
    _flush_algorithm: Callable[[], object] | None
    _stream: TransformStream
    _transform_algorithm: Callable[[Any], object] | None

    def __init__(self) -> None:
        raise TypeError(
            "TransformStreamDefaultController cannot be constructed: "
            "a TransformStream creates one and passes it to its transformer"
        )

    @property
    def desired_size(self) -> float | None:
        """How much the readable side's queue wants; ``None`` once errored [desiredSize]."""
        return readable_stream_default_controller_get_desired_size(
            _readable_controller(self._stream)
        )

    def enqueue(self, chunk: Any = None) -> None:
        """Put ``chunk`` on the readable side [enqueue()].

        Raises:
            TypeError: the readable side is closed, closing or errored.
        """
        transform_stream_default_controller_enqueue(self, chunk)

    def error(self, reason: object = None) -> None:
        """Error both sides with ``reason``, discarding queued chunks [error()]."""
        transform_stream_default_controller_error(self, reason)

    def terminate(self) -> None:
        """Close the readable side and error the writable side [terminate()]."""
        transform_stream_default_controller_terminate(self)

    def _identity_transform(self, chunk: object) -> None:
        # SetUpTransformStreamDefaultControllerFromTransformer, step 2: the transform
        # algorithm without a transformer.transform. Raising stands for the rejected
        # promise of step 2.2.
        transform_stream_default_controller_enqueue(self, chunk)

    def __repr__(self) -> str:
        return f"<TransformStreamDefaultController stream={self._stream!r}>"


# -- Working with transform streams ----------------------------------------------------------


def initialize_transform_stream(
    stream: TransformStream,
    start_promise: asyncio.Future[Any],
    writable_high_water_mark: float,
    writable_size_algorithm: SizeAlgorithm,
    readable_high_water_mark: float,
    readable_size_algorithm: SizeAlgorithm,
) -> None:
    """[InitializeTransformStream] https://streams.spec.whatwg.org/#initialize-transform-stream"""

    def start_algorithm() -> asyncio.Future[Any]:
        return start_promise

    def readable_start_algorithm() -> asyncio.Future[Any]:
        # The readable side's set-up takes "a promise resolved with" startPromise, which
        # adopts it; the writable side's set-up adopts by itself (see adopt()). The turns
        # matter: a readable.cancel() or writable.abort() during start must see the
        # writable side still "erroring" (WPT transform-streams/errors.any.js).
        return adopt(start_promise)

    stream._waiting_chunk = None
    stream._waiting_write = None
    stream._writable = create_writable_stream(
        start_algorithm,
        functools.partial(transform_stream_default_sink_write_algorithm, stream),
        functools.partial(transform_stream_default_sink_close_algorithm, stream),
        functools.partial(transform_stream_default_sink_abort_algorithm, stream),
        writable_high_water_mark,
        writable_size_algorithm,
    )
    stream._readable = create_readable_stream(
        readable_start_algorithm,
        functools.partial(transform_stream_default_source_pull_algorithm, stream),
        functools.partial(transform_stream_default_source_cancel_algorithm, stream),
        readable_high_water_mark,
        readable_size_algorithm,
    )
    stream._backpressure = None
    stream._backpressure_change_promise = None
    transform_stream_set_backpressure(stream, True)


def transform_stream_error(stream: TransformStream, e: object) -> None:
    """[TransformStreamError] https://streams.spec.whatwg.org/#transform-stream-error"""
    readable_stream_default_controller_error(_readable_controller(stream), e)
    transform_stream_error_writable_and_unblock_write(stream, e)


def transform_stream_error_writable_and_unblock_write(stream: TransformStream, e: object) -> None:
    """[TransformStreamErrorWritableAndUnblockWrite] https://streams.spec.whatwg.org/#transform-stream-error-writable-and-unblock-write"""
    transform_stream_default_controller_clear_algorithms(stream._controller)
    writable_stream_default_controller_error_if_needed(stream._writable._controller, e)
    transform_stream_unblock_write(stream)


def transform_stream_set_backpressure(stream: TransformStream, backpressure: bool) -> None:
    """[TransformStreamSetBackpressure] https://streams.spec.whatwg.org/#transform-stream-set-backpressure"""
    assert stream._backpressure is not backpressure
    change = stream._backpressure_change_promise
    if change is not None and not change.done():
        change.set_result(None)
    # "Set [[backpressureChangePromise]] to a new promise": made when first asked for (see
    # _backpressure_change), since most are never looked at.
    stream._backpressure_change_promise = None
    stream._backpressure = backpressure


def transform_stream_unblock_write(stream: TransformStream) -> None:
    """[TransformStreamUnblockWrite] https://streams.spec.whatwg.org/#transform-stream-unblock-write"""
    if stream._backpressure:
        transform_stream_set_backpressure(stream, False)


# -- Default controllers ---------------------------------------------------------------------


def set_up_transform_stream_default_controller(
    stream: TransformStream,
    controller: TransformStreamDefaultController,
    transform_algorithm: Callable[[Any], object],
    flush_algorithm: Callable[[], object],
    cancel_algorithm: Callable[[object], object],
) -> None:
    """[SetUpTransformStreamDefaultController] https://streams.spec.whatwg.org/#set-up-transform-stream-default-controller"""
    assert isinstance(stream, TransformStream)
    controller._stream = stream
    stream._controller = controller
    controller._transform_algorithm = transform_algorithm
    controller._flush_algorithm = flush_algorithm
    controller._cancel_algorithm = cancel_algorithm
    controller._finish_promise = None


def set_up_transform_stream_default_controller_from_transformer(
    stream: TransformStream, transformer: TransformerRecord
) -> None:
    """[SetUpTransformStreamDefaultControllerFromTransformer] https://streams.spec.whatwg.org/#set-up-transform-stream-default-controller-from-transformer"""
    controller = TransformStreamDefaultController.__new__(TransformStreamDefaultController)
    transform, flush, cancel = transformer.transform, transformer.flush, transformer.cancel
    transform_algorithm: Callable[[Any], object] = controller._identity_transform
    flush_algorithm: Callable[[], object] = _return_none
    cancel_algorithm: Callable[[object], object] = _return_none
    if transform is not None:
        transform_algorithm = lambda chunk: transform(chunk, controller)
    if flush is not None:
        flush_algorithm = lambda: flush(controller)
    if cancel is not None:
        cancel_algorithm = cancel
    set_up_transform_stream_default_controller(
        stream, controller, transform_algorithm, flush_algorithm, cancel_algorithm
    )


def _return_none(*_args: object) -> None:
    # The default algorithms: "return a promise resolved with undefined".
    return None


def transform_stream_default_controller_clear_algorithms(
    controller: TransformStreamDefaultController,
) -> None:
    """[TransformStreamDefaultControllerClearAlgorithms] https://streams.spec.whatwg.org/#transform-stream-default-controller-clear-algorithms"""
    controller._transform_algorithm = None
    controller._flush_algorithm = None
    controller._cancel_algorithm = None


def transform_stream_default_controller_enqueue(
    controller: TransformStreamDefaultController, chunk: object
) -> None:
    """[TransformStreamDefaultControllerEnqueue] https://streams.spec.whatwg.org/#transform-stream-default-controller-enqueue

    Raises:
        TypeError: the readable side cannot take chunks (closed, closing or errored).
        Exception: the readable strategy's size failed; both sides are then errored.
    """
    stream = controller._stream
    readable = stream._readable
    readable_controller: ReadableStreamDefaultController[Any] = readable._controller  # type: ignore[assignment]
    # ReadableStreamDefaultControllerCanCloseOrEnqueue, inlined.
    if readable_controller._close_requested or readable._state is not READABLE:
        raise TypeError(
            "cannot enqueue: the transform stream's readable side is closed, closing or errored"
        )
    try:
        readable_stream_default_controller_enqueue(readable_controller, chunk)
    except Exception as exc:
        transform_stream_error_writable_and_unblock_write(stream, exc)
        raise as_exception(readable._stored_error) from None
    # ReadableStreamDefaultControllerHasBackpressure, that is not ShouldCallPull, inlined.
    if (
        readable_controller._close_requested
        or readable._state is not READABLE
        or not readable_controller._started
    ):
        backpressure = True
    else:
        reader = readable._reader
        backpressure = not (reader is not None and reader._read_requests) and (  # type: ignore[union-attr]
            readable_controller._strategy_hwm - readable_controller._queue_total_size <= 0
        )
    if backpressure is not stream._backpressure:
        assert backpressure
        transform_stream_set_backpressure(stream, True)


def transform_stream_default_controller_error(
    controller: TransformStreamDefaultController, e: object
) -> None:
    """[TransformStreamDefaultControllerError] https://streams.spec.whatwg.org/#transform-stream-default-controller-error"""
    transform_stream_error(controller._stream, e)


def transform_stream_default_controller_perform_transform(
    controller: TransformStreamDefaultController, chunk: object
) -> asyncio.Future[None] | None:
    """[TransformStreamDefaultControllerPerformTransform] https://streams.spec.whatwg.org/#transform-stream-default-controller-perform-transform

    Returns ``None`` when the transform completed synchronously (see the module docstring).
    """
    algorithm = controller._transform_algorithm
    assert algorithm is not None
    try:
        result = algorithm(chunk)
    except Exception as exc:
        transform_promise: asyncio.Future[Any] = promise_rejected_with(exc)
    else:
        if result is None:
            return None
        if not (isinstance(result, asyncio.Future) or inspect.isawaitable(result)):
            return None
        transform_promise = promise_resolved_with_result(result)
    reacted: asyncio.Future[None] = get_loop().create_future()
    upon_promise(
        transform_promise,
        lambda _: resolve_promise(reacted, None),
        lambda r: _transform_rejected(controller, reacted, r),
    )
    return reacted


def _transform_rejected(
    controller: TransformStreamDefaultController, reacted: asyncio.Future[None], r: object
) -> None:
    # PerformTransform step 2's rejection steps: error the stream, then throw r.
    transform_stream_error(controller._stream, r)
    reject_promise(reacted, r)


def transform_stream_default_controller_terminate(
    controller: TransformStreamDefaultController,
) -> None:
    """[TransformStreamDefaultControllerTerminate] https://streams.spec.whatwg.org/#transform-stream-default-controller-terminate"""
    stream = controller._stream
    readable_stream_default_controller_close(_readable_controller(stream))
    error = TypeError("the transform stream was terminated: its writable side takes no more")
    transform_stream_error_writable_and_unblock_write(stream, error)


# -- Default sinks ---------------------------------------------------------------------------


def transform_stream_default_sink_write_algorithm(
    stream: TransformStream, chunk: object
) -> asyncio.Future[None] | None:
    """[TransformStreamDefaultSinkWriteAlgorithm] https://streams.spec.whatwg.org/#transform-stream-default-sink-write-algorithm"""
    assert stream._writable._state is WRITABLE
    if stream._backpressure:
        backpressure_change_promise = _backpressure_change(stream)
        assert stream._waiting_write is None
        result: asyncio.Future[None] = stream._writable._controller._loop.create_future()
        stream._waiting_chunk = chunk
        stream._waiting_write = result
        backpressure_change_promise.add_done_callback(stream._on_backpressure_change)
        return result
    return transform_stream_default_controller_perform_transform(stream._controller, chunk)


def transform_stream_default_sink_abort_algorithm(
    stream: TransformStream, reason: object
) -> asyncio.Future[None]:
    """[TransformStreamDefaultSinkAbortAlgorithm] https://streams.spec.whatwg.org/#transform-stream-default-sink-abort-algorithm"""
    controller = stream._controller
    if controller._finish_promise is not None:
        return controller._finish_promise
    readable = stream._readable
    finish_promise: asyncio.Future[None] = new_promise()
    controller._finish_promise = finish_promise
    algorithm = controller._cancel_algorithm
    cancel_promise = _call_algorithm(algorithm, reason)
    transform_stream_default_controller_clear_algorithms(controller)

    def fulfilled(_: object) -> None:
        if readable._state == "errored":
            reject_promise(finish_promise, readable._stored_error)
        else:
            readable_stream_default_controller_error(_readable_controller(stream), reason)
            resolve_promise(finish_promise, None)

    def rejected(r: object) -> None:
        readable_stream_default_controller_error(_readable_controller(stream), r)
        reject_promise(finish_promise, r)

    upon_promise(cancel_promise, fulfilled, rejected)
    return finish_promise


def transform_stream_default_sink_close_algorithm(stream: TransformStream) -> asyncio.Future[None]:
    """[TransformStreamDefaultSinkCloseAlgorithm] https://streams.spec.whatwg.org/#transform-stream-default-sink-close-algorithm"""
    controller = stream._controller
    if controller._finish_promise is not None:
        return controller._finish_promise
    readable = stream._readable
    finish_promise: asyncio.Future[None] = new_promise()
    controller._finish_promise = finish_promise
    flush_promise = _call_algorithm(controller._flush_algorithm)
    transform_stream_default_controller_clear_algorithms(controller)

    def fulfilled(_: object) -> None:
        if readable._state == "errored":
            reject_promise(finish_promise, readable._stored_error)
        else:
            readable_stream_default_controller_close(_readable_controller(stream))
            resolve_promise(finish_promise, None)

    def rejected(r: object) -> None:
        readable_stream_default_controller_error(_readable_controller(stream), r)
        reject_promise(finish_promise, r)

    upon_promise(flush_promise, fulfilled, rejected)
    return finish_promise


# -- Default sources -------------------------------------------------------------------------


def transform_stream_default_source_cancel_algorithm(
    stream: TransformStream, reason: object
) -> asyncio.Future[None]:
    """[TransformStreamDefaultSourceCancelAlgorithm] https://streams.spec.whatwg.org/#transform-stream-default-source-cancel"""
    controller = stream._controller
    if controller._finish_promise is not None:
        return controller._finish_promise
    writable = stream._writable
    finish_promise: asyncio.Future[None] = new_promise()
    controller._finish_promise = finish_promise
    cancel_promise = _call_algorithm(controller._cancel_algorithm, reason)
    transform_stream_default_controller_clear_algorithms(controller)

    def fulfilled(_: object) -> None:
        if writable._state is ERRORED:
            reject_promise(finish_promise, writable._stored_error)
        else:
            writable_stream_default_controller_error_if_needed(writable._controller, reason)
            transform_stream_unblock_write(stream)
            resolve_promise(finish_promise, None)

    def rejected(r: object) -> None:
        writable_stream_default_controller_error_if_needed(writable._controller, r)
        transform_stream_unblock_write(stream)
        reject_promise(finish_promise, r)

    upon_promise(cancel_promise, fulfilled, rejected)
    return finish_promise


def transform_stream_default_source_pull_algorithm(
    stream: TransformStream,
) -> asyncio.Future[None]:
    """[TransformStreamDefaultSourcePullAlgorithm] https://streams.spec.whatwg.org/#transform-stream-default-source-pull"""
    assert stream._backpressure
    transform_stream_set_backpressure(stream, False)
    return _backpressure_change(stream)


# -- helpers ---------------------------------------------------------------------------------


def _backpressure_change(stream: TransformStream) -> asyncio.Future[None]:
    # [[backpressureChangePromise]], made now if no one has asked for it since the last
    # TransformStreamSetBackpressure.
    change = stream._backpressure_change_promise
    if change is None:
        change = stream._backpressure_change_promise = (
            stream._writable._controller._loop.create_future()
        )
    return change


def _readable_controller(stream: TransformStream) -> ReadableStreamDefaultController[Any]:
    controller: ReadableStreamDefaultController[Any] = stream._readable._controller  # type: ignore[assignment]
    return controller


def _call_algorithm(algorithm: Callable[..., object] | None, *args: object) -> asyncio.Future[Any]:
    # "The result of performing" a promise-returning algorithm, as a promise; an algorithm
    # already cleared stands for a promise resolved with undefined.
    if algorithm is None:
        algorithm = _return_none
    return invoke_promise_callback(algorithm, *args)
