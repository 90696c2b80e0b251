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
from benchmarks import _ws_clients as ws
from benchmarks._harness import Transfer, run_on_loop
from benchmarks._ws_api import ws_connect

__all__ = ["main"]

Job = Callable[[int, int], Coroutine[Any, Any, Transfer]]


def _jobs() -> dict[tuple[str, str], Job]:
    connect = ws_connect()
    return {
        ("pingpong", "raw Protocol"): aio.raw_pingpong,
        ("pingpong", "asyncio streams"): aio.streams_pingpong,
        ("pingpong", "wintersockets"): lambda port, n: ws.ws_pingpong(connect, port, n),
        ("connect", "raw Protocol"): aio.raw_connect,
        ("connect", "asyncio streams"): aio.streams_connect,
        ("connect", "floor: task + 2 futures"): aio.floor_connect,
        ("connect", "wintersockets"): lambda port, n: ws.ws_connect_close(connect, port, n),
    }


def main(argv: list[str]) -> int:
    """Run the job the arguments name; return the exit status."""
    kind, job, client, port, count = argv
    run = _jobs()[(job, client)]
    run_on_loop(kind, lambda: run(int(port), int(count)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
