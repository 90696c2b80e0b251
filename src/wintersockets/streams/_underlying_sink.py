"""Normalize an underlying sink [UnderlyingSink] once into a frozen record of callbacks.

https://streams.spec.whatwg.org/#underlying-sink-api

A sink is an object with optional ``start``, ``write``, ``close`` and ``abort`` methods, or a
mapping with those keys. Each callback may be a plain function or return an awaitable (a
coroutine function, say). Web IDL converts the dictionary once, when the stream is built;
nothing downstream looks at the user's object again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypedDict

from ._callbacks import fit_arguments

if TYPE_CHECKING:
    from .writable_controller import WritableStreamDefaultController

__all__ = ["UnderlyingSinkDict"]

_MISSING: Final = object()

# Python values that JavaScript would not treat as objects: passing one where the spec
# takes an `object` is the spec's TypeError, not an empty dictionary.
_PRIMITIVES = (str, bytes, bytearray, memoryview, int, float, complex)


class UnderlyingSinkDict(TypedDict, total=False):
    """The mapping spelling of an underlying sink."""

    start: Callable[[WritableStreamDefaultController], object]
    write: Callable[[Any, WritableStreamDefaultController], object]
    close: Callable[[], object]
    abort: Callable[[Any], object]


@dataclass(frozen=True, slots=True)
class UnderlyingSinkRecord:
    """An underlying sink after Web IDL conversion; ``None`` marks an absent member."""

    start: Callable[[WritableStreamDefaultController], object] | None = None
    write: Callable[[Any, WritableStreamDefaultController], object] | None = None
    close: Callable[[], object] | None = None
    abort: Callable[[Any], object] | None = None


def dictionary_member(source: object, name: str) -> object:
    """The value of member ``name`` of a dictionary given as an object or a mapping.

    ``None`` counts as absent, as ``undefined`` does in JavaScript.
    """
    if isinstance(source, Mapping):
        value = source.get(name, _MISSING)
    else:
        value = getattr(source, name, _MISSING)
    return None if value is _MISSING else value


def check_dictionary(source: object, what: str) -> None:
    """Raise the spec's ``TypeError`` when ``source`` cannot be converted to a dictionary."""
    if isinstance(source, _PRIMITIVES):
        raise TypeError(f"{what} must be an object or a mapping, got {source!r}")


def callback_member(source: object, name: str, what: str, arguments: int) -> Any:
    """A callable dictionary member, or ``None`` when absent.

    The spec calls it with ``arguments`` positional arguments; one declaring fewer is
    called with the leading ones only, as JavaScript would.

    Raises:
        TypeError: the member is present but not callable.
    """
    value = dictionary_member(source, name)
    if value is None:
        return None
    if not callable(value):
        raise TypeError(f"{what}.{name} must be callable, got {value!r}")
    return fit_arguments(value, arguments)


def convert_underlying_sink(underlying_sink: object) -> UnderlyingSinkRecord:
    """Convert ``underlying_sink`` as the WritableStream constructor's steps 1-3 do.

    Members are read in Web IDL's order (lexicographic), so the first bad one is reported.

    Raises:
        TypeError: the sink is not an object or mapping, or a member is not callable.
        ValueError: ``type`` is present (the spec's RangeError: it is reserved).
    """
    if underlying_sink is None:
        return UnderlyingSinkRecord()
    check_dictionary(underlying_sink, "underlying sink")
    abort = callback_member(underlying_sink, "abort", "underlying sink", 1)
    close = callback_member(underlying_sink, "close", "underlying sink", 0)
    start = callback_member(underlying_sink, "start", "underlying sink", 1)
    sink_type = dictionary_member(underlying_sink, "type")
    write = callback_member(underlying_sink, "write", "underlying sink", 2)
    if sink_type is not None:
        raise ValueError(
            f"underlying sink type is reserved and must be absent or None, got {sink_type!r}"
        )
    return UnderlyingSinkRecord(start=start, write=write, close=close, abort=abort)
