"""TLS benchmark: wintersockets over TLS against raw asyncio ``create_connection(ssl=...)``.

Run ``python -m benchmarks.tls --help``. The servers are the sockets benchmark's, serving
TLS with a certificate for 127.0.0.1 from a throwaway ``trustme`` CA that the clients trust.
wintersockets connects through ``Connector(tls=context).connect(address,
secure_transport="on")``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any

import trustme

from benchmarks._harness import (
    Benchmark,
    Group,
    Target,
    emit,
    format_report,
    loop_kinds_or_exit,
    run_group,
    run_on_loop,
)
from benchmarks._servers import ServerPorts, TlsFiles, running_servers
from benchmarks._transfers import connect_benchmark, transfer_benchmarks
from benchmarks._ws_api import SocketLike, connector_class

__all__ = ["TlsOpener", "main", "run_loop", "tls_material"]

MIB = 1024 * 1024

TARGETS = (
    Target("download", "wintersockets default reader", "raw Protocol", 0.9,
           "TLS default-reader download >= 0.9x raw Protocol"),
    Target("download", "wintersockets BYOB reader", "raw BufferedProtocol", 0.9,
           "TLS BYOB download >= 0.9x raw BufferedProtocol"),
    Target("upload", "wintersockets", "raw Protocol", 0.9, "TLS upload >= 0.9x raw"),
    Target("handshake", "wintersockets", "raw Protocol", 0.9, "TLS handshakes >= 0.9x raw"),
)  # fmt: skip


@contextlib.contextmanager
def tls_material() -> Iterator[tuple[TlsFiles, ssl.SSLContext]]:
    """A server certificate for 127.0.0.1 (as PEM files) and a client context trusting it."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ca.configure_trust(client)
    with tempfile.TemporaryDirectory(prefix="wintersockets-bench-") as directory:
        path = os.path.join(directory, "server.pem")
        cert.private_key_and_cert_chain_pem.write_to_path(path)
        yield TlsFiles(certfile=path, keyfile=path), client


class TlsOpener:
    """``open_socket(address)`` through a ``Connector`` holding the client TLS context."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._connector: Any = None

    def __call__(self, address: str) -> SocketLike:
        if self._connector is None:
            self._connector = connector_class()(tls=self._context)
        sock: SocketLike = self._connector.connect(address, secure_transport="on")
        return sock


def build_benchmarks(
    ports: ServerPorts, context: ssl.SSLContext, size: int, handshakes: int
) -> dict[str, Benchmark]:
    """The three TLS benchmarks against ``ports``, with their variants in run order."""
    o = TlsOpener(context)
    return {
        **transfer_benchmarks(ports, size, o, context, prefix="TLS "),
        "handshake": connect_benchmark(
            "handshake",
            f"TLS connect + handshake + close x {handshakes:,}",
            "hs/s",
            ports,
            handshakes,
            o,
            context,
        ),
    }


async def run_loop(
    ports: ServerPorts,
    context: ssl.SSLContext,
    *,
    size: int,
    handshakes: int,
    repeat: int,
    run_timeout: float = 300.0,
) -> dict[str, Group]:
    """Run the TLS benchmarks on the running loop; return their results by name."""
    groups: dict[str, Group] = {}
    for key, benchmark in build_benchmarks(ports, context, size, handshakes).items():
        groups[key] = await run_group(benchmark, repeat, run_timeout)
    return groups


def report(kind: str, repeat: int, groups: dict[str, Group]) -> list[str]:
    """The printed report for one loop."""
    return format_report("TLS", kind, repeat, groups, TARGETS)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run on each loop and print the report."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.tls",
        description="wintersockets over TLS vs raw asyncio create_connection(ssl=...)",
    )
    parser.add_argument("--size-mib", type=int, help="download/upload size (default 256)")
    parser.add_argument("--handshakes", type=int, help="TLS connects (default 500)")
    parser.add_argument("--repeat", type=int, help="interleaved repetitions (default 5)")
    parser.add_argument("--loops", default="asyncio,uvloop", help="asyncio,uvloop (default both)")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args(argv)
    kinds = loop_kinds_or_exit(parser, args.loops)
    quick = bool(args.quick)
    size_mib = args.size_mib if args.size_mib is not None else (16 if quick else 256)
    handshakes = args.handshakes if args.handshakes is not None else (50 if quick else 500)
    repeat = args.repeat if args.repeat is not None else (3 if quick else 5)
    with tls_material() as (files, context), running_servers(tls=files) as ports:
        for kind in kinds:
            main_coro = functools.partial(
                run_loop, ports, context, size=size_mib * MIB, handshakes=handshakes, repeat=repeat
            )
            emit(report(kind, repeat, run_on_loop(kind, main_coro)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
