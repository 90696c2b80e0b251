"""The benchmarks count what they move, and the harness reports what it measured.

Each client runs once at a tiny size against the real benchmark servers (in a child
process, on loopback) and must count exactly the bytes, round trips or connects asked for.
Nothing here looks at how fast anything was.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from benchmarks import _asyncio_clients as aio
from benchmarks import _ws_clients as ws
from benchmarks import instructions, sockets, streams, tls
from benchmarks._count_client import port_for
from benchmarks._harness import (
    Benchmark,
    BenchmarkError,
    Group,
    NotAvailable,
    Target,
    Variant,
    VariantResult,
    evaluate,
    format_group,
    median_ratio,
    run_group,
)
from benchmarks._servers import ServerPorts, running_servers
from benchmarks._shape_client import _ShapeSocket, shape_connect
from benchmarks._ws_api import SocketLike, ws_connect

pytestmark = pytest.mark.asyncio_only

SIZE = 3 * 65536 + 123  # not a multiple of any chunk size, so partial chunks are exercised
PINGS = 50
CONNECTS = 5
SOCKETS = 10


@pytest.fixture(scope="module")
def ports() -> Iterator[ServerPorts]:
    with running_servers() as running:
        yield running


@pytest.fixture(scope="module")
def tls_setup() -> Iterator[tuple[ServerPorts, ssl.SSLContext]]:
    with tls.tls_material() as (files, context), running_servers(tls=files) as running:
        yield running, context


def _plain_opener() -> Callable[[str], SocketLike]:
    """``wintersockets.connect``, found as the benchmarks find it."""
    return ws_connect()


# -- baselines ---------------------------------------------------------------------------


async def test_raw_and_streams_downloads_count_every_byte(ports: ServerPorts) -> None:
    for client in (aio.raw_protocol_download, aio.raw_buffered_download, aio.streams_download):
        transfer = await client(ports.download, SIZE)
        assert transfer.units == SIZE


async def test_raw_and_streams_uploads_are_confirmed_by_the_sink(ports: ServerPorts) -> None:
    for client in (aio.raw_upload, aio.streams_upload):
        transfer = await client(ports.upload, SIZE)
        assert transfer.units == SIZE


async def test_raw_and_streams_pingpong_count_round_trips(ports: ServerPorts) -> None:
    for client in (aio.raw_pingpong, aio.streams_pingpong):
        transfer = await client(ports.echo, PINGS)
        assert transfer.units == PINGS


async def test_raw_and_streams_connects_open_and_close_each_connection(
    ports: ServerPorts,
) -> None:
    for client in (aio.raw_connect, aio.streams_connect, aio.floor_connect, shape_connect):
        transfer = await client(ports.accept_close, CONNECTS)
        assert transfer.units == CONNECTS


async def test_shape_socket_settles_both_promises_when_closed_before_it_opened(
    ports: ServerPorts,
) -> None:
    sock = _ShapeSocket(f"127.0.0.1:{ports.accept_close}", None)
    await sock.close()
    with pytest.raises(ConnectionAbortedError, match="closed before it opened"):
        await sock.opened


async def test_idle_memory_is_a_positive_size_per_socket(ports: ServerPorts) -> None:
    for client in (aio.raw_idle_memory, aio.streams_idle_memory):
        per_socket = await client(ports.echo, SOCKETS)
        assert 0 < per_socket < 1024 * 1024


async def test_tls_baselines_count_every_byte_and_handshake(
    tls_setup: tuple[ServerPorts, ssl.SSLContext],
) -> None:
    ports, context = tls_setup
    assert (await aio.raw_protocol_download(ports.download, SIZE, context)).units == SIZE
    assert (await aio.raw_buffered_download(ports.download, SIZE, context)).units == SIZE
    assert (await aio.streams_download(ports.download, SIZE, context)).units == SIZE
    assert (await aio.raw_upload(ports.upload, SIZE, context)).units == SIZE
    assert (await aio.streams_upload(ports.upload, SIZE, context)).units == SIZE
    assert (await aio.raw_connect(ports.accept_close, CONNECTS, context)).units == CONNECTS
    assert (await aio.streams_connect(ports.accept_close, CONNECTS, context)).units == CONNECTS
    assert (await aio.floor_connect(ports.accept_close, CONNECTS, context)).units == CONNECTS
    assert (await shape_connect(ports.accept_close, CONNECTS, context)).units == CONNECTS


async def test_queue_baselines_count_every_chunk() -> None:
    assert (await streams.queue_read(1000)).units == 1000
    assert (await streams.queue_pipe(1000)).units == 1000
    assert (await streams.queue_pipe(1000, 16)).units == 1000
    assert await streams.queue_memory(100) > 0


# -- wintersockets -----------------------------------------------------------------------


async def test_wintersockets_downloads_count_every_byte(ports: ServerPorts) -> None:
    opener = _plain_opener()
    assert (await ws.ws_default_download(opener, ports.download, SIZE)).units == SIZE
    assert (await ws.ws_byob_download(opener, ports.download, SIZE)).units == SIZE


async def test_wintersockets_upload_is_confirmed_by_the_sink(ports: ServerPorts) -> None:
    opener = _plain_opener()
    assert (await ws.ws_upload(opener, ports.upload, SIZE)).units == SIZE


async def test_wintersockets_pingpong_and_connects_count(ports: ServerPorts) -> None:
    opener = _plain_opener()
    assert (await ws.ws_pingpong(opener, ports.echo, PINGS)).units == PINGS
    assert (await ws.ws_byob_pingpong(opener, ports.echo, PINGS)).units == PINGS
    assert (await ws.ws_connect_close(opener, ports.accept_close, CONNECTS)).units == CONNECTS
    assert await ws.ws_idle_memory(opener, ports.echo, SOCKETS) > 0


async def test_wintersockets_tls_clients_count(
    tls_setup: tuple[ServerPorts, ssl.SSLContext],
) -> None:
    ports, context = tls_setup
    opener = tls.TlsOpener(context)
    assert (await ws.ws_default_download(opener, ports.download, SIZE)).units == SIZE
    assert (await ws.ws_byob_download(opener, ports.download, SIZE)).units == SIZE
    assert (await ws.ws_upload(opener, ports.upload, SIZE)).units == SIZE
    assert (await ws.ws_connect_close(opener, ports.accept_close, CONNECTS)).units == CONNECTS


async def test_wintersockets_streams_count_every_chunk() -> None:
    assert (await streams.ws_read(300)).units == 300
    assert (await streams.ws_read_async_for(300)).units == 300
    assert (await streams.ws_pipe(300)).units == 300
    assert await streams.ws_stream_memory(50) > 0


# -- the harness -------------------------------------------------------------------------


def _constant(value: float) -> Callable[[], Awaitable[float]]:
    async def run() -> float:
        return value

    return run


def _sequence(*values: float) -> Callable[[], Awaitable[float]]:
    remaining = list(values)

    async def run() -> float:
        return remaining.pop(0)

    return run


def _failing(exc: Exception) -> Callable[[], Awaitable[float]]:
    async def run() -> float:
        raise exc

    return run


def test_ratios_pair_the_runs_of_each_repetition() -> None:
    fast = VariantResult("a", [10.0, 20.0, 40.0])
    slow = VariantResult("b", [5.0, 20.0, 10.0])
    assert median_ratio(fast, slow) == 2.0  # ratios 2, 1, 4
    assert median_ratio(fast, VariantResult("c", status="n/a")) is None


async def test_run_group_interleaves_and_reports_unavailable_and_failing_variants() -> None:
    order: list[str] = []

    def tracked(name: str, value: float) -> Callable[[], Awaitable[float]]:
        async def run() -> float:
            order.append(name)
            return value

        return run

    bench = Benchmark(
        "download",
        "download",
        "MB/s",
        [
            Variant("raw Protocol", tracked("A", 100.0), baseline=True),
            Variant("wintersockets", tracked("B", 95.0)),
            Variant("missing", _failing(NotAvailable("wintersockets has no connect yet"))),
            Variant("broken", _failing(BenchmarkError("download: counted 1, expected 2"))),
        ],
        raw="raw Protocol",
    )
    group = await run_group(bench, repeat=3, run_timeout=5.0)
    # The order rotates by one each repetition (A B missing broken, B missing broken A,
    # missing broken A B); the two failed variants are not run again.
    assert order == ["A", "B", "B", "A", "A", "B"]
    assert group.results["wintersockets"].values == [95.0] * 3
    assert group.results["missing"].status == (
        "n/a (not implemented: wintersockets has no connect yet)"
    )
    assert group.results["broken"].status == (
        "error: BenchmarkError: download: counted 1, expected 2"
    )
    rows = "\n".join(format_group(group))
    assert "0.95x" in rows
    assert "n/a (not implemented" in rows


async def test_run_group_rotates_the_order_so_no_variant_always_follows_the_same_one() -> None:
    order: list[str] = []

    def tracked(name: str) -> Callable[[], Awaitable[float]]:
        async def run() -> float:
            order.append(name)
            return 1.0

        return run

    bench = Benchmark(
        "download",
        "download",
        "MB/s",
        [Variant(name, tracked(name), baseline=True) for name in "ABC"],
    )
    await run_group(bench, repeat=4, run_timeout=5.0)
    assert "".join(order) == "ABC" + "BCA" + "CAB" + "ABC"


async def test_a_failing_baseline_stops_the_run() -> None:
    bench = Benchmark(
        "upload",
        "upload",
        "MB/s",
        [Variant("raw Protocol", _failing(BenchmarkError("upload: wrong")), baseline=True)],
    )
    with pytest.raises(BenchmarkError, match="upload: wrong"):
        await run_group(bench, repeat=1, run_timeout=5.0)


async def test_targets_pass_miss_or_are_not_applicable() -> None:
    bench = Benchmark(
        "pingpong",
        "ping-pong",
        "rt/s",
        [
            Variant("raw Protocol", _constant(100.0), baseline=True),
            Variant("fast", _sequence(90.0, 70.0, 85.0)),
            Variant("missing", _failing(NotAvailable("no"))),
        ],
    )
    memory = Benchmark(
        "memory", "memory", "KiB/socket", [Variant("small", _constant(2048.0), baseline=True)]
    )
    groups: dict[str, Group] = {
        "pingpong": await run_group(bench, repeat=3, run_timeout=5.0),
        "memory": await run_group(memory, repeat=1, run_timeout=5.0),
    }
    assert evaluate(Target("pingpong", "fast", "raw Protocol", 0.8, ""), groups) == (
        "PASS",
        "0.85x",
    )
    assert evaluate(Target("pingpong", "fast", "raw Protocol", 0.9, ""), groups)[0] == "MISS"
    assert evaluate(Target("pingpong", "missing", "raw Protocol", 0.8, ""), groups)[0] == "n/a"
    assert evaluate(Target("memory", "small", None, 8 * 1024, ""), groups)[0] == "PASS"
    assert evaluate(Target("memory", "small", None, 1024, ""), groups)[0] == "MISS"


# -- the command lines -------------------------------------------------------------------


def test_sockets_command_prints_a_table_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--size-mib", "1", "--pings", "20", "--connects", "5", "--sockets", "5"]
    assert sockets.main([*argv, "--repeat", "1", "--loops", "asyncio"]) == 0
    out = capsys.readouterr().out
    assert "== sockets on asyncio" in out
    for row in ("raw BufferedProtocol", "asyncio streams", "wintersockets BYOB reader"):
        assert row in out
    assert "heap <= 8 KiB per idle socket" in out


def test_streams_command_prints_a_table_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--chunks", "200", "--streams", "20", "--repeat", "1", "--loops", "asyncio"]
    assert streams.main(argv) == 0
    out = capsys.readouterr().out
    assert "== streams on asyncio" in out
    assert "identity TransformStream pipe" in out


def test_tls_command_prints_a_table_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--size-mib", "1", "--handshakes", "3", "--repeat", "1", "--loops", "asyncio"]
    assert tls.main(argv) == 0
    out = capsys.readouterr().out
    assert "== TLS on asyncio" in out
    assert "TLS handshakes >= 0.9x raw" in out


def test_every_client_the_instruction_counts_run_completes_alone(ports: ServerPorts) -> None:
    # benchmarks.instructions runs each in its own process, under valgrind; here, without.
    for job, client in instructions.CLIENTS:
        port = port_for(ports, job)
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks._count_client", "uvloop", job, client, str(port),
             str(CONNECTS)],
            capture_output=True,
            check=False,
            timeout=60,
            cwd=Path(__file__).parent.parent,  # where the benchmarks package is
        )  # fmt: skip
        assert completed.returncode == 0, (job, client, completed.stderr.decode())
