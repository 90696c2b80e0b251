"""``wintersockets connect`` with ``--tls`` and ``--starttls``, run in a subprocess against
real servers: nginx and ``openssl s_server`` (TLS from the start), the STARTTLS SMTP
server and PostgreSQL (STARTTLS), and the failures a user meets first."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

from tests.integration.test_cli import TIMEOUT, error_lines, reaped
from tests.integration.test_cli import run as run_command
from tests.peers.nginx import HELLO, NginxServer
from tests.peers.openssl_server import OpenSSLServer
from tests.peers.postgres import PG_STARTUP, PostgresServer, pg_message
from tests.peers.smtp import SMTPServer
from tests.peers.tls_certs import TLSCerts


def run(*args: str, input: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """``wintersockets connect ARGS`` in a subprocess."""
    return run_command("connect", *args, input=input)


def assert_tls_described(lines: list[str], *, alpn: str) -> None:
    """The connection lines name the TLS version, cipher, ALPN and the certificate."""
    assert lines[0].startswith("connected to "), lines
    described = rf"tls: TLSv1\.[23], cipher \S+, alpn {re.escape(alpn)}, server name "
    assert re.match(described, lines[1]), lines
    assert lines[2].startswith("certificate: subject "), lines
    assert "issuer 'O=wintersockets test CA" in lines[2], lines
    assert lines[2].endswith("expires 3000-01-01 00:00:00 UTC"), lines


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_tls_get_from_nginx_prints_the_body_and_the_certificate(
    tls_certs: TLSCerts, nginx_server: NginxServer, loop: str
) -> None:
    request = b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    result = run(
        nginx_server.address, "--tls", "--ca", str(tls_certs.ca), "--alpn", "http/1.1",
        "--sni", "localhost", "--loop", loop, input=request,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    assert result.stdout.endswith(b"\r\n\r\n" + HELLO)
    lines = error_lines(result)
    assert_tls_described(lines, alpn="http/1.1")
    assert "server name 'localhost'" in lines[1]
    assert len(lines) == 3, lines


def test_tls_to_s_server_negotiates_alpn_and_relays_both_ways(
    tls_certs: TLSCerts, openssl_server: OpenSSLServer
) -> None:
    """s_server never closes: the command relays until interrupted."""
    client = subprocess.Popen(
        [sys.executable, "-m", "wintersockets", "connect", openssl_server.address, "--tls",
         "--ca", str(tls_certs.ca), "--alpn", "h2,http/1.1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    with reaped(client):
        assert client.stdin is not None
        assert client.stdout is not None
        client.stdin.write(b"hello over tls\n")
        client.stdin.flush()
        assert client.stdout.readline() == b"slt revo olleh\n"
        client.send_signal(signal.SIGINT)
        stdout, stderr = client.communicate(timeout=TIMEOUT)
    assert client.returncode == 130
    assert stdout == b""
    lines = stderr.decode().splitlines()
    assert_tls_described(lines, alpn="h2")
    assert "server name '127.0.0.1'" in lines[1]
    assert b"Traceback" not in stderr


def test_tls_without_the_test_ca_exits_1_naming_the_untrusted_certificate(
    openssl_server: OpenSSLServer,
) -> None:
    result = run(openssl_server.address, "--tls", input=b"unsent\n")
    assert result.returncode == 1
    assert result.stdout == b""
    lines = error_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("wintersockets: SocketError: could not establish TLS"), lines
    assert "self-signed / untrusted certificate" in lines[0]


def test_tls_to_a_plain_text_server_exits_1(postgres_server: PostgresServer) -> None:
    """PostgreSQL answers a ClientHello it cannot parse with an error in plain text."""
    result = run(postgres_server.address, "--tls", input=b"")
    assert result.returncode == 1
    [line] = error_lines(result)
    assert "could not establish TLS" in line, line


def test_starttls_smtp_sends_a_message_over_tls(
    tls_certs: TLSCerts, smtp_server: SMTPServer
) -> None:
    marker = b"cli-starttls-smtp"
    session = (
        b"EHLO client.example\r\nMAIL FROM:<a@client.example>\r\nRCPT TO:<b@localhost>\r\n"
        b"DATA\r\nSubject: " + marker + b"\r\n\r\nhello from the command line\r\n.\r\nQUIT\r\n"
    )
    result = run(
        smtp_server.address, "--starttls", "smtp", "--ca", str(tls_certs.ca), input=session
    )
    assert result.returncode == 0, result.stderr
    replies = result.stdout.decode().splitlines()
    assert replies[0].startswith("250-"), replies
    assert replies[-1].startswith("221 "), replies
    lines = error_lines(result)
    assert lines[0].startswith("connected to "), lines
    assert lines[0].endswith("plain text until smtp agrees to STARTTLS"), lines
    assert_tls_described(lines[1:], alpn="none")
    [message] = smtp_server.received(marker)
    assert message.tls


def test_starttls_postgres_runs_a_query_over_tls(
    tls_certs: TLSCerts, postgres_server: PostgresServer
) -> None:
    session = PG_STARTUP + pg_message(b"Q", b"SELECT 42\0") + pg_message(b"X", b"")
    result = run(
        postgres_server.address, "--starttls", "postgres", "--ca", str(tls_certs.ca),
        "--loop", "uvloop", input=session,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # DataRow: one column, 2 bytes long, "42".
    data_row = pg_message(b"D", (1).to_bytes(2, "big") + (2).to_bytes(4, "big") + b"42")
    assert data_row in result.stdout
    assert_tls_described(error_lines(result)[1:], alpn="none")


def test_starttls_with_the_wrong_protocol_exits_1(smtp_server: SMTPServer) -> None:
    """PostgreSQL's SSLRequest to an SMTP server: its greeting is no 'S'."""
    result = run(smtp_server.address, "--starttls", "postgres", input=b"")
    assert result.returncode == 1
    lines = error_lines(result)
    assert len(lines) == 2, lines
    assert lines[-1] == (
        "wintersockets: SocketError: the server did not answer like a PostgreSQL server: "
        "SSLRequest got b'2'"
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["127.0.0.1:1", "--sni", "x"], "--sni, --alpn and --ca need --tls or --starttls"),
        (["127.0.0.1:1", "--ca", "ca.pem"], "--sni, --alpn and --ca need --tls or --starttls"),
        (["--tls"], "--tls and --starttls need an ADDRESS"),
        (["127.0.0.1:1", "--tls", "--starttls", "smtp"], "not allowed with argument"),
        (["127.0.0.1:1", "--starttls", "ftp"], "invalid choice: 'ftp'"),
        (["127.0.0.1:1", "--tls", "--alpn", "h2,,x"], "expected protocol names"),
    ],
)
def test_tls_usage_errors_exit_2(args: list[str], words: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert words in result.stderr.decode()


def test_a_missing_ca_file_exits_1_naming_it(tls_certs: TLSCerts) -> None:
    missing = tls_certs.directory / "missing.pem"
    result = run("127.0.0.1:1", "--tls", "--ca", str(missing))
    assert result.returncode == 1
    [line] = error_lines(result)
    expected = f"could not read the CA file '{missing}': no such file"
    assert line == f"wintersockets: SocketError: {expected}"
