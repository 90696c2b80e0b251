"""``python -m benchmarks``: say how to run each benchmark."""

from __future__ import annotations

__all__ = ["USAGE", "main"]

USAGE = """\
wintersockets benchmarks: each compares wintersockets with raw asyncio (and asyncio streams)
in the same run, on the default loop and on uvloop, and prints medians and ratios.

  python -m benchmarks.sockets [--size-mib 1024] [--pings 20000] [--connects 2000]
                               [--sockets 1000] [--repeat 5] [--loops asyncio,uvloop]
                               [--only download,upload,pingpong,connect,memory] [--quick]
      loopback TCP: download, upload, 16-byte ping-pong, connect+close, heap per socket

  python -m benchmarks.streams [--chunks 1000000] [--streams 10000] [--repeat 5]
                               [--loops asyncio,uvloop] [--quick]
      WHATWG streams overhead: reading enqueued chunks, an identity transform pipe,
      heap per idle stream, against asyncio.Queue

  python -m benchmarks.tls [--size-mib 256] [--handshakes 500] [--repeat 5]
                           [--loops asyncio,uvloop] [--quick]
      TLS download, upload and handshakes against loop.create_connection(ssl=...)

  python -m benchmarks.instructions [--loops asyncio,uvloop] [--small 1000] [--large 6000]
      instructions per ping-pong round trip and per connect+close, counted by valgrind
      (deterministic: for A/B work on the hot paths; needs valgrind installed)

--quick shrinks every size so all three finish in about a minute (a smoke run; its
numbers are too small to compare). See benchmarks/README.md for how to read the output.
"""


def main() -> int:
    """Print the usage of the three benchmarks."""
    print(USAGE, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
