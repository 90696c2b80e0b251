"""What a chunk written to a socket sends (DESIGN.md decision 7).

Bytes-like objects are copied when written, so changing a ``bytearray`` afterwards changes
nothing that is sent (a ``bytes`` cannot change, so it is kept as it is); ``str`` is sent as
UTF-8, with lone surrogates replaced by U+FFFD as Web IDL's ``USVString`` conversion does;
anything else is a ``TypeError``.
"""

from __future__ import annotations

import re
from typing import Final

__all__: list[str] = []

_SURROGATES: Final = re.compile("[\ud800-\udfff]")


def encode_chunk(chunk: object) -> bytes:
    """The bytes ``chunk`` sends.

    Raises:
        TypeError: ``chunk`` is neither bytes-like nor ``str``.
    """
    if type(chunk) is bytes:
        return chunk
    if isinstance(chunk, str):
        try:
            return chunk.encode()
        except UnicodeEncodeError:
            return _SURROGATES.sub("\ufffd", chunk).encode()
    try:
        view = memoryview(chunk)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            "a socket's writable takes bytes-like objects (bytes, bytearray, memoryview) "
            f"or str, got {type(chunk).__name__}"
        ) from None
    return view.tobytes()
