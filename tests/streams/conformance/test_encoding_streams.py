"""Conformance: encoding streams (WPT encoding/streams/*.any.js).

decode-utf8, decode-split-character, decode-incomplete-input, decode-ignore-bom,
decode-bad-chunks, encode-utf8, encode-bad-chunks and readable-writable-properties.
Python reading: the encoder takes ``str`` chunks only (JavaScript converts any value with
ToString), and outputs ``bytes`` (JavaScript's ``Uint8Array``).
"""

from __future__ import annotations

import array
from typing import Any

import pytest

from tests.streams.support import assert_rejects, from_list, readable_stream_to_array
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.text_streams import TextDecoderStream, TextEncoderStream
from wintersockets.streams.writable_stream import WritableStream

ASTRAL = "\U0001f499"  # BLUE HEART
ASTRAL_UTF8 = bytes([0xF0, 0x9F, 0x92, 0x99])
LEADING, TRAILING = "\ud83d", "\udc99"
REPLACEMENT = bytes([0xEF, 0xBF, 0xBD])
INPUT_STRING = "I \U0001f499 streams"
INPUT_BYTES = bytes([73, 32, 240, 159, 146, 153, 32, 115, 116, 114, 101, 97, 109, 115])


async def encode(chunks: list[str]) -> list[bytes]:
    return await readable_stream_to_array(from_list(chunks).pipe_through(TextEncoderStream()))


async def decode(chunks: list[Any], label: str = "utf-8", **options: bool) -> list[str]:
    stream = from_list(chunks).pipe_through(TextDecoderStream(label, **options))
    return await readable_stream_to_array(stream)


# -- encode-utf8.any.js ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([INPUT_STRING], [INPUT_BYTES]),
        ([LEADING, TRAILING], [ASTRAL_UTF8]),
        ([LEADING, TRAILING + ASTRAL], [ASTRAL_UTF8 * 2]),
        ([LEADING, TRAILING + LEADING, TRAILING], [ASTRAL_UTF8, ASTRAL_UTF8]),
        (
            [LEADING, TRAILING + LEADING + LEADING, TRAILING],
            [ASTRAL_UTF8 + REPLACEMENT, ASTRAL_UTF8],
        ),
        ([LEADING], [REPLACEMENT]),
        ([LEADING, ASTRAL], [REPLACEMENT + ASTRAL_UTF8]),
        ([LEADING, "A"], [REPLACEMENT + b"A"]),
        ([LEADING, LEADING, TRAILING], [REPLACEMENT, ASTRAL_UTF8]),
        ([LEADING, LEADING], [REPLACEMENT, REPLACEMENT]),
        ([LEADING + LEADING, TRAILING], [REPLACEMENT, ASTRAL_UTF8]),
        ([TRAILING, ASTRAL], [REPLACEMENT, ASTRAL_UTF8]),
        ([LEADING, "", TRAILING], [ASTRAL_UTF8]),
        ([LEADING, ""], [REPLACEMENT]),
        ([""], []),
        (["", INPUT_STRING], [INPUT_BYTES]),
        ([INPUT_STRING, ""], [INPUT_BYTES]),
        (["A"], [b"A"]),
        (["\xff"], [bytes([195, 191])]),
    ],
)
async def test_encode_utf8(chunks: list[str], expected: list[bytes]) -> None:
    assert await encode(chunks) == expected


# -- encode-bad-chunks.any.js ---------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 3.14, b"bytes", ["A"], object()])
async def test_a_chunk_that_is_not_a_str_errors_the_encoder(chunk: object) -> None:
    tes = TextEncoderStream()
    writer = tes.writable.get_writer()
    reader = tes.readable.get_reader()
    write = writer.write(chunk)
    read = reader.read()
    await assert_rejects(write, TypeError)
    await assert_rejects(read, TypeError)


# -- decode-utf8.any.js ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([INPUT_BYTES], [INPUT_STRING]),
        ([b""], []),
        ([b"", INPUT_BYTES], [INPUT_STRING]),
        ([INPUT_BYTES, b""], [INPUT_STRING]),
    ],
)
async def test_decode_utf8(chunks: list[bytes], expected: list[str]) -> None:
    assert await decode(chunks) == expected


@pytest.mark.parametrize(
    "wrap",
    [bytes, bytearray, memoryview, lambda b: array.array("B", b), lambda b: memoryview(b)[0:]],
)
async def test_any_bytes_like_chunk_decodes(wrap: Any) -> None:
    assert await decode([wrap(INPUT_BYTES)]) == [INPUT_STRING]


async def test_a_view_of_a_wider_type_decodes_its_bytes() -> None:
    words = array.array("H", [0x6261, 0x6463])  # little-endian "abcd" on this machine
    expected = words.tobytes().decode("utf-8")
    assert await decode([words]) == [expected]


# -- decode-split-character.any.js ----------------------------------------------------------


@pytest.mark.parametrize(
    "character", ["\xa9", "\u2603", ASTRAL], ids=["two-byte", "three-byte", "four-byte"]
)
async def test_a_character_split_across_chunks_decodes_whole(character: str) -> None:
    encoded = ("a" + character + "b").encode("utf-8")
    for split in range(1, len(encoded)):
        output = await decode([encoded[:split], encoded[split:]])
        assert "".join(output) == "a" + character + "b"


async def test_a_character_split_byte_by_byte_decodes_whole() -> None:
    encoded = INPUT_STRING.encode("utf-8")
    output = await decode([encoded[i : i + 1] for i in range(len(encoded))])
    assert "".join(output) == INPUT_STRING


# -- decode-incomplete-input.any.js ---------------------------------------------------------


@pytest.mark.parametrize("tail", [b"\xf0", b"\xf0\x9f", b"\xf0\x9f\x92", b"\xe2\x98", b"\xc2"])
async def test_incomplete_input_at_the_end_becomes_a_replacement_character(tail: bytes) -> None:
    output = await decode([b"a" + tail])
    assert "".join(output) == "a\ufffd"


async def test_incomplete_input_at_the_end_is_an_error_when_fatal() -> None:
    tds = TextDecoderStream(fatal=True)
    writer = tds.writable.get_writer()
    reader = tds.readable.get_reader()
    writer.write(b"a\xf0\x9f")
    close = writer.close()
    assert await reader.read() == ("a", False)
    await assert_rejects(close, TypeError)
    await assert_rejects(reader.read(), TypeError)


async def test_invalid_input_mid_stream_is_replaced() -> None:
    assert "".join(await decode([b"a\xff", b"b\xc0\xafc"])) == "a\ufffdb\ufffd\ufffdc"


async def test_invalid_input_mid_stream_errors_the_stream_when_fatal() -> None:
    tds = TextDecoderStream(fatal=True)
    writer = tds.writable.get_writer()
    reader = tds.readable.get_reader()
    write = writer.write(b"\xff")
    read = reader.read()
    await assert_rejects(write, TypeError)
    await assert_rejects(read, TypeError)


# -- decode-ignore-bom.any.js ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "encoded"),
    [
        ("utf-8", bytes([0xEF, 0xBB, 0xBF, 0x61, 0x62, 0x63])),
        ("utf-16le", bytes([0xFF, 0xFE, 0x61, 0x00, 0x62, 0x00, 0x63, 0x00])),
        ("utf-16be", bytes([0xFE, 0xFF, 0x00, 0x61, 0x00, 0x62, 0x00, 0x63])),
    ],
)
@pytest.mark.parametrize("split", [0, 1, 2, 3])
async def test_ignore_bom(label: str, encoded: bytes, split: int) -> None:
    chunks = [encoded[:split], encoded[split:]]
    assert "".join(await decode(chunks, label, ignore_bom=True)) == "\ufeffabc"
    assert "".join(await decode(chunks, label, ignore_bom=False)) == "abc"


async def test_only_a_leading_bom_is_stripped() -> None:
    assert "".join(await decode([b"a\xef\xbb\xbfb"])) == "a\ufeffb"
    assert "".join(await decode([b"\xef\xbb\xbf\xef\xbb\xbf"])) == "\ufeff"


# -- decode-bad-chunks.any.js ---------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 3.14, {}, [65], "text"])
async def test_a_chunk_that_is_not_bytes_like_errors_the_decoder(chunk: object) -> None:
    tds = TextDecoderStream()
    reader = tds.readable.get_reader()
    writer = tds.writable.get_writer()
    write = writer.write(chunk)
    read = reader.read()
    await assert_rejects(write, TypeError)
    await assert_rejects(read, TypeError)


# -- readable-writable-properties.any.js ----------------------------------------------------


@pytest.mark.parametrize("cls", [TextEncoderStream, TextDecoderStream])
async def test_readable_and_writable_are_streams(cls: type) -> None:
    stream = cls()
    assert isinstance(stream.readable, ReadableStream)
    assert isinstance(stream.writable, WritableStream)
    stream.readable.get_reader()
    stream.writable.get_writer()
