"""Queuing strategies [qs]: ``CountQueuingStrategy``, ``ByteLengthQueuingStrategy``.

https://streams.spec.whatwg.org/#qs

A strategy is any object with ``high_water_mark`` and optional ``size`` attributes, or a
mapping with those keys (``"highWaterMark"`` is accepted too, for code ported from
JavaScript).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol, final

__all__ = ["ByteLengthQueuingStrategy", "CountQueuingStrategy", "QueuingStrategy"]

SizeAlgorithm = Callable[[Any], float]
_MISSING: Final = object()


class QueuingStrategy(Protocol):
    """What a strategy object provides; ``size`` is optional."""

    @property
    def high_water_mark(self) -> float: ...


def _member(strategy: object, snake: str, camel: str) -> Any:
    if strategy is None:
        return _MISSING
    if isinstance(strategy, Mapping):
        if snake in strategy:
            return strategy[snake]
        return strategy.get(camel, _MISSING)
    return getattr(strategy, snake, getattr(strategy, camel, _MISSING))


def _to_high_water_mark(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"high_water_mark must be a number, got {value!r}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"high_water_mark must be a non-negative number, got {value!r}")
    return value


def extract_high_water_mark(strategy: object, default_hwm: float) -> float:
    """[ExtractHighWaterMark] https://streams.spec.whatwg.org/#validate-and-normalize-high-water-mark

    Raises:
        TypeError: the high-water mark is not a number.
        ValueError: it is NaN or negative (the spec's RangeError).
    """
    hwm = _member(strategy, "high_water_mark", "highWaterMark")
    if hwm is _MISSING or hwm is None:
        return default_hwm
    return _to_high_water_mark(hwm)


def _size_one(_chunk: object) -> float:
    return 1


def extract_size_algorithm(strategy: object) -> SizeAlgorithm:
    """[ExtractSizeAlgorithm] https://streams.spec.whatwg.org/#make-size-algorithm-from-size-function

    Raises:
        TypeError: ``size`` is present but not callable.
    """
    size = _member(strategy, "size", "size")
    if size is _MISSING or size is None:
        return _size_one
    if not callable(size):
        raise TypeError(f"a queuing strategy's size must be callable, got {size!r}")
    return size  # type: ignore[no-any-return]


def _byte_length_size(chunk: Any) -> float:
    # The spec's size function returns chunk.byteLength.
    if isinstance(chunk, bytes | bytearray):
        return len(chunk)
    return memoryview(chunk).nbytes


def _init_high_water_mark(name: str, init: object, high_water_mark: object) -> float:
    if init is not None:
        high_water_mark = _member(init, "high_water_mark", "highWaterMark")
    if high_water_mark is _MISSING or high_water_mark is None:
        raise TypeError(f"{name} needs high_water_mark")
    if isinstance(high_water_mark, bool) or not isinstance(high_water_mark, int | float):
        raise TypeError(f"high_water_mark must be a number, got {high_water_mark!r}")
    return high_water_mark


@final
class ByteLengthQueuingStrategy:
    """Counts a chunk's size as its length in bytes [ByteLengthQueuingStrategy].

    https://streams.spec.whatwg.org/#blqs-class
    """

    __slots__ = ("_high_water_mark",)

    def __init__(self, init: object = None, *, high_water_mark: object = _MISSING) -> None:
        self._high_water_mark = _init_high_water_mark(
            "ByteLengthQueuingStrategy", init, high_water_mark
        )

    @property
    def high_water_mark(self) -> float:
        return self._high_water_mark

    @property
    def size(self) -> SizeAlgorithm:
        """A function returning a chunk's byte length (the same function every time)."""
        return _byte_length_size

    def __repr__(self) -> str:
        return f"ByteLengthQueuingStrategy(high_water_mark={self._high_water_mark!r})"


@final
class CountQueuingStrategy:
    """Counts every chunk as size 1 [CountQueuingStrategy].

    https://streams.spec.whatwg.org/#cqs-class
    """

    __slots__ = ("_high_water_mark",)

    def __init__(self, init: object = None, *, high_water_mark: object = _MISSING) -> None:
        self._high_water_mark = _init_high_water_mark(
            "CountQueuingStrategy", init, high_water_mark
        )

    @property
    def high_water_mark(self) -> float:
        return self._high_water_mark

    @property
    def size(self) -> SizeAlgorithm:
        """A function returning 1 for any chunk (the same function every time)."""
        return _size_one

    def __repr__(self) -> str:
        return f"CountQueuingStrategy(high_water_mark={self._high_water_mark!r})"
