"""The behaviors WPT's ``streams/readable-streams/count-queuing-strategy-integration.any.js``
and ``floating-point-total-queue-size.any.js`` check."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.streams.support import js_await, stream_with_controller
from wintersockets.streams._types import ReadResult
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream

MAX_SAFE_INTEGER = 2**53 - 1


async def test_a_count_queuing_strategy_is_accepted() -> None:
    ReadableStream({}, CountQueuingStrategy(high_water_mark=4))


@pytest.mark.parametrize("high_water_mark", [0, 1, 4])
async def test_a_count_strategy_governs_desired_size(high_water_mark: int) -> None:
    stream, controller = stream_with_controller(
        None, CountQueuingStrategy(high_water_mark=high_water_mark)
    )
    reader = stream.get_reader()
    expected = high_water_mark
    assert controller.desired_size == expected
    for chunk in "abcdef":
        controller.enqueue(chunk)
        expected -= 1
        assert controller.desired_size == expected
    for chunk in "abc":
        assert await reader.read() == ReadResult(chunk, False)
        expected += 1
        assert controller.desired_size == expected
    controller.enqueue("g")
    assert controller.desired_size == expected - 1


def float_stream() -> tuple[Any, Any]:
    stream, controller = stream_with_controller(
        None, {"size": lambda chunk: chunk, "high_water_mark": 0}
    )
    return stream.get_reader(), controller


async def test_float_arithmetic_near_max_safe_integer() -> None:
    reader, controller = float_stream()
    controller.enqueue(2)
    assert controller.desired_size == -2
    controller.enqueue(MAX_SAFE_INTEGER)
    assert controller.desired_size == 0 - MAX_SAFE_INTEGER - 2
    await js_await(reader.read())
    assert controller.desired_size == 0 - MAX_SAFE_INTEGER - 2 + 2
    await js_await(reader.read())
    assert controller.desired_size == 0


async def test_float_arithmetic_near_0_clamped() -> None:
    reader, controller = float_stream()
    controller.enqueue(1e-16)
    assert controller.desired_size == 0 - 1e-16
    controller.enqueue(1)
    assert controller.desired_size == 0 - 1e-16 - 1
    await reader.read()
    assert controller.desired_size == 0 - 1e-16 - 1 + 1e-16
    await reader.read()
    assert controller.desired_size == 0  # the total clamps to 0 when it goes negative


async def test_float_arithmetic_near_0_not_clamped() -> None:
    reader, controller = float_stream()
    for chunk in (1e-16, 1, 2e-16):
        controller.enqueue(chunk)
    assert controller.desired_size == 0 - 1e-16 - 1 - 2e-16
    await reader.read()
    assert controller.desired_size == 0 - 1e-16 - 1 - 2e-16 + 1e-16
    await reader.read()
    assert controller.desired_size == 0 - 1e-16 - 1 - 2e-16 + 1e-16 + 1
    await reader.read()
    assert controller.desired_size == 0 - 1e-16 - 1 - 2e-16 + 1e-16 + 1 + 2e-16


async def test_float_arithmetic_near_0_ends_at_zero() -> None:
    reader, controller = float_stream()
    controller.enqueue(2e-16)
    controller.enqueue(1)
    assert controller.desired_size == 0 - 2e-16 - 1
    await reader.read()
    assert controller.desired_size == 0 - 2e-16 - 1 + 2e-16
    await reader.read()
    assert controller.desired_size == 0
    assert sys.float_info.mant_dig == 53  # the arithmetic is IEEE double, as in JavaScript
