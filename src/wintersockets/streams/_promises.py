"""The spec's promise vocabulary over ``asyncio.Future``.

The Streams Standard speaks of promises: "a new promise", "resolve", "reject", "a promise
resolved with", "upon fulfillment", "mark as handled". Every stream module uses these
helpers and nothing else, so two guarantees live here and only here:

* a promise is a future created when the operation is called, so the operation's effects
  happen at call time, as in the spec (writes a sink takes at once through ``write_now``
  share one fulfilled future: see ``create_writable_stream``);
* a promise the spec marks as handled never produces asyncio's "exception was never
  retrieved" log;
* a promise a stream or socket keeps and hands out again (``closed``, ``ready``,
  ``opened``) is a :class:`SharedPromise`: a task cancelled while awaiting it (on an
  ``asyncio.timeout()``, say) cancels its own wait, never the promise, which still settles
  for everyone else, as a JavaScript promise would.

JavaScript can reject a promise with any value; asyncio can only fail a future with an
exception. A reason that is not an exception is wrapped in :class:`ReasonError`, which keeps
the original value as ``.reason``. Streams store and pass on the original reason (to
``cancel`` and ``abort`` algorithms, for example); only the futures carry the wrapper.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Generator
from typing import Any, TypeVar

__all__ = ["ReasonError"]

T = TypeVar("T")
Promise = asyncio.Future


class ReasonError(Exception):
    """A stream was errored, cancelled or aborted with a reason that is not an exception.

    ``reason`` holds the value exactly as it was given (``None`` stands for JavaScript's
    ``undefined``).
    """

    def __init__(self, reason: object) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"stream errored with reason {self.reason!r}"


class SharedPromise(asyncio.Future[T]):
    """A future that awaiting can never cancel: each pending ``await`` waits on its own.

    A task cancelled while it awaits a future cancels that future, and ``asyncio.timeout()``
    cancels the task. For a promise the stream keeps and returns again and again, that
    would cancel it for every other awaiter and for later ones, who would then get
    ``CancelledError`` although nothing cancelled them, while the stream, which leaves a
    settled promise alone, could no longer settle it. So awaiting a pending one awaits a
    new future (a follower) that the promise settles as it settles itself, in the same
    call, so the await costs no extra loop turn. Calling ``cancel()`` on the promise
    itself still cancels it, as ``asyncio.wait_for()`` does on Python 3.11: shield it
    there (``asyncio.wait_for(asyncio.shield(promise), t)``).
    """

    # Made by shared_promise(), which sets _followers: a Python __init__ would cost a call
    # per promise, and reading an unset slot (getattr with a default) raises inside.
    __slots__ = ("_followers",)

    _followers: list[asyncio.Future[T]] | None

    def __await__(self) -> Generator[Any, None, T]:
        if self.done():
            return super().__await__()
        follower: asyncio.Future[T] = self.get_loop().create_future()
        followers = self._followers
        if followers is None:
            self._followers = [follower]
        else:
            # Drop the followers of awaits cancelled meanwhile (a loop awaiting under a
            # timeout again and again), so they do not pile up while this one is pending.
            followers[:] = [f for f in followers if not f.done()]
            followers.append(follower)
        return follower.__await__()

    __iter__ = __await__

    def set_result(self, result: T, /) -> None:
        super().set_result(result)
        followers = self._followers
        if followers is not None:
            self._followers = None
            for follower in followers:
                if not follower.done():  # its await was cancelled
                    follower.set_result(result)

    def set_exception(self, exception: type | BaseException, /) -> None:
        super().set_exception(exception)
        followers = self._followers
        if followers is not None:
            self._followers = None
            error = self.exception()
            assert error is not None
            for follower in followers:
                if not follower.done():
                    follower.set_exception(error)

    def cancel(self, msg: Any | None = None) -> bool:
        if not super().cancel(msg):
            return False
        followers = self._followers
        if followers is not None:
            self._followers = None
            for follower in followers:
                follower.cancel(msg)  # a no-op on a follower already done
        return True


def shared_promise(loop: asyncio.AbstractEventLoop) -> SharedPromise[Any]:
    """A new pending :class:`SharedPromise` on ``loop`` (the only way to make one)."""
    promise: SharedPromise[Any] = SharedPromise(loop=loop)
    promise._followers = None
    return promise


def new_shared_promise() -> SharedPromise[Any]:
    """[a new promise] that many may await (see :class:`SharedPromise`)."""
    return shared_promise(get_loop())


def get_loop() -> asyncio.AbstractEventLoop:
    """The running loop; streams are usable only inside one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "wintersockets streams need a running asyncio event loop: "
            "create and use them from a coroutine (for example under asyncio.run())"
        ) from None


def as_exception(reason: object) -> BaseException:
    """The exception a future is rejected with for ``reason``."""
    if isinstance(reason, BaseException):
        return reason
    return ReasonError(reason)


def reason_of(exc: BaseException) -> object:
    """The spec-level reason behind an exception a future was rejected with."""
    if isinstance(exc, ReasonError):
        return exc.reason
    return exc


def new_promise() -> asyncio.Future[Any]:
    """[a new promise]."""
    return get_loop().create_future()


def promise_resolved_with(value: T) -> asyncio.Future[T]:
    """[a promise resolved with] ``value``."""
    p: asyncio.Future[T] = get_loop().create_future()
    p.set_result(value)
    return p


def promise_rejected_with(reason: object) -> asyncio.Future[Any]:
    """[a promise rejected with] ``reason``."""
    p: asyncio.Future[Any] = get_loop().create_future()
    p.set_exception(as_exception(reason))
    return p


def resolve_promise(p: asyncio.Future[T], value: T) -> None:
    """[Resolve] ``p``; a no-op if it has settled or the caller cancelled it."""
    if not p.done():
        p.set_result(value)


def reject_promise(p: asyncio.Future[Any], reason: object) -> None:
    """[Reject] ``p``; a no-op if it has settled or the caller cancelled it."""
    if not p.done():
        p.set_exception(as_exception(reason))


def _retrieve(p: asyncio.Future[Any]) -> None:
    if not p.cancelled():
        p.exception()


def mark_as_handled(p: asyncio.Future[Any]) -> None:
    """Set ``p``.[[PromiseIsHandled]] to true: a rejection is never logged as unretrieved."""
    if p.done():
        _retrieve(p)
    else:
        p.add_done_callback(_retrieve)


def upon_promise(
    p: asyncio.Future[T],
    on_fulfilled: Callable[[T], object] | None = None,
    on_rejected: Callable[[object], object] | None = None,
) -> None:
    """[React] to ``p``: call ``on_fulfilled(value)`` or ``on_rejected(reason)`` later.

    Like a promise reaction, the callback runs in a later loop iteration, never
    synchronously. Reacting counts as handling: a rejection is not logged. A future
    cancelled by its holder counts as rejected with the ``CancelledError``.
    """

    def react(f: asyncio.Future[T]) -> None:
        if f.cancelled():
            if on_rejected is not None:
                on_rejected(asyncio.CancelledError())
            return
        exc = f.exception()
        if exc is None:
            if on_fulfilled is not None:
                on_fulfilled(f.result())
        elif on_rejected is not None:
            on_rejected(reason_of(exc))

    p.add_done_callback(react)


def upon_fulfillment(p: asyncio.Future[T], on_fulfilled: Callable[[T], object]) -> None:
    """[Upon fulfillment] of ``p``, call ``on_fulfilled(value)``; a rejection is handled."""
    upon_promise(p, on_fulfilled, None)


def upon_rejection(p: asyncio.Future[Any], on_rejected: Callable[[object], object]) -> None:
    """[Upon rejection] of ``p``, call ``on_rejected(reason)``."""
    upon_promise(p, None, on_rejected)


def transform_promise(
    p: asyncio.Future[Any],
    on_fulfilled: Callable[[Any], object] | None = None,
    on_rejected: Callable[[object], object] | None = None,
) -> asyncio.Future[Any]:
    """The result of [reacting] to ``p``: a new promise settled by the reaction.

    A handler that returns a future chains to it; one that raises rejects the result.
    Without a handler, the value or reason passes through.
    """
    result: asyncio.Future[Any] = get_loop().create_future()

    def settle_with(value: object) -> None:
        if isinstance(value, asyncio.Future):
            upon_promise(
                value,
                lambda v: resolve_promise(result, v),
                lambda r: reject_promise(result, r),
            )
        else:
            resolve_promise(result, value)

    def fulfilled(value: object) -> None:
        if on_fulfilled is None:
            resolve_promise(result, value)
            return
        try:
            settle_with(on_fulfilled(value))
        except Exception as exc:  # a handler that throws rejects the derived promise
            reject_promise(result, exc)

    def rejected(reason: object) -> None:
        if on_rejected is None:
            reject_promise(result, reason)
            return
        try:
            settle_with(on_rejected(reason))
        except Exception as exc:
            reject_promise(result, exc)

    upon_promise(p, fulfilled, rejected)
    return result


def set_promise_is_handled_to_true(p: asyncio.Future[Any]) -> None:
    """Alias of :func:`mark_as_handled` under the spec's longer wording."""
    mark_as_handled(p)


def promise_resolved_with_result(result: object) -> asyncio.Future[Any]:
    """[A promise resolved with] ``result``, adopting it when it is awaitable.

    A coroutine returned by a user callback runs as a task, as a JavaScript promise adopts
    a thenable.
    """
    if isinstance(result, asyncio.Future):
        return result
    if inspect.isawaitable(result):
        return asyncio.ensure_future(result)
    return promise_resolved_with(result)


def promise_call(fn: Callable[..., object], *args: object) -> asyncio.Future[Any]:
    """Call a user algorithm and return its outcome as a promise (Web IDL's "invoke").

    A callback that raises gives a rejected promise instead of raising; one that returns an
    awaitable (a coroutine, say) gives a promise that settles with it.
    """
    try:
        result = fn(*args)
    except Exception as exc:
        return promise_rejected_with(exc)
    return promise_resolved_with_result(result)
