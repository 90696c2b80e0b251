"""Sockets benchmark: wintersockets against raw asyncio and asyncio streams on loopback.

Run ``python -m benchmarks.sockets --help``. The servers run in a child process; the
clients run here, on each loop in turn. Every client counts what it moved and the run stops
if a baseline counts wrong; a wintersockets variant that cannot run prints ``n/a`` or
``error`` instead.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from benchmarks import _asyncio_clients as aio
from benchmarks import _ws_clients as ws
from benchmarks._harness import (
    Benchmark,
    Group,
    Target,
    Variant,
    emit,
    format_report,
    loop_kinds_or_exit,
    rate,
    run_group,
    run_on_loop,
)
from benchmarks._servers import ServerPorts, running_servers
from benchmarks._transfers import connect_benchmark, transfer_benchmarks
from benchmarks._ws_api import SocketLike, ws_connect

__all__ = ["BENCHMARKS", "TARGETS", "main", "run_loop"]

BENCHMARKS = ("download", "upload", "pingpong", "connect", "memory")
MIB = 1024 * 1024

TARGETS = (
    Target("download", "wintersockets BYOB reader", "raw BufferedProtocol", 0.9,
           "BYOB download >= 0.9x raw BufferedProtocol"),
    Target("download", "wintersockets default reader", "raw Protocol", 0.9,
           "default-reader download >= 0.9x raw Protocol"),
    Target("download", "wintersockets default reader", "asyncio streams", 2.0,
           "default-reader download >= 2x asyncio streams"),
    Target("upload", "wintersockets", "raw Protocol", 0.9, "upload >= 0.9x raw"),
    Target("pingpong", "wintersockets BYOB reader", "raw Protocol", 0.8,
           "ping-pong, BYOB reads of min 16 B >= 0.8x raw"),
    Target("pingpong", "wintersockets BYOB reader", "asyncio streams", 1.0,
           "ping-pong, BYOB reads of min 16 B >= 1.0x streams"),
    Target("pingpong", "wintersockets default reader", "raw Protocol", 0.8,
           "ping-pong, default reader >= 0.8x raw"),
    Target("pingpong", "wintersockets default reader", "asyncio streams", 1.0,
           "ping-pong, default reader >= 1.0x streams"),
    Target("connect", "wintersockets", "raw Protocol", 0.8, "connect >= 0.8x raw"),
    Target("memory", "wintersockets", None, 8 * 1024, "heap <= 8 KiB per idle socket"),
)  # fmt: skip


def _value(job: Callable[[], Awaitable[float]]) -> Callable[[], Awaitable[float]]:
    return job


@functools.cache
def _plain_connect() -> Callable[..., SocketLike]:
    return ws_connect()


def _open_plain(address: str) -> SocketLike:
    # Looked up on first use, so a variant reports n/a (rather than crashing the harness)
    # while wintersockets.connect does not exist yet.
    return _plain_connect()(address)


def build_benchmarks(
    ports: ServerPorts, size: int, pings: int, connects: int, sockets: int
) -> dict[str, Benchmark]:
    """The five benchmarks against ``ports``, with their variants in run order."""
    p = functools.partial
    o = _open_plain
    return {
        **transfer_benchmarks(ports, size, o),
        "pingpong": Benchmark(
            "pingpong",
            f"ping-pong {pings:,} x 16 B",
            "rt/s",
            [
                Variant("raw Protocol", rate(p(aio.raw_pingpong, ports.echo, pings)),
                        baseline=True),
                Variant("asyncio streams", rate(p(aio.streams_pingpong, ports.echo, pings)),
                        baseline=True),
                Variant("wintersockets default reader",
                        rate(p(ws.ws_pingpong, o, ports.echo, pings))),
                Variant("wintersockets BYOB reader",
                        rate(p(ws.ws_byob_pingpong, o, ports.echo, pings))),
            ],
            raw="raw Protocol",
            streams="asyncio streams",
        ),
        "connect": connect_benchmark(
            "connect", f"connect + close x {connects:,}", "conn/s", ports, connects, o
        ),
        "memory": Benchmark(
            "memory",
            f"Python heap per idle socket ({sockets:,} open)",
            "KiB/socket",
            [
                Variant("raw Protocol", _value(p(aio.raw_idle_memory, ports.echo, sockets)),
                        baseline=True),
                Variant("asyncio streams",
                        _value(p(aio.streams_idle_memory, ports.echo, sockets)), baseline=True),
                Variant("wintersockets", _value(p(ws.ws_idle_memory, o, ports.echo, sockets))),
            ],
            raw="raw Protocol",
            streams="asyncio streams",
        ),
    }  # fmt: skip


async def run_loop(
    ports: ServerPorts,
    only: Sequence[str],
    *,
    size: int,
    pings: int,
    connects: int,
    sockets: int,
    repeat: int,
    run_timeout: float = 300.0,
) -> dict[str, Group]:
    """Run the selected benchmarks on the running loop; return their results by name."""
    benchmarks = build_benchmarks(ports, size, pings, connects, sockets)
    groups: dict[str, Group] = {}
    for key in only:
        # Memory does not vary much between runs and tracemalloc is slow: three suffice.
        reps = min(repeat, 3) if key == "memory" else repeat
        groups[key] = await run_group(benchmarks[key], reps, run_timeout)
    return groups


def report(kind: str, repeat: int, groups: dict[str, Group]) -> list[str]:
    """The printed report for one loop: a table per benchmark, then the targets."""
    return format_report("sockets", kind, repeat, groups, TARGETS)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sockets",
        description="wintersockets vs raw asyncio vs asyncio streams over loopback TCP",
    )
    parser.add_argument("--size-mib", type=int, help="download/upload size (default 1024)")
    parser.add_argument("--pings", type=int, help="16-byte round trips (default 20000)")
    parser.add_argument("--connects", type=int, help="connect+close cycles (default 2000)")
    parser.add_argument("--sockets", type=int, help="idle sockets for memory (default 1000)")
    parser.add_argument("--repeat", type=int, help="interleaved repetitions (default 5)")
    parser.add_argument("--loops", default="asyncio,uvloop", help="asyncio,uvloop (default both)")
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    return parser


def _pick(given: int | None, quick: bool, quick_value: int, full_value: int) -> int:
    if given is not None:
        return given
    return quick_value if quick else full_value


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the benchmarks on each loop and print the report."""
    parser = _parser()
    args = parser.parse_args(argv)
    kinds = loop_kinds_or_exit(parser, args.loops)
    only = [b.strip() for b in str(args.only).split(",") if b.strip()]
    unknown = [b for b in only if b not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown!r}: choose from {','.join(BENCHMARKS)}")
    quick = bool(args.quick)
    params: dict[str, Any] = {
        "size": _pick(args.size_mib, quick, 32, 1024) * MIB,
        "pings": _pick(args.pings, quick, 2000, 20000),
        "connects": _pick(args.connects, quick, 200, 2000),
        "sockets": _pick(args.sockets, quick, 200, 1000),
        "repeat": _pick(args.repeat, quick, 3, 5),
    }
    with running_servers() as ports:
        for kind in kinds:
            groups = run_on_loop(kind, functools.partial(run_loop, ports, only, **params))
            emit(report(kind, params["repeat"], groups))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
