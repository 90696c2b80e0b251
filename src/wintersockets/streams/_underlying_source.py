"""Normalize an underlying source [UnderlyingSource] once into a frozen record of callbacks.

https://streams.spec.whatwg.org/#underlying-source-api

A source is an object with optional ``start``, ``pull`` and ``cancel`` methods and ``type``
and ``auto_allocate_chunk_size`` attributes, or a mapping with those keys. The JavaScript
spelling (``"autoAllocateChunkSize"``) is accepted too, so code ported from JavaScript works
unchanged. Each callback may be a plain function or return an awaitable (a coroutine
function, say). Web IDL converts the dictionary once, when the stream is built; nothing
downstream looks at the user's object again.

JavaScript calls a callback with more arguments than it declares without complaint, and
ported sources often write ``cancel()`` without the reason. A callback that takes no
positional argument is therefore called without one (``_callbacks.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, TypedDict

from ._callbacks import fit_arguments

__all__ = ["UnderlyingSourceDict"]

_MISSING: Final = object()

# Python values that JavaScript would not treat as objects: passing one where the spec takes
# an `object` is the spec's TypeError, not an empty dictionary.
_PRIMITIVES = (str, bytes, bytearray, memoryview, int, float, complex)

# Web IDL's [EnforceRange] unsigned long long.
_MAX_UNSIGNED_LONG_LONG: Final = 2**53 - 1


class UnderlyingSourceDict(TypedDict, total=False):
    """The mapping spelling of an underlying source."""

    start: Callable[[Any], object]
    pull: Callable[[Any], object]
    cancel: Callable[[Any], object]
    type: Literal["bytes"] | None
    auto_allocate_chunk_size: int
    autoAllocateChunkSize: int


@dataclass(frozen=True, slots=True)
class UnderlyingSourceRecord:
    """An underlying source after Web IDL conversion; ``None`` marks an absent member.

    Each callback takes exactly one argument (the controller, or the cancel reason).
    """

    start: Callable[[Any], object] | None = None
    pull: Callable[[Any], object] | None = None
    cancel: Callable[[object], object] | None = None
    type: Literal["bytes"] | None = None
    auto_allocate_chunk_size: int | None = None


def dictionary_member(source: object, snake: str, camel: str | None = None) -> object:
    """Member ``snake`` (or ``camel``) of a dictionary given as an object or a mapping.

    A member set to ``None`` counts as absent (``None``), as ``undefined`` does in
    JavaScript.
    """
    if isinstance(source, Mapping):
        value = source.get(snake, _MISSING)
        if value is _MISSING and camel is not None:
            value = source.get(camel, _MISSING)
    else:
        value = getattr(source, snake, _MISSING)
        if value is _MISSING and camel is not None:
            value = getattr(source, camel, _MISSING)
    return None if value is _MISSING else value


def _callback(source: object, name: str) -> Callable[[Any], object] | None:
    value = dictionary_member(source, name)
    if value is None:
        return None
    if not callable(value):
        raise TypeError(f"underlying source {name} must be callable, got {value!r}")
    return fit_arguments(value, 1)


def enforce_range_unsigned(value: object, what: str) -> int:
    """Web IDL's ``[EnforceRange] unsigned long long`` conversion, for Python ints.

    Raises:
        TypeError: ``value`` is not an integer (``bool`` included) or is out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, got {value!r}")
    if value < 0 or value > _MAX_UNSIGNED_LONG_LONG:
        raise TypeError(f"{what} must be an integer from 0 to 2**53 - 1, got {value!r}")
    return value


def convert_underlying_source(underlying_source: object) -> UnderlyingSourceRecord:
    """Convert ``underlying_source`` as the ReadableStream constructor's step 2 does.

    Members are read in Web IDL's order (lexicographic), so the first bad one is reported.

    Raises:
        TypeError: the source is not an object or mapping, a callback is not callable,
            ``type`` is not ``"bytes"`` or ``auto_allocate_chunk_size`` is not an integer
            in range.
    """
    if underlying_source is None:
        return UnderlyingSourceRecord()
    if isinstance(underlying_source, _PRIMITIVES):
        raise TypeError(
            f"underlying source must be an object or a mapping, got {underlying_source!r}"
        )
    chunk_size = dictionary_member(
        underlying_source, "auto_allocate_chunk_size", "autoAllocateChunkSize"
    )
    if chunk_size is not None:
        chunk_size = enforce_range_unsigned(chunk_size, "auto_allocate_chunk_size")
    cancel = _callback(underlying_source, "cancel")
    pull = _callback(underlying_source, "pull")
    start = _callback(underlying_source, "start")
    source_type = dictionary_member(underlying_source, "type")
    if source_type is not None and source_type != "bytes":
        raise TypeError(f'underlying source type must be "bytes" or absent, got {source_type!r}')
    return UnderlyingSourceRecord(
        start=start,
        pull=pull,
        cancel=cancel,
        type="bytes" if source_type is not None else None,
        auto_allocate_chunk_size=chunk_size,
    )
