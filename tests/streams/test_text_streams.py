"""TextEncoderStream and TextDecoderStream: labels, attributes, round trips."""

from __future__ import annotations

import pytest

from tests.streams.support import from_list, readable_stream_to_array
from wintersockets.streams.text_streams import TextDecoderStream, TextEncoderStream


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        ("  unicode-1-1-utf-8\t", "utf-8"),
        ("x-unicode20utf8", "utf-8"),
        ("utf-16", "utf-16le"),
        ("UTF-16LE", "utf-16le"),
        ("ucs-2", "utf-16le"),
        ("utf-16be", "utf-16be"),
        ("unicodeFFFE", "utf-16be"),
    ],
)
async def test_labels_map_to_their_encoding(label: str, name: str) -> None:
    assert TextDecoderStream(label).encoding == name


@pytest.mark.parametrize("label", ["", "utf-7", "latin1", "windows-1252", "replacement", "utf 8"])
async def test_unknown_or_unsupported_labels_are_value_errors(label: str) -> None:
    with pytest.raises(ValueError, match="unsupported encoding label"):
        TextDecoderStream(label)


async def test_a_label_that_is_not_a_str_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="label"):
        TextDecoderStream(8)  # type: ignore[arg-type]


async def test_decoder_attributes() -> None:
    plain = TextDecoderStream()
    assert (plain.encoding, plain.fatal, plain.ignore_bom) == ("utf-8", False, False)
    strict = TextDecoderStream("utf-8", fatal=1, ignore_bom="yes")  # type: ignore[arg-type]
    assert (strict.fatal, strict.ignore_bom) == (True, True)
    assert "fatal=True" in repr(strict)


async def test_encoder_attributes() -> None:
    encoder = TextEncoderStream()
    assert encoder.encoding == "utf-8"
    assert "utf-8" in repr(encoder)


async def test_a_round_trip_through_both_streams() -> None:
    text = ["héllo ", "wörld ", "\U0001f499", " \u2603"]
    out = from_list(text).pipe_through(TextEncoderStream()).pipe_through(TextDecoderStream())
    assert "".join(await readable_stream_to_array(out)) == "".join(text)


async def test_the_encoder_outputs_bytes() -> None:
    chunks = await readable_stream_to_array(from_list(["abc"]).pipe_through(TextEncoderStream()))
    assert chunks == [b"abc"]
    assert type(chunks[0]) is bytes


async def test_utf16_round_trip_with_split_surrogates() -> None:
    encoded = "a\U0001f499b".encode("utf-16-le")
    chunks = [encoded[:3], encoded[3:5], encoded[5:]]
    out = from_list(chunks).pipe_through(TextDecoderStream("utf-16le"))
    assert "".join(await readable_stream_to_array(out)) == "a\U0001f499b"


async def test_utf16be_odd_length_input_ends_in_a_replacement() -> None:
    out = from_list([b"\x00a\x00"]).pipe_through(TextDecoderStream("utf-16be"))
    assert "".join(await readable_stream_to_array(out)) == "a\ufffd"


async def test_a_large_input_in_small_pieces() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x400) if not 0xD800 <= c < 0xE000)
    data = text.encode("utf-8")
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    out = from_list(pieces).pipe_through(TextDecoderStream())
    assert "".join(await readable_stream_to_array(out)) == text
