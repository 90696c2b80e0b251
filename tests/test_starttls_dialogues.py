"""The STARTTLS exchanges as pure byte machines: no network, no event loop."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wintersockets.errors import SocketError
from wintersockets.starttls_dialogues import (
    MAX_REPLY_SIZE,
    SSL_REQUEST,
    SMTPReply,
    StartTLSDialogue,
    parse_line,
    parse_smtp_reply,
)

SMTP_GREETING = b"220-mail.example ESMTP ready\r\n220 no spam please\r\n"
SMTP_EHLO = b"250-mail.example hello\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 HELP\r\n"
SMTP_GO = b"220 2.0.0 Ready to start TLS\r\n"

# Each protocol's happy exchange: what the server says, in the order the client waits
# for it, and everything the client must have sent by the end.
HAPPY = {
    "smtp": (
        [SMTP_GREETING, SMTP_EHLO, SMTP_GO],
        b"EHLO localhost\r\nSTARTTLS\r\n",
    ),
    "imap": (
        [
            b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n",
            b"* CAPABILITY IMAP4rev1 STARTTLS\r\na001 OK Begin TLS negotiation now\r\n",
        ],
        b"a001 STARTTLS\r\n",
    ),
    "pop3": (
        [b"+OK POP3 server ready\r\n", b"+OK Begin TLS negotiation\r\n"],
        b"STLS\r\n",
    ),
    "postgres": ([b"S"], SSL_REQUEST),
}


def run(protocol: str, chunks: list[bytes], **kwargs: str) -> tuple[StartTLSDialogue, bytes]:
    """Feed ``chunks`` one by one; return the dialogue and all it asked to send."""
    dialogue = StartTLSDialogue(protocol, **kwargs)
    sent = dialogue.data_to_send()
    for chunk in chunks:
        dialogue.receive_data(chunk)
        sent += dialogue.data_to_send()
    return dialogue, sent


def fails(protocol: str, chunks: list[bytes], match: str) -> None:
    with pytest.raises(SocketError, match=match):
        run(protocol, chunks)


# parse_line and parse_smtp_reply


def test_parse_line_takes_one_line_with_either_ending() -> None:
    buffer = bytearray(b"+OK hi\r\nsecond\nrest")
    assert parse_line(buffer) == "+OK hi"
    assert parse_line(buffer) == "second"
    assert parse_line(buffer) is None
    assert buffer == b"rest"


def test_parse_smtp_reply_waits_for_the_last_line_and_leaves_the_buffer_untouched() -> None:
    buffer = bytearray(b"250-first\r\n250-second\r\n")
    assert parse_smtp_reply(buffer) is None
    assert buffer == b"250-first\r\n250-second\r\n"
    buffer += b"250 last\r\n354 next"
    assert parse_smtp_reply(buffer) == SMTPReply(250, ("first", "second", "last"))
    assert buffer == b"354 next"


def test_parse_smtp_reply_accepts_a_bare_code() -> None:
    assert parse_smtp_reply(bytearray(b"220\r\n")) == SMTPReply(220, ("",))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"HTTP/1.1 400 Bad Request\r\n", "did not answer like an SMTP server"),
        (b"22 short\r\n", "did not answer like an SMTP server"),
        (b"220x\r\n", "did not answer like an SMTP server"),
        (b"250-one\r\n251 two\r\n", "mixed reply codes"),
    ],
)
def test_parse_smtp_reply_rejects_what_is_not_an_smtp_reply(data: bytes, match: str) -> None:
    with pytest.raises(SocketError, match=match):
        parse_smtp_reply(bytearray(data))


def test_smtp_reply_str_shows_every_line() -> None:
    assert str(SMTPReply(454, ("TLS not available", "try later"))) == (
        "454 TLS not available / 454 try later"
    )


# Happy exchanges


@pytest.mark.parametrize("protocol", sorted(HAPPY))
def test_happy_exchange_ends_ready_for_tls(protocol: str) -> None:
    chunks, expected_sent = HAPPY[protocol]
    dialogue, sent = run(protocol, chunks)
    assert dialogue.done
    assert sent == expected_sent
    dialogue.receive_eof()  # after agreement, EOF is the handshake's business


@given(data=st.data())
def test_any_chunking_of_the_server_bytes_gives_the_same_exchange(data: st.DataObject) -> None:
    protocol = data.draw(st.sampled_from(sorted(HAPPY)))
    chunks, expected_sent = HAPPY[protocol]
    pieces: list[bytes] = []
    for chunk in chunks:  # the client speaks between these, so split only within each
        cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(chunk) - 1)), max_size=4)))
        pieces += [chunk[a:b] for a, b in zip([0, *cuts], [*cuts, len(chunk)], strict=True)]
    dialogue, sent = run(protocol, [p for p in pieces if p])
    assert dialogue.done
    assert sent == expected_sent


def test_client_speaks_only_after_each_reply() -> None:
    dialogue = StartTLSDialogue("smtp", ehlo_name="client.example")
    assert dialogue.data_to_send() == b""  # SMTP: the server speaks first
    dialogue.receive_data(SMTP_GREETING[:10])
    assert dialogue.data_to_send() == b""
    dialogue.receive_data(SMTP_GREETING[10:])
    assert dialogue.data_to_send() == b"EHLO client.example\r\n"
    assert dialogue.data_to_send() == b""  # each byte is handed out once
    dialogue.receive_data(SMTP_EHLO)
    assert dialogue.data_to_send() == b"STARTTLS\r\n"
    assert not dialogue.done


def test_postgres_sends_the_ssl_request_first() -> None:
    assert bytes([0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]) == SSL_REQUEST
    assert StartTLSDialogue("postgres").data_to_send() == SSL_REQUEST


def test_imap_skips_untagged_lines_before_the_tagged_answer() -> None:
    dialogue, _ = run("imap", [b"* OK hi\r\n", b"* 3 EXISTS\r\n* FLAGS ()\r\n", b"a001 ok go\r\n"])
    assert dialogue.done


# Refusals and protocol errors


@pytest.mark.parametrize(
    ("protocol", "chunks", "match"),
    [
        ("smtp", [b"554 go away\r\n"], "did not greet with 220: 554 go away"),
        ("smtp", [b"HTTP/1.1 400 Bad Request\r\n"], "did not answer like an SMTP server"),
        ("smtp", [SMTP_GREETING, b"501 bad name\r\n"], "refused EHLO 'localhost'"),
        ("smtp", [SMTP_GREETING, b"250-mx\r\n250 SIZE 10\r\n"], r"does not offer STARTTLS.*SIZE"),
        ("smtp", [SMTP_GREETING, b"250 mx\r\n"], "does not offer STARTTLS.*no extensions"),
        ("smtp", [SMTP_GREETING, SMTP_EHLO, b"454 4.7.0 TLS not available\r\n"],
         "refused STARTTLS: 454 4.7.0 TLS not available"),
        ("imap", [b"* PREAUTH logged in\r\n"], "pre-authenticated"),
        ("imap", [b"* BYE busy\r\n"], "did not greet with"),
        ("imap", [b"hello\r\n"], "did not greet with"),
        ("imap", [b"* OK hi\r\n", b"a001 NO not now\r\n"], "refused STARTTLS: 'a001 NO not now'"),
        ("imap", [b"* OK hi\r\n", b"a001 BAD what\r\n"], "refused STARTTLS"),
        ("imap", [b"* OK hi\r\n", b"x9 OK\r\n"], "a command it was not sent"),
        ("pop3", [b"-ERR busy\r\n"], "did not greet with '\\+OK'"),
        ("pop3", [b"+OK hi\r\n", b"-ERR no TLS\r\n"], "refused STLS: '-ERR no TLS'"),
        ("postgres", [b"N"], "server refused TLS"),
        ("postgres", [b"E"], "answered SSLRequest with an error"),
        ("postgres", [b"H"], "did not answer like a PostgreSQL server"),
    ],
)  # fmt: skip
def test_refusal_names_what_the_server_said(
    protocol: str, chunks: list[bytes], match: str
) -> None:
    fails(protocol, chunks, match)


@pytest.mark.parametrize("protocol", sorted(HAPPY))
def test_bytes_after_agreement_in_the_same_chunk_are_refused(protocol: str) -> None:
    chunks, _ = HAPPY[protocol]
    fails(protocol, [*chunks[:-1], chunks[-1] + b"\x16\x03\x01"], "3 unexpected bytes")


@pytest.mark.parametrize("protocol", sorted(HAPPY))
def test_bytes_after_agreement_in_a_later_chunk_are_refused(protocol: str) -> None:
    chunks, _ = HAPPY[protocol]
    dialogue, _ = run(protocol, chunks)
    with pytest.raises(SocketError, match="could be injected plain text"):
        dialogue.receive_data(b"250 injected\r\n")
    assert not dialogue.done


@pytest.mark.parametrize("protocol", sorted(HAPPY))
def test_eof_before_agreement_fails(protocol: str) -> None:
    dialogue = StartTLSDialogue(protocol)
    with pytest.raises(SocketError, match="closed the connection before agreeing to TLS"):
        dialogue.receive_eof()


def test_a_failed_dialogue_stays_failed() -> None:
    dialogue = StartTLSDialogue("pop3")
    with pytest.raises(SocketError, match="did not greet"):
        dialogue.receive_data(b"-ERR no\r\n")
    with pytest.raises(SocketError, match="already failed: the POP3 server did not greet"):
        dialogue.receive_data(b"+OK\r\n")
    with pytest.raises(SocketError, match="already failed"):
        dialogue.receive_eof()
    assert not dialogue.done
    assert dialogue.data_to_send() == b""


def test_a_reply_that_never_ends_is_cut_off() -> None:
    dialogue = StartTLSDialogue("smtp")
    dialogue.receive_data(b"220-" + b"x" * 100 + b"\r\n")
    dialogue.receive_data(b"y" * (MAX_REPLY_SIZE - 200))  # still within the limit
    with pytest.raises(SocketError, match=f"more than {MAX_REPLY_SIZE} bytes"):
        dialogue.receive_data(b"y" * 200)


@pytest.mark.parametrize(
    ("protocol", "kwargs", "match"),
    [
        ("ftp", {}, "must be one of smtp, imap, pop3, postgres, got 'ftp'"),
        ("smtp", {"ehlo_name": ""}, "ehlo_name must be"),
        ("smtp", {"ehlo_name": "a b"}, "ehlo_name must be"),
        ("smtp", {"ehlo_name": "a\r\nRCPT TO:<x>"}, "ehlo_name must be"),
    ],
)
def test_bad_arguments_raise_socket_error(
    protocol: str, kwargs: dict[str, str], match: str
) -> None:
    with pytest.raises(SocketError, match=match):
        StartTLSDialogue(protocol, **kwargs)
