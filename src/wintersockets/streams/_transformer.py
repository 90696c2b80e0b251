"""Normalize a transformer [Transformer] once into a frozen record of callbacks.

https://streams.spec.whatwg.org/#transformer-api

A transformer is an object with optional ``start``, ``transform``, ``flush`` and ``cancel``
methods, or a mapping with those keys; each callback may be plain or return an awaitable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from ._underlying_sink import callback_member, check_dictionary, dictionary_member

if TYPE_CHECKING:
    from .transform_stream import TransformStreamDefaultController

__all__ = ["TransformerDict"]


class TransformerDict(TypedDict, total=False):
    """The mapping spelling of a transformer."""

    start: Callable[[TransformStreamDefaultController], object]
    transform: Callable[[Any, TransformStreamDefaultController], object]
    flush: Callable[[TransformStreamDefaultController], object]
    cancel: Callable[[Any], object]


@dataclass(frozen=True, slots=True)
class TransformerRecord:
    """A transformer after Web IDL conversion; ``None`` marks an absent member."""

    start: Callable[[TransformStreamDefaultController], object] | None = None
    transform: Callable[[Any, TransformStreamDefaultController], object] | None = None
    flush: Callable[[TransformStreamDefaultController], object] | None = None
    cancel: Callable[[Any], object] | None = None


def _reserved_member(transformer: object, snake: str, camel: str) -> object:
    value = dictionary_member(transformer, snake)
    return dictionary_member(transformer, camel) if value is None else value


def convert_transformer(transformer: object) -> TransformerRecord:
    """Convert ``transformer`` as the TransformStream constructor's steps 1-4 do.

    Members are read in Web IDL's order (lexicographic), so the first bad one is reported.
    ``readable_type``/``writable_type`` (or ``readableType``/``writableType``) are reserved.

    Raises:
        TypeError: the transformer is not an object or mapping, or a member is not callable.
        ValueError: a reserved type member is present (the spec's RangeError).
    """
    if transformer is None:
        return TransformerRecord()
    check_dictionary(transformer, "transformer")
    cancel = callback_member(transformer, "cancel", "transformer", 1)
    flush = callback_member(transformer, "flush", "transformer", 1)
    readable_type = _reserved_member(transformer, "readable_type", "readableType")
    start = callback_member(transformer, "start", "transformer", 1)
    transform = callback_member(transformer, "transform", "transformer", 2)
    writable_type = _reserved_member(transformer, "writable_type", "writableType")
    if readable_type is not None:
        raise ValueError(
            f"transformer readable_type is reserved and must be absent or None, "
            f"got {readable_type!r}"
        )
    if writable_type is not None:
        raise ValueError(
            f"transformer writable_type is reserved and must be absent or None, "
            f"got {writable_type!r}"
        )
    return TransformerRecord(start=start, transform=transform, flush=flush, cancel=cancel)
