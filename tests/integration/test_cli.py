"""The ``wintersockets`` command, run for real in a subprocess (``python -m wintersockets``)."""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from tests.peers.scripted import refusing_address

TIMEOUT = 30.0
LOOPS = ["asyncio", "uvloop"]


def run(*args: str, input: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "wintersockets", *args],
        input=input,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )


def error_lines(result: subprocess.CompletedProcess[bytes]) -> list[str]:
    return result.stderr.decode().splitlines()


def connect_command(address: str, loop: str) -> subprocess.Popen[bytes]:
    """``wintersockets connect ADDRESS --loop LOOP`` with all three standard streams piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "wintersockets", "connect", address, "--loop", loop],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@contextlib.contextmanager
def reaped(client: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """``client``, killed and reaped on the way out if it is still running."""
    try:
        yield client
    finally:
        if client.poll() is None:
            client.kill()
            client.communicate()


@contextlib.contextmanager
def serve(*args: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A ``wintersockets serve`` subprocess and the address it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wintersockets", "serve", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        assert line.startswith("listening on "), line
        yield process, line.removeprefix("listening on ").strip()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=TIMEOUT)


@pytest.mark.parametrize("loop", LOOPS)
def test_connect_without_address_echoes_stdin_through_an_embedded_server(loop: str) -> None:
    result = run("connect", "--loop", loop, input=b"hello\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"hello\n"
    assert error_lines(result)[0].startswith("connected to 127.0.0.1:")


@pytest.mark.parametrize("loop", LOOPS)
def test_connect_is_binary_safe_for_megabytes(loop: str) -> None:
    data = random.Random(7).randbytes(3 * 1024 * 1024) + b"\r\n\x00\xff"
    result = run("connect", "--loop", loop, input=data)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == len(data)
    assert result.stdout == data


def test_connect_with_empty_stdin_exits_cleanly() -> None:
    result = run("connect", input=b"")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


@pytest.mark.parametrize("loop", LOOPS)
def test_connect_to_a_serve_subprocess_round_trips(loop: str) -> None:
    with serve("--loop", loop) as (server, address):
        result = run("connect", address, input=b"ping over the wire\n")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"ping over the wire\n"
        assert error_lines(result)[0].startswith(f"connected to {address} from 127.0.0.1:")
        assert server.poll() is None, "the server keeps serving after a client left"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_serve_exits_0_on_sigint_and_sigterm(signum: signal.Signals) -> None:
    with serve() as (server, _address):
        server.send_signal(signum)
        assert server.wait(timeout=TIMEOUT) == 0


def test_serve_listens_where_asked_including_ipv6() -> None:
    with serve("[::1]:0") as (_server, address):
        assert address.startswith("[::1]:")
        result = run("connect", address, input=b"six")
        assert result.returncode == 0, result.stderr
        assert result.stdout == b"six"


def test_connect_to_a_refused_port_exits_1_with_a_one_line_error() -> None:
    with refusing_address() as address:
        result = run("connect", address, input=b"unsent")
    assert result.returncode == 1
    assert result.stdout == b""
    lines = error_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("wintersockets: SocketError: "), lines
    assert "refused" in lines[0].lower()


def test_connect_to_a_malformed_address_exits_1_with_a_one_line_error() -> None:
    result = run("connect", "no-port-here")
    assert result.returncode == 1
    lines = error_lines(result)
    assert len(lines) == 1, lines
    assert lines[0].startswith("wintersockets: SocketError: "), lines


def test_connect_to_an_unresolvable_name_exits_1() -> None:
    result = run("connect", "nowhere.invalid:80")
    assert result.returncode == 1
    assert len(error_lines(result)) == 1
    assert "nowhere.invalid" in result.stderr.decode()


def test_half_open_keeps_sending_stdin_after_the_peers_fin() -> None:
    """The peer greets and half-closes first; with --half-open, input typed afterwards
    still reaches it, and the command exits 0 at the end of its input."""
    received = bytearray()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def peer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                conn.sendall(b"greeting\n")
                conn.shutdown(socket.SHUT_WR)
                while chunk := conn.recv(65536):
                    received.extend(chunk)

        thread = threading.Thread(target=peer, daemon=True)
        thread.start()
        client = subprocess.Popen(
            [sys.executable, "-m", "wintersockets", "connect", f"127.0.0.1:{port}", "--half-open"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert client.stdout is not None
        assert client.stdin is not None
        assert client.stdout.readline() == b"greeting\n"  # the peer has sent FIN by now
        client.stdin.write(b"written after the peer's FIN\n")
        client.stdin.close()
        client.stdin = None  # closed: communicate() must not flush it
        stdout, stderr = client.communicate(timeout=TIMEOUT)
        thread.join(TIMEOUT)
    assert client.returncode == 0, stderr
    assert stdout == b""
    assert bytes(received) == b"written after the peer's FIN\n"


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    usage = result.stdout.decode()
    assert usage.startswith("usage: wintersockets")
    assert "connect" in usage
    assert "serve" in usage


def test_a_usage_error_exits_2() -> None:
    result = run("connect", "--no-such-option")
    assert result.returncode == 2
    assert b"usage:" in result.stderr


def test_the_console_script_entry_point_is_main() -> None:
    from wintersockets.cli import main

    assert main(["--help"]) == 0


def test_connect_exits_when_the_peer_closes_while_stdin_stays_open() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def peer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.sendall(b"bye\n")

        thread = threading.Thread(target=peer, daemon=True)
        thread.start()
        client = subprocess.Popen(
            [sys.executable, "-m", "wintersockets", "connect", f"127.0.0.1:{port}"],
            stdin=subprocess.PIPE,  # kept open: nobody types, and nobody ends the input
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert client.stdin is not None
        assert client.stdout is not None
        assert client.stderr is not None
        try:
            # Not communicate(): it would close stdin. The outputs are tiny, so waiting
            # with the pipes unread cannot block the client.
            returncode = client.wait(timeout=TIMEOUT)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait(TIMEOUT)
            client.stdin.close()
            stdout, stderr = client.stdout.read(), client.stderr.read()
            client.stdout.close()
            client.stderr.close()
        thread.join(TIMEOUT)
    assert returncode == 0, stderr
    assert stdout == b"bye\n"


def test_connect_exits_1_with_one_line_when_stdout_is_closed() -> None:
    client = subprocess.Popen(
        [sys.executable, "-m", "wintersockets", "connect"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert client.stdin is not None
    assert client.stdout is not None
    assert client.stderr is not None

    def feed() -> None:
        assert client.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            client.stdin.write(b"y" * 8 * 1024 * 1024)
            client.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        assert client.stdout.read(10) == b"y" * 10
        client.stdout.close()  # like `| head -c 10`
        returncode = client.wait(timeout=TIMEOUT)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait(TIMEOUT)
    feeder.join(TIMEOUT)
    lines = client.stderr.read().decode().splitlines()
    client.stderr.close()
    assert returncode == 1
    assert lines[-1] == "wintersockets: BrokenPipeError: standard output was closed", lines
    assert len(lines) == 2, lines  # "connected to ...", then the error: no traceback


@pytest.mark.parametrize("loop", LOOPS)
def test_connect_exits_130_on_sigint_without_a_traceback(loop: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        client = connect_command(address, loop)
        with reaped(client):
            assert client.stderr is not None
            assert client.stderr.readline().startswith(b"connected to ")
            client.send_signal(signal.SIGINT)
            stdout, stderr = client.communicate(timeout=TIMEOUT)
    assert client.returncode == 130
    assert stdout == b""
    assert b"Traceback" not in stderr, stderr


@pytest.mark.parametrize("loop", LOOPS)
def test_sigint_gives_up_on_input_a_peer_that_stopped_reading_has_not_taken(loop: str) -> None:
    # The bound is under the command's own 10 s limit on closing: closing must not wait
    # for the bytes the peer never takes (it would, by decision 4, without the abort).
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        client = connect_command(address, loop)
        with reaped(client):
            conn, _ = listener.accept()  # and never read from it
            with conn:
                assert client.stdin is not None
                assert client.stderr is not None
                assert client.stderr.readline().startswith(b"connected to ")

                def feed() -> None:
                    assert client.stdin is not None
                    with contextlib.suppress(BrokenPipeError, OSError):
                        client.stdin.write(b"z" * 64 * 1024 * 1024)

                feeder = threading.Thread(target=feed, daemon=True)
                feeder.start()
                feeder.join(1.0)  # the kernel's buffers are full long before
                client.send_signal(signal.SIGINT)
                returncode = client.wait(timeout=5.0)
                feeder.join(TIMEOUT)  # its write fails once the client is gone
                stderr = client.stderr.read()
                for pipe in (client.stdin, client.stdout, client.stderr):
                    if pipe is not None:
                        with contextlib.suppress(OSError):
                            pipe.close()
    assert returncode == 130
    assert b"Traceback" not in stderr, stderr
