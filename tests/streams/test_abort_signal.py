"""AbortController and AbortSignal."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from wintersockets.streams._promises import ReasonError
from wintersockets.streams.abort_signal import (
    AbortController,
    AbortError,
    AbortEvent,
    AbortSignal,
    signal_abort,
)


def test_a_new_signal_is_not_aborted() -> None:
    signal = AbortController().signal
    assert not signal.aborted
    assert signal.reason is None
    signal.throw_if_aborted()


def test_abort_without_reason_uses_an_abort_error() -> None:
    controller = AbortController()
    controller.abort()
    assert controller.signal.aborted
    assert isinstance(controller.signal.reason, AbortError)
    with pytest.raises(AbortError):
        controller.signal.throw_if_aborted()


def test_abort_keeps_the_reason_given() -> None:
    controller = AbortController()
    reason = ValueError("stop")
    controller.abort(reason)
    assert controller.signal.reason is reason
    with pytest.raises(ValueError, match="stop"):
        controller.signal.throw_if_aborted()


def test_throw_if_aborted_wraps_a_reason_that_is_not_an_exception() -> None:
    controller = AbortController()
    controller.abort("why")
    with pytest.raises(ReasonError) as info:
        controller.signal.throw_if_aborted()
    assert info.value.reason == "why"


def test_a_second_abort_changes_nothing() -> None:
    controller = AbortController()
    calls: list[object] = []
    controller.signal.add_algorithm(lambda: calls.append("algorithm"))
    controller.abort("first")
    controller.abort("second")
    assert controller.signal.reason == "first"
    assert calls == ["algorithm"]


def test_algorithms_run_in_order_then_listeners() -> None:
    controller = AbortController()
    signal = controller.signal
    calls: list[object] = []
    signal.add_event_listener("abort", lambda e: calls.append(("listener", e)))
    signal.add_algorithm(lambda: calls.append("first"))
    signal.add_algorithm(lambda: calls.append("second"))
    controller.abort("r")
    assert calls[:2] == ["first", "second"]
    assert calls[2] == ("listener", AbortEvent("abort", signal))


def test_removed_algorithms_and_listeners_do_not_run() -> None:
    controller = AbortController()
    calls: list[str] = []

    def algorithm() -> None:
        calls.append("algorithm")

    def listener(event: AbortEvent) -> None:
        calls.append("listener")

    controller.signal.add_algorithm(algorithm)
    controller.signal.remove_algorithm(algorithm)
    controller.signal.remove_algorithm(algorithm)  # removing twice is a no-op
    controller.signal.add_event_listener("abort", listener)
    controller.signal.remove_event_listener("abort", listener)
    controller.abort()
    assert calls == []


def test_a_listener_added_twice_runs_once_and_other_event_types_never_fire() -> None:
    controller = AbortController()
    calls: list[str] = []

    def listener(event: AbortEvent) -> None:
        calls.append(event.type)

    controller.signal.add_event_listener("abort", listener)
    controller.signal.add_event_listener("abort", listener)
    controller.signal.add_event_listener("other", listener)
    controller.abort()
    assert calls == ["abort"]


def test_an_algorithm_added_after_abort_never_runs() -> None:
    signal = AbortSignal.abort()
    calls: list[str] = []
    signal.add_algorithm(lambda: calls.append("x"))
    assert calls == []


def test_a_raising_listener_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller = AbortController()
    calls: list[str] = []

    def bad(event: AbortEvent) -> None:
        raise RuntimeError("listener failed")

    controller.signal.add_event_listener("abort", bad)
    controller.signal.add_event_listener("abort", lambda e: calls.append("good"))
    with caplog.at_level(logging.ERROR):
        controller.abort()
    assert calls == ["good"]
    assert "exception in an abort event listener" in caplog.text


async def test_a_raising_algorithm_is_reported_to_the_running_loop() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        controller = AbortController()

        def bad() -> None:
            raise RuntimeError("algorithm failed")

        controller.signal.add_algorithm(bad)
        controller.abort()
    finally:
        loop.set_exception_handler(previous)
    assert len(reported) == 1
    assert isinstance(reported[0]["exception"], RuntimeError)


def test_signal_abort_accepts_none_as_a_given_reason() -> None:
    controller = AbortController()
    signal_abort(controller.signal, None)
    assert controller.signal.aborted
    assert controller.signal.reason is None


def test_static_abort_gives_an_aborted_signal() -> None:
    assert isinstance(AbortSignal.abort().reason, AbortError)
    assert AbortSignal.abort("x").reason == "x"
    assert AbortSignal.abort().aborted


async def test_timeout_aborts_with_timeout_error() -> None:
    signal = AbortSignal.timeout(0)
    assert not signal.aborted
    fired = asyncio.get_running_loop().create_future()
    signal.add_event_listener("abort", lambda e: fired.set_result(None))
    await fired
    assert isinstance(signal.reason, TimeoutError)


@pytest.mark.parametrize(("value", "error"), [(-1, ValueError), ("1", TypeError)])
async def test_timeout_checks_its_argument(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="milliseconds"):
        AbortSignal.timeout(value)  # type: ignore[arg-type]


def test_any_follows_the_first_source_to_abort() -> None:
    a, b = AbortController(), AbortController()
    combined = AbortSignal.any([a.signal, b.signal])
    calls: list[str] = []
    combined.add_algorithm(lambda: calls.append("combined"))
    assert not combined.aborted
    b.abort("b")
    assert combined.aborted
    assert combined.reason == "b"
    a.abort("a")
    assert combined.reason == "b"
    assert calls == ["combined"]


def test_any_of_an_aborted_signal_is_aborted_at_once() -> None:
    combined = AbortSignal.any([AbortController().signal, AbortSignal.abort("done")])
    assert combined.aborted
    assert combined.reason == "done"


def test_any_of_a_dependent_signal_follows_its_sources() -> None:
    source = AbortController()
    inner = AbortSignal.any([source.signal])
    outer = AbortSignal.any([inner])
    source.abort("x")
    assert inner.reason == "x"
    assert outer.reason == "x"


def test_any_rejects_things_that_are_not_signals() -> None:
    with pytest.raises(TypeError, match="AbortSignal"):
        AbortSignal.any([object()])  # type: ignore[list-item]


def test_any_does_not_keep_dropped_dependents_alive() -> None:
    source = AbortController()
    for _ in range(100):
        AbortSignal.any([source.signal])
    gc.collect()
    AbortSignal.any([source.signal])
    assert len(source.signal._dependent_signals) <= 2


def test_reprs_show_the_state() -> None:
    controller = AbortController()
    assert "aborted" not in repr(controller)
    controller.abort("r")
    assert "aborted reason='r'" in repr(controller.signal)
