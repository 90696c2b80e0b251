"""The download, upload and connect benchmarks, over plain TCP or TLS.

The sockets and TLS benchmarks run the same jobs against the same servers; only the
client's TLS context (``None`` for plain TCP), wintersockets' ``open_socket`` and the
titles differ.
"""

from __future__ import annotations

import functools
import ssl

from benchmarks import _asyncio_clients as aio
from benchmarks import _shape_client as shape
from benchmarks import _ws_clients as ws
from benchmarks._harness import Benchmark, Unit, Variant, rate
from benchmarks._servers import ServerPorts
from benchmarks._ws_clients import OpenSocket

__all__ = ["connect_benchmark", "transfer_benchmarks"]

MIB = 1024 * 1024
RAW = "raw Protocol"
STREAMS = "asyncio streams"
# A bare background task and two futures: the least a connect() that returns at once costs.
FLOOR = "floor: task + 2 futures"
# The floor plus what the spec makes every socket do (see benchmarks._shape_client).
SHAPE = "shape: floor + SocketInfo, protocol"


def transfer_benchmarks(
    ports: ServerPorts,
    size: int,
    open_socket: OpenSocket,
    context: ssl.SSLContext | None = None,
    prefix: str = "",
) -> dict[str, Benchmark]:
    """Download ``size`` bytes (both readers against raw Protocol, BufferedProtocol and
    streams), and upload them in 64 KiB writes, each awaited."""
    p = functools.partial
    down = ports.download
    up = ports.upload
    download = Benchmark(
        "download",
        f"{prefix}download {size // MIB} MiB",
        "MB/s",
        [
            Variant(RAW, rate(p(aio.raw_protocol_download, down, size, context)), baseline=True),
            Variant(
                "raw BufferedProtocol",
                rate(p(aio.raw_buffered_download, down, size, context)),
                baseline=True,
            ),
            Variant(STREAMS, rate(p(aio.streams_download, down, size, context)), baseline=True),
            Variant(
                "wintersockets default reader",
                rate(p(ws.ws_default_download, open_socket, down, size)),
            ),
            Variant(
                "wintersockets BYOB reader", rate(p(ws.ws_byob_download, open_socket, down, size))
            ),
        ],
        raw=RAW,
        streams=STREAMS,
    )
    upload = Benchmark(
        "upload",
        f"{prefix}upload {size // MIB} MiB in 64 KiB writes",
        "MB/s",
        [
            Variant(RAW, rate(p(aio.raw_upload, up, size, context)), baseline=True),
            Variant(STREAMS, rate(p(aio.streams_upload, up, size, context)), baseline=True),
            Variant("wintersockets", rate(p(ws.ws_upload, open_socket, up, size))),
        ],
        raw=RAW,
        streams=STREAMS,
    )
    return {"download": download, "upload": upload}  # fmt: skip


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
            Variant(FLOOR, rate(p(aio.floor_connect, port, count, context)), baseline=True),
            Variant(SHAPE, rate(p(shape.shape_connect, port, count, context)), baseline=True),
            Variant("wintersockets", rate(p(ws.ws_connect_close, open_socket, port, count))),
        ],
        raw=RAW,
        streams=STREAMS,
    )
