"""The behaviors WPT's ``streams/readable-streams/bad-strategies.any.js`` checks."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.streams.support import assert_rejects, error1, error2, stream_with_controller
from wintersockets.streams.readable_stream import ReadableStream


async def test_a_throwing_size_getter_makes_the_constructor_raise() -> None:
    class Strategy:
        high_water_mark = 5

        @property
        def size(self) -> object:
            raise error1

    with pytest.raises(type(error1)):
        ReadableStream({}, Strategy())


async def test_a_throwing_high_water_mark_getter_makes_the_constructor_raise() -> None:
    class Strategy:
        @property
        def high_water_mark(self) -> float:
            raise error1

        def size(self, _chunk: object) -> float:
            return 1

    with pytest.raises(type(error1)):
        ReadableStream({}, Strategy())


async def test_a_size_that_errors_the_stream_then_raises() -> None:
    box: list[Any] = []

    def size(_chunk: object) -> float:
        box[0].error(error1)
        raise error2

    stream, controller = stream_with_controller(None, {"size": size, "high_water_mark": 5})
    box.append(controller)
    with pytest.raises(type(error2)):
        controller.enqueue("a")
    await assert_rejects(stream.get_reader().closed, error1)


async def test_a_size_that_errors_the_stream_then_returns_infinity() -> None:
    box: list[Any] = []

    def size(_chunk: object) -> float:
        box[0].error(error1)
        return math.inf

    stream, controller = stream_with_controller(None, {"size": size, "high_water_mark": 5})
    box.append(controller)
    with pytest.raises(ValueError):
        controller.enqueue("a")
    await assert_rejects(stream.get_reader().closed, error1)


async def test_a_throwing_size_errors_the_stream_with_its_error() -> None:
    def size(_chunk: object) -> float:
        raise error1

    stream, controller = stream_with_controller(None, {"size": size, "high_water_mark": 5})
    with pytest.raises(type(error1)):
        controller.enqueue("a")
    await assert_rejects(stream.get_reader().closed, error1)


@pytest.mark.parametrize("high_water_mark", [-1, -math.inf, math.nan])
async def test_an_invalid_high_water_mark_is_a_value_error(high_water_mark: float) -> None:
    with pytest.raises(ValueError):
        ReadableStream({}, {"size": lambda c: 1, "high_water_mark": high_water_mark})


@pytest.mark.parametrize("high_water_mark", ["foo", {}, True])
async def test_a_high_water_mark_that_is_not_a_number_is_a_type_error(
    high_water_mark: object,
) -> None:
    with pytest.raises(TypeError):
        ReadableStream({}, {"size": lambda c: 1, "high_water_mark": high_water_mark})


@pytest.mark.parametrize("bad_size", [math.nan, -math.inf, math.inf, -1, "1", None])
async def test_an_invalid_size_errors_the_stream_with_a_value_error(bad_size: object) -> None:
    stream, controller = stream_with_controller(
        None, {"size": lambda chunk: bad_size, "high_water_mark": 5}
    )
    with pytest.raises(ValueError) as caught:
        controller.enqueue("hi")
    await assert_rejects(stream.get_reader().closed, caught.value)
