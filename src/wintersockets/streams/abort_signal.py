"""``AbortController`` and ``AbortSignal`` [DOM], as the Streams Standard uses them.

https://dom.spec.whatwg.org/#aborting-ongoing-activities

A writable stream's controller holds an ``AbortController`` whose ``signal`` tells the
underlying sink that the stream was aborted, and ``pipe_to`` accepts a ``signal`` that stops
the pipe. Listening happens in two ways: the spec's "add an abort algorithm"
(:meth:`AbortSignal.add_algorithm`), which streams use internally, and DOM events
(:meth:`AbortSignal.add_event_listener`), for code ported from JavaScript.

Signals work without an event loop, except :meth:`AbortSignal.timeout`, which needs one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable, Iterable
from typing import NamedTuple, final

from ._promises import as_exception

__all__ = ["AbortController", "AbortError", "AbortEvent", "AbortSignal"]

_logger = logging.getLogger(__name__)

AbortAlgorithm = Callable[[], object]
AbortListener = Callable[["AbortEvent"], object]


class AbortError(Exception):
    """An operation was aborted [DOMException "AbortError"].

    The default reason of :meth:`AbortController.abort` and :meth:`AbortSignal.abort`.
    """

    def __init__(self, message: str = "the operation was aborted") -> None:
        super().__init__(message)


class AbortEvent(NamedTuple):
    """The event an ``"abort"`` listener receives: ``type`` is ``"abort"``."""

    type: str
    target: AbortSignal


def _report(exc: Exception, what: str) -> None:
    # DOM "report the exception": a throwing listener neither stops the others nor reaches
    # the code that called abort().
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _logger.error("exception in an abort %s", what, exc_info=exc)
        return
    loop.call_exception_handler({"message": f"exception in an abort {what}", "exception": exc})


@final
class AbortSignal:
    """Tells whether an operation was aborted, and why [AbortSignal].

    https://dom.spec.whatwg.org/#interface-AbortSignal

    Get one from an :class:`AbortController`, or from :meth:`abort`, :meth:`timeout` or
    :meth:`any`; the constructor is not public.
    """

    __slots__ = (
        "__weakref__",
        "_abort_algorithms",
        "_abort_reason",
        "_aborted",
        "_dependent",
        "_dependent_signals",
        "_listeners",
        "_source_signals",
    )

    def __init__(self) -> None:
        self._aborted = False
        self._abort_reason: object = None
        self._abort_algorithms: list[AbortAlgorithm] = []
        self._listeners: list[AbortListener] = []
        self._dependent = False
        self._source_signals: list[weakref.ref[AbortSignal]] = []
        self._dependent_signals: list[weakref.ref[AbortSignal]] = []

    # -- public API ------------------------------------------------------------------------

    @staticmethod
    def abort(reason: object = None) -> AbortSignal:
        """A signal that is already aborted [AbortSignal.abort()].

        Args:
            reason: the abort reason; ``None`` (JavaScript's ``undefined``) means a new
                :class:`AbortError`.
        """
        signal = AbortSignal()
        signal._aborted = True
        signal._abort_reason = AbortError() if reason is None else reason
        return signal

    @staticmethod
    def timeout(milliseconds: float) -> AbortSignal:
        """A signal that aborts with ``TimeoutError`` after ``milliseconds`` [timeout()].

        The unit is the spec's (milliseconds), so code ported from JavaScript keeps its
        numbers. Needs a running event loop.

        Raises:
            TypeError: ``milliseconds`` is not a number.
            ValueError: it is negative or not finite.
        """
        if isinstance(milliseconds, bool) or not isinstance(milliseconds, int | float):
            raise TypeError(f"timeout() needs a number of milliseconds, got {milliseconds!r}")
        if not 0 <= milliseconds < float("inf"):
            raise ValueError(
                f"timeout() needs a finite non-negative number of milliseconds, "
                f"got {milliseconds!r}"
            )
        signal = AbortSignal()
        loop = asyncio.get_running_loop()
        ref = weakref.ref(signal)

        def fire() -> None:
            s = ref()
            if s is not None:
                s._signal_abort(TimeoutError("the signal timed out"))

        loop.call_later(milliseconds / 1000, fire)
        return signal

    @staticmethod
    def any(signals: Iterable[AbortSignal]) -> AbortSignal:
        """A signal that aborts when any of ``signals`` does, with its reason [AbortSignal.any()].

        https://dom.spec.whatwg.org/#create-a-dependent-abort-signal
        """
        signals = list(signals)
        for s in signals:
            if not isinstance(s, AbortSignal):
                raise TypeError(f"AbortSignal.any() needs AbortSignal objects, got {s!r}")
        result = AbortSignal()
        for s in signals:
            if s._aborted:
                result._aborted = True
                result._abort_reason = s._abort_reason
                return result
        result._dependent = True
        result_ref = weakref.ref(result)
        for s in signals:
            sources = [weakref.ref(s)] if not s._dependent else list(s._source_signals)
            for source_ref in sources:
                source = source_ref()
                if source is None or source._aborted:
                    continue
                if any(r() is source for r in result._source_signals):
                    continue
                result._source_signals.append(source_ref)
                # Drop the entries of dependents that are gone, so a long-lived signal
                # combined many times does not grow without bound.
                source._dependent_signals = [
                    r for r in source._dependent_signals if r() is not None
                ]
                source._dependent_signals.append(result_ref)
        return result

    @property
    def aborted(self) -> bool:
        """Whether the signal has been aborted."""
        return self._aborted

    @property
    def reason(self) -> object:
        """The abort reason, or ``None`` while not aborted."""
        return self._abort_reason

    def throw_if_aborted(self) -> None:
        """Raise the abort reason if the signal is aborted [throwIfAborted()].

        A reason that is not an exception is raised wrapped in ``ReasonError``.
        """
        if self._aborted:
            raise as_exception(self._abort_reason)

    def add_algorithm(self, algorithm: AbortAlgorithm) -> None:
        """[Add] an abort algorithm: ``algorithm()`` runs when the signal aborts.

        https://dom.spec.whatwg.org/#abortsignal-add

        Nothing happens if the signal is already aborted; check :attr:`aborted` first.
        """
        if self._aborted:
            return
        self._abort_algorithms.append(algorithm)

    def remove_algorithm(self, algorithm: AbortAlgorithm) -> None:
        """[Remove] an abort algorithm added with :meth:`add_algorithm`; no-op if absent.

        https://dom.spec.whatwg.org/#abortsignal-remove
        """
        with contextlib.suppress(ValueError):
            self._abort_algorithms.remove(algorithm)

    def add_event_listener(self, type: str, listener: AbortListener) -> None:
        """Call ``listener(event)`` when the signal aborts [addEventListener()].

        Only the ``"abort"`` event exists; listening to another type is accepted and never
        fires. Adding the same listener twice has no effect.
        """
        if type != "abort" or listener in self._listeners:
            return
        self._listeners.append(listener)

    def remove_event_listener(self, type: str, listener: AbortListener) -> None:
        """Stop calling ``listener`` [removeEventListener()]; no-op if it was not added."""
        if type == "abort" and listener in self._listeners:
            self._listeners.remove(listener)

    def __repr__(self) -> str:
        if self._aborted:
            return f"<AbortSignal aborted reason={self._abort_reason!r}>"
        return "<AbortSignal>"

    # -- spec algorithms --------------------------------------------------------------------

    def _signal_abort(self, reason: object) -> None:
        """[Signal abort] https://dom.spec.whatwg.org/#abortsignal-signal-abort

        ``reason`` counts as given even when it is ``None``: the Streams Standard signals
        abort with the reason passed to ``abort()``, ``undefined`` included (WPT checks
        that ``controller.signal.reason`` is then ``undefined``). The public methods
        substitute :class:`AbortError` for ``None`` before calling this.
        """
        # 1. If signal is aborted, then return.
        if self._aborted:
            return
        # 2. Set signal's abort reason to reason.
        self._aborted = True
        self._abort_reason = reason
        # 3-4. Collect the dependent signals that are not aborted yet, and give them the
        #      same reason before any abort steps run.
        to_abort: list[AbortSignal] = []
        for ref in self._dependent_signals:
            dependent = ref()
            if dependent is not None and not dependent._aborted:
                dependent._aborted = True
                dependent._abort_reason = self._abort_reason
                to_abort.append(dependent)
        # 5. Run the abort steps for signal.
        self._run_abort_steps()
        # 6. For each dependentSignal of dependentSignalsToAbort, run its abort steps.
        for dependent in to_abort:
            dependent._run_abort_steps()

    def _run_abort_steps(self) -> None:
        """[Run the abort steps] https://dom.spec.whatwg.org/#run-the-abort-steps"""
        algorithms, self._abort_algorithms = self._abort_algorithms, []
        for algorithm in algorithms:
            try:
                algorithm()
            except Exception as exc:
                _report(exc, "algorithm")
        event = AbortEvent("abort", self)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:
                _report(exc, "event listener")


def signal_abort(signal: AbortSignal, reason: object) -> None:
    """[Signal abort] on ``signal`` with ``reason``, ``None`` included, as the streams do."""
    signal._signal_abort(reason)


@final
class AbortController:
    """Aborts an operation through its :attr:`signal` [AbortController].

    https://dom.spec.whatwg.org/#interface-abortcontroller
    """

    __slots__ = ("_signal",)

    def __init__(self) -> None:
        self._signal = AbortSignal()

    @property
    def signal(self) -> AbortSignal:
        """The signal this controller aborts."""
        return self._signal

    def abort(self, reason: object = None) -> None:
        """[Signal abort] on :attr:`signal`; a no-op if it is already aborted.

        Args:
            reason: the abort reason; ``None`` (JavaScript's ``undefined``) means a new
                :class:`AbortError`.
        """
        self._signal._signal_abort(AbortError() if reason is None else reason)

    def __repr__(self) -> str:
        return f"<AbortController signal={self._signal!r}>"
