"""The download, upload and connect benchmarks, over plain TCP or TLS.

The sockets and TLS benchmarks run the same jobs against the same servers; only the
client's TLS context (``None`` for plain TCP), wintersockets' ``open_socket`` and the
titles differ.
"""

from __future__ import annotations

import functools
import ssl

from benchmarks import _asyncio_clients as aio
from benchmarks import _ws_clients as ws
from benchmarks._harness import Benchmark, Unit, Variant, rate
from benchmarks._servers import ServerPorts
from benchmarks._ws_clients import OpenSocket

__all__ = ["connect_benchmark", "download_benchmark", "upload_benchmark"]

MIB = 1024 * 1024
RAW = "raw Protocol"
STREAMS = "asyncio streams"


def download_benchmark(
    ports: ServerPorts,
    size: int,
    open_socket: OpenSocket,
    context: ssl.SSLContext | None = None,
    prefix: str = "",
) -> Benchmark:
    """Download ``size`` bytes: raw Protocol and BufferedProtocol, streams, both readers."""
    p = functools.partial
    port = ports.download
    return Benchmark(
        "download",
        f"{prefix}download {size // MIB} MiB",
        "MB/s",
        [
            Variant(RAW, rate(p(aio.raw_protocol_download, port, size, context)), baseline=True),
            Variant("raw BufferedProtocol",
                    rate(p(aio.raw_buffered_download, port, size, context)), baseline=True),
            Variant(STREAMS, rate(p(aio.streams_download, port, size, context)), baseline=True),
            Variant("wintersockets default reader",
                    rate(p(ws.ws_default_download, open_socket, port, size))),
            Variant("wintersockets BYOB reader",
                    rate(p(ws.ws_byob_download, open_socket, port, size))),
        ],
        raw=RAW,
        streams=STREAMS,
    )  # fmt: skip


def upload_benchmark(
    ports: ServerPorts,
    size: int,
    open_socket: OpenSocket,
    context: ssl.SSLContext | None = None,
    prefix: str = "",
) -> Benchmark:
    """Upload ``size`` bytes in 64 KiB writes, each awaited."""
    p = functools.partial
    port = ports.upload
    return Benchmark(
        "upload",
        f"{prefix}upload {size // MIB} MiB in 64 KiB writes",
        "MB/s",
        [
            Variant(RAW, rate(p(aio.raw_upload, port, size, context)), baseline=True),
            Variant(STREAMS, rate(p(aio.streams_upload, port, size, context)), baseline=True),
            Variant("wintersockets", rate(p(ws.ws_upload, open_socket, port, size))),
        ],
        raw=RAW,
        streams=STREAMS,
    )


def connect_benchmark(
    key: str,
    title: str,
    unit: Unit,
    ports: ServerPorts,
    count: int,
    open_socket: OpenSocket,
    context: ssl.SSLContext | None = None,
) -> Benchmark:
    """Open (and, with ``context``, handshake) and close ``count`` connections in turn."""
    p = functools.partial
    port = ports.accept_close
    return Benchmark(
        key,
        title,
        unit,
        [
            Variant(RAW, rate(p(aio.raw_connect, port, count, context)), baseline=True),
            Variant(STREAMS, rate(p(aio.streams_connect, port, count, context)), baseline=True),
            Variant("wintersockets", rate(p(ws.ws_connect_close, open_socket, port, count))),
        ],
        raw=RAW,
        streams=STREAMS,
    )
