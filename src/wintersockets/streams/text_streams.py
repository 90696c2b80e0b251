"""Encoding streams [encoding]: ``TextEncoderStream`` and ``TextDecoderStream``.

https://encoding.spec.whatwg.org/#interface-textencoderstream

Both are transform streams (the spec's GenericTransformStream mixin): write to
``writable``, read from ``readable``. The encoder turns ``str`` chunks into UTF-8 ``bytes``;
the decoder turns bytes-like chunks into ``str``, keeping multi-byte characters that are
split across chunks whole.

Supported encodings are the Unicode ones: UTF-8, UTF-16LE and UTF-16BE, under every label
the Encoding Standard gives them. Other labels, known or not, raise ``ValueError`` (the
spec's RangeError is for unknown labels; legacy single-byte and CJK encodings are not
implemented).
"""

from __future__ import annotations

import codecs
import re
from typing import TYPE_CHECKING, Any, Final, final

from .transform_stream import TransformStream

if TYPE_CHECKING:
    from .readable_stream import ReadableStream
    from .transform_stream import TransformStreamDefaultController
    from .writable_stream import WritableStream

__all__ = ["TextDecoderStream", "TextEncoderStream"]

# https://encoding.spec.whatwg.org/#names-and-labels: label -> (name, Python codec).
_UTF8: Final = ("utf-8", "utf-8")
_UTF16LE: Final = ("utf-16le", "utf-16-le")
_UTF16BE: Final = ("utf-16be", "utf-16-be")
_ENCODINGS: Final = {
    **dict.fromkeys(
        [
            "unicode-1-1-utf-8",
            "unicode11utf8",
            "unicode20utf8",
            "utf-8",
            "utf8",
            "x-unicode20utf8",
        ],
        _UTF8,
    ),
    **dict.fromkeys(["unicodefffe", "utf-16be"], _UTF16BE),
    **dict.fromkeys(
        [
            "csunicode",
            "iso-10646-ucs-2",
            "ucs-2",
            "unicode",
            "unicodefeff",
            "utf-16",
            "utf-16le",
        ],
        _UTF16LE,
    ),
}
# ASCII whitespace, stripped from labels: TAB, LF, FF, CR and SPACE.
_ASCII_WHITESPACE: Final = "\t\n\x0c\r "

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_REPLACEMENT: Final = "\ufffd"


def _get_encoding(label: object) -> tuple[str, str]:
    """[Get an encoding] https://encoding.spec.whatwg.org/#concept-encoding-get"""
    if not isinstance(label, str):
        raise TypeError(f"an encoding label must be a str, got {label!r}")
    found = _ENCODINGS.get(label.strip(_ASCII_WHITESPACE).lower())
    if found is None:
        raise ValueError(
            f"unsupported encoding label {label!r}: TextDecoderStream decodes "
            "utf-8, utf-16le and utf-16be"
        )
    return found


@final
class TextEncoderStream:
    """Encodes ``str`` chunks to UTF-8 ``bytes`` [TextEncoderStream].

    https://encoding.spec.whatwg.org/#interface-textencoderstream

    A high surrogate at the end of a chunk waits for the next chunk, which may start with
    its low surrogate; lone surrogates become U+FFFD. Empty output is not enqueued.
    """

    __slots__ = ("_leading_surrogate", "_transform")

    def __init__(self) -> None:
        self._leading_surrogate = ""
        self._transform = TransformStream(
            {"transform": self._encode_and_enqueue, "flush": self._flush}
        )

    @property
    def encoding(self) -> str:
        """Always ``"utf-8"`` [encoding]."""
        return "utf-8"

    @property
    def readable(self) -> ReadableStream[bytes]:
        """Where the encoded ``bytes`` come out [readable]."""
        return self._transform.readable

    @property
    def writable(self) -> WritableStream:
        """Where ``str`` chunks go in [writable]."""
        return self._transform.writable

    def _encode_and_enqueue(
        self, chunk: Any, controller: TransformStreamDefaultController
    ) -> None:
        """[Encode and enqueue a chunk] https://encoding.spec.whatwg.org/#encode-and-enqueue-a-chunk"""
        if not isinstance(chunk, str):
            raise TypeError(f"TextEncoderStream takes str chunks, got {type(chunk).__name__}")
        if self._leading_surrogate:
            chunk = self._leading_surrogate + chunk
            self._leading_surrogate = ""
        if not chunk:
            return
        try:
            output = chunk.encode("utf-8")
        except UnicodeEncodeError:
            output = self._encode_with_surrogates(chunk)
        if output:
            controller.enqueue(output)

    def _encode_with_surrogates(self, chunk: str) -> bytes:
        # Python strings hold code points, so a surrogate pair split across chunks arrives
        # as two lone surrogates: pair them (through UTF-16), hold a trailing high one for
        # the next chunk, and replace any left alone.
        if "\ud800" <= chunk[-1] <= "\udbff":
            self._leading_surrogate = chunk[-1]
            chunk = chunk[:-1]
        paired = chunk.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return _SURROGATE.sub(_REPLACEMENT, paired).encode("utf-8")

    def _flush(self, controller: TransformStreamDefaultController) -> None:
        """[Encode and flush] https://encoding.spec.whatwg.org/#encode-and-flush"""
        if self._leading_surrogate:
            self._leading_surrogate = ""
            controller.enqueue(_REPLACEMENT.encode("utf-8"))

    def __repr__(self) -> str:
        return "<TextEncoderStream encoding='utf-8'>"


@final
class TextDecoderStream:
    """Decodes bytes-like chunks to ``str`` [TextDecoderStream].

    https://encoding.spec.whatwg.org/#interface-textdecoderstream

    Args:
        label: the encoding's label (``"utf-8"``, ``"utf-16le"``, ``"utf-16be"`` or an
            alias), case-insensitive.
        fatal: raise on malformed input instead of substituting U+FFFD; the stream is then
            errored with a ``TypeError``.
        ignore_bom: keep a leading byte order mark instead of stripping it.

    Raises:
        TypeError: ``label`` is not a ``str``.
        ValueError: the label is unknown or its encoding is not supported (the spec's
            RangeError).
    """

    __slots__ = ("_bom_seen", "_decoder", "_encoding", "_fatal", "_ignore_bom", "_transform")

    def __init__(
        self, label: str = "utf-8", *, fatal: bool = False, ignore_bom: bool = False
    ) -> None:
        self._encoding, codec = _get_encoding(label)
        self._fatal = bool(fatal)
        self._ignore_bom = bool(ignore_bom)
        self._bom_seen = False
        self._decoder = codecs.getincrementaldecoder(codec)("strict" if fatal else "replace")
        self._transform = TransformStream(
            {"transform": self._decode_and_enqueue, "flush": self._flush}
        )

    @property
    def encoding(self) -> str:
        """The encoding's name, lowercase (``"utf-8"``) [encoding]."""
        return self._encoding

    @property
    def fatal(self) -> bool:
        """Whether malformed input errors the stream [fatal]."""
        return self._fatal

    @property
    def ignore_bom(self) -> bool:
        """Whether a leading byte order mark is kept [ignoreBOM]."""
        return self._ignore_bom

    @property
    def readable(self) -> ReadableStream[str]:
        """Where the decoded ``str`` chunks come out [readable]."""
        return self._transform.readable

    @property
    def writable(self) -> WritableStream:
        """Where bytes-like chunks go in [writable]."""
        return self._transform.writable

    def _decode_and_enqueue(
        self, chunk: Any, controller: TransformStreamDefaultController
    ) -> None:
        """[Decode and enqueue a chunk] https://encoding.spec.whatwg.org/#decode-and-enqueue-a-chunk"""
        try:
            data = memoryview(chunk)
        except TypeError:
            raise TypeError(
                f"TextDecoderStream takes bytes-like chunks, got {type(chunk).__name__}"
            ) from None
        if data.format != "B" or not data.c_contiguous:
            data = memoryview(data.tobytes())
        self._enqueue(self._decode(data, False), controller)

    def _flush(self, controller: TransformStreamDefaultController) -> None:
        """[Flush and enqueue] https://encoding.spec.whatwg.org/#flush-and-enqueue"""
        self._enqueue(self._decode(b"", True), controller)

    def _decode(self, data: memoryview | bytes, final: bool) -> str:
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise TypeError(
                f"the input is not valid {self._encoding} ({exc.reason} at byte "
                f"{exc.start} of the chunk); decode with fatal=False to replace bad bytes"
            ) from exc

    def _enqueue(self, output: str, controller: TransformStreamDefaultController) -> None:
        # [Serialize I/O queue]: a U+FEFF at the very start of the stream is a byte order
        # mark, stripped unless ignore_bom.
        if not output:
            return
        if not self._bom_seen:
            self._bom_seen = True
            if not self._ignore_bom and output[0] == "\ufeff":
                output = output[1:]
                if not output:
                    return
        controller.enqueue(output)

    def __repr__(self) -> str:
        return (
            f"<TextDecoderStream encoding={self._encoding!r} fatal={self._fatal} "
            f"ignore_bom={self._ignore_bom}>"
        )
