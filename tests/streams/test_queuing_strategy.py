"""Queuing strategies: construction, validation, size functions, both spellings."""

from __future__ import annotations

import math

import pytest

from wintersockets.streams.queuing_strategy import (
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
    extract_high_water_mark,
    extract_size_algorithm,
)

STRATEGIES = [CountQueuingStrategy, ByteLengthQueuingStrategy]


@pytest.mark.parametrize("cls", STRATEGIES)
def test_the_high_water_mark_comes_from_a_keyword_a_mapping_or_an_object(cls: type) -> None:
    class Init:
        high_water_mark = 3

    assert cls(high_water_mark=3).high_water_mark == 3
    assert cls({"high_water_mark": 3}).high_water_mark == 3
    assert cls({"highWaterMark": 3}).high_water_mark == 3
    assert cls(Init()).high_water_mark == 3


@pytest.mark.parametrize("cls", STRATEGIES)
def test_the_snake_case_key_wins_over_the_camel_case_one(cls: type) -> None:
    assert cls({"high_water_mark": 1, "highWaterMark": 2}).high_water_mark == 1


@pytest.mark.parametrize("cls", STRATEGIES)
@pytest.mark.parametrize("init", [None, {}, 5, True, {"high_water_mark": None}])
def test_a_missing_high_water_mark_is_a_type_error(cls: type, init: object) -> None:
    with pytest.raises(TypeError, match="needs high_water_mark"):
        cls(init)


@pytest.mark.parametrize("cls", STRATEGIES)
@pytest.mark.parametrize("hwm", ["0", True, [], {}])
def test_a_non_numeric_high_water_mark_is_a_type_error(cls: type, hwm: object) -> None:
    with pytest.raises(TypeError, match="must be a number"):
        cls(high_water_mark=hwm)


@pytest.mark.parametrize("cls", STRATEGIES)
@pytest.mark.parametrize("hwm", [-math.inf, -5, 0, 0.5, math.inf])
def test_any_number_is_stored_as_given(cls: type, hwm: float) -> None:
    # The constructor takes an unrestricted double; streams validate it when they use it.
    assert cls(high_water_mark=hwm).high_water_mark == hwm


@pytest.mark.parametrize("cls", STRATEGIES)
def test_nan_is_stored_too(cls: type) -> None:
    assert math.isnan(cls(high_water_mark=math.nan).high_water_mark)


@pytest.mark.parametrize("cls", STRATEGIES)
def test_a_raising_property_propagates(cls: type) -> None:
    class Init:
        @property
        def high_water_mark(self) -> float:
            raise LookupError("wow")

    with pytest.raises(LookupError, match="wow"):
        cls(Init())


@pytest.mark.parametrize("cls", STRATEGIES)
def test_size_is_the_same_function_for_every_instance(cls: type) -> None:
    assert cls(high_water_mark=5).size is cls(high_water_mark=10).size


@pytest.mark.parametrize("cls", STRATEGIES)
def test_repr_names_the_high_water_mark(cls: type) -> None:
    assert repr(cls(high_water_mark=7)) == f"{cls.__name__}(high_water_mark=7)"


def test_count_size_is_one_for_anything() -> None:
    size = CountQueuingStrategy(high_water_mark=1).size
    for chunk in (None, "potato", {}, b"1234", object()):
        assert size(chunk) == 1


def test_byte_length_size_is_the_length_in_bytes() -> None:
    size = ByteLengthQueuingStrategy(high_water_mark=1).size
    assert size(b"1234") == 4
    assert size(bytearray(10)) == 10
    assert size(memoryview(b"abcdef")[1:3]) == 2
    assert size(memoryview(bytes(8)).cast("d")) == 8


@pytest.mark.parametrize("chunk", [None, "text", 5, object()])
def test_byte_length_size_of_something_without_bytes_is_a_type_error(chunk: object) -> None:
    with pytest.raises(TypeError):
        ByteLengthQueuingStrategy(high_water_mark=1).size(chunk)


def test_extract_high_water_mark_uses_the_default_when_absent() -> None:
    assert extract_high_water_mark(None, 1) == 1
    assert extract_high_water_mark({}, 0) == 0
    assert extract_high_water_mark({"high_water_mark": None}, 3) == 3
    assert extract_high_water_mark(CountQueuingStrategy(high_water_mark=4), 1) == 4


@pytest.mark.parametrize("hwm", [-1, -math.inf, math.nan])
def test_extract_high_water_mark_rejects_negative_and_nan(hwm: float) -> None:
    with pytest.raises(ValueError, match="non-negative"):
        extract_high_water_mark({"highWaterMark": hwm}, 1)


@pytest.mark.parametrize("hwm", ["1", True, None.__class__])
def test_extract_high_water_mark_rejects_non_numbers(hwm: object) -> None:
    with pytest.raises(TypeError, match="must be a number"):
        extract_high_water_mark({"high_water_mark": hwm}, 1)


def test_extract_size_algorithm_defaults_to_one_and_keeps_a_callable() -> None:
    assert extract_size_algorithm(None)("x") == 1
    assert extract_size_algorithm({})("x") == 1
    assert extract_size_algorithm({"size": len})("abc") == 3

    class Strategy:
        high_water_mark = 1

        def size(self, chunk: str) -> float:
            return len(chunk) * 2

    assert extract_size_algorithm(Strategy())("abc") == 6


def test_extract_size_algorithm_rejects_a_non_callable() -> None:
    with pytest.raises(TypeError, match="must be callable"):
        extract_size_algorithm({"size": 5})
