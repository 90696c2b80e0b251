"""Types shared by the stream modules."""

from __future__ import annotations

from typing import Any, Final, NamedTuple, TypeAlias

__all__ = ["BytesLike", "ReadResult"]

BytesLike: TypeAlias = bytes | bytearray | memoryview


class ReadResult(NamedTuple):
    """What a read resolves with: ``value`` and ``done``, as ``{value, done}`` in JavaScript.

    When ``done`` is true, ``value`` is ``None`` for default readers and an empty view of
    the caller's buffer for BYOB readers.
    """

    value: Any
    done: bool


tuple_new: Final = tuple.__new__
"""``tuple_new(ReadResult, (value, done))`` makes a ``ReadResult`` without the named tuple's
Python-level ``__new__``: reads are hot."""
