"""One client job, run alone in its own process, for :mod:`benchmarks.instructions`.

``python -m benchmarks._count_client LOOP JOB CLIENT PORT COUNT`` runs the client of
:mod:`benchmarks.sockets` named ``CLIENT`` for ``COUNT`` round trips (``JOB`` pingpong) or
connections (``JOB`` connect) against ``PORT`` on 127.0.0.1, and exits non-zero if it
counted wrong (the clients check their own counts).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Coroutine
from typing import Any

from benchmarks import _asyncio_clients as aio
from benchmarks import _shape_client as shape
from benchmarks import _ws_clients as ws
from benchmarks._harness import Transfer, run_on_loop
from benchmarks._servers import ServerPorts
from benchmarks._transfers import FLOOR, RAW, SHAPE, STREAMS
from benchmarks._ws_api import ws_connect
from wintersockets.transport import protocol as bridge_module

__all__ = ["JOBS", "main", "port_for"]

Job = Callable[[int, int], Coroutine[Any, Any, Transfer]]

# Each (job, client) pair with its client, in the order benchmarks.instructions prints them;
# the client names are the variants' names in benchmarks.sockets.
JOBS: dict[tuple[str, str], Job] = {
    ("pingpong", RAW): aio.raw_pingpong,
    ("pingpong", STREAMS): aio.streams_pingpong,
    ("pingpong", "wintersockets default reader"): lambda port, n: ws.ws_pingpong(
        ws_connect(), port, n
    ),
    ("pingpong", "wintersockets BYOB reader"): lambda port, n: ws.ws_byob_pingpong(
        ws_connect(), port, n
    ),
    # The same clients with reads at once off: every read waits for the loop. Under
    # valgrind the client runs ~50x slower than the server, so a read made right after the
    # write always finds the reply; in a real run on uvloop it seldom does (about 3% of
    # the round trips; counted). These rows count the path real runs take.
    ("pingpong", "wintersockets default, waiting"): lambda port, n: _waiting(
        ws.ws_pingpong(ws_connect(), port, n)
    ),
    ("pingpong", "wintersockets BYOB, waiting"): lambda port, n: _waiting(
        ws.ws_byob_pingpong(ws_connect(), port, n)
    ),
    ("connect", RAW): aio.raw_connect,
    ("connect", STREAMS): aio.streams_connect,
    ("connect", FLOOR): aio.floor_connect,
    ("connect", SHAPE): shape.shape_connect,
    ("connect", "wintersockets"): lambda port, n: ws.ws_connect_close(ws_connect(), port, n),
}


def _waiting(client: Coroutine[Any, Any, Transfer]) -> Coroutine[Any, Any, Transfer]:
    # No read is made at once: an allowance of 0 bytes, renewed as 0.
    setattr(bridge_module, "READ_NOW_ALLOWANCE", 0)  # noqa: B010 (a Final, patched here only)
    return client


def port_for(ports: ServerPorts, job: str) -> int:
    """The server ``job`` talks to: the echo server, or the one that closes on accept."""
    return ports.echo if job == "pingpong" else ports.accept_close


def main(argv: list[str]) -> int:
    """Run the job the arguments name; return the exit status."""
    kind, job, client, port, count = argv
    run = JOBS[(job, client)]
    run_on_loop(kind, lambda: run(int(port), int(count)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
