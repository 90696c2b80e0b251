"""Conformance: queuing strategy classes (WPT streams/queuing-strategies.any.js).

Left out, being JavaScript-only: ``size.name``, ``size.length``, "size has no prototype",
"size is not a constructor", and the unrestricted-double conversions of strings, booleans
and objects (Python has no ToNumber: those are a ``TypeError`` here).
"""

from __future__ import annotations

import math

import pytest

from wintersockets.streams.queuing_strategy import (
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
)

STRATEGIES = [CountQueuingStrategy, ByteLengthQueuingStrategy]


@pytest.mark.parametrize("cls", STRATEGIES)
def test_constructs_with_a_valid_high_water_mark(cls: type) -> None:
    cls({"highWaterMark": 4})


@pytest.mark.parametrize("cls", STRATEGIES)
@pytest.mark.parametrize("init", [None, True, 5, {}])
def test_construction_fails_with_strange_arguments(cls: type, init: object) -> None:
    with pytest.raises(TypeError):
        cls(init)


@pytest.mark.parametrize("cls", STRATEGIES)
def test_a_raising_high_water_mark_getter_propagates_exactly(cls: type) -> None:
    error = RuntimeError("wow!")

    class Init:
        @property
        def highWaterMark(self) -> float:  # the JavaScript spelling
            raise error

    with pytest.raises(RuntimeError) as info:
        cls(Init())
    assert info.value is error


@pytest.mark.parametrize("cls", STRATEGIES)
def test_a_high_water_mark_getter_is_read(cls: type) -> None:
    class Init:
        @property
        def high_water_mark(self) -> float:
            return 1

    assert cls(Init()).high_water_mark == 1


@pytest.mark.parametrize("cls", STRATEGIES)
@pytest.mark.parametrize("value", [-math.inf, -5, 0, 1, 2.5, math.inf])
def test_numeric_high_water_marks_are_kept_as_given(cls: type, value: float) -> None:
    assert cls({"highWaterMark": value}).high_water_mark == value


@pytest.mark.parametrize("cls", STRATEGIES)
def test_size_is_the_same_function_across_instances(cls: type) -> None:
    assert cls({"highWaterMark": 5}).size is cls({"highWaterMark": 10}).size


@pytest.mark.parametrize("cls", STRATEGIES)
def test_subclassing_works(cls: type) -> None:
    class SubClass(cls):  # type: ignore[misc]
        __slots__ = ()

        def sub_class_method(self) -> bool:
            return True

    sc = SubClass({"highWaterMark": 77})
    assert type(sc).__name__ == "SubClass"
    assert sc.high_water_mark == 77
    assert sc.sub_class_method()


def test_count_size_is_one_with_strange_arguments() -> None:
    size = CountQueuingStrategy({"highWaterMark": 5}).size
    for chunk in (None, "potato", {}, {"byteLength": 1024}):
        assert size(chunk) == 1


def test_byte_length_size_with_strange_arguments() -> None:
    size = ByteLengthQueuingStrategy({"highWaterMark": 5}).size
    with pytest.raises(TypeError):
        size(None)
    assert size(b"x" * 1024) == 1024
    assert size(memoryview(bytearray(1024))) == 1024
