"""Instructions per message: CPU cost counted, not timed, for A/B work on the hot paths.

Run ``python -m benchmarks.instructions --help``. Each client runs in a child process under
valgrind's callgrind, which counts the user-space instructions it executes; running it for
``small`` and for ``large`` messages and dividing the difference by ``large - small``
leaves the instructions per message, with start-up, imports and connecting cancelled out.
The count is the same from run to run within a fraction of a percent, so a change of 1%
shows, where wall-clock ratios on a shared machine move by 10%. It says nothing of the
kernel's time (system calls, the same for every client here) nor of cache misses.

The servers run in a separate process, as in :mod:`benchmarks.sockets`.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence

from benchmarks._count_client import JOBS, port_for
from benchmarks._harness import emit, loop_kinds_or_exit
from benchmarks._servers import running_servers

__all__ = ["CLIENTS", "main", "per_message"]

# (job, client) pairs, in the order printed.
CLIENTS = tuple(JOBS)
_COLLECTED = re.compile(rb"Collected : (\d+)")


def _instructions(command: list[str]) -> int:
    """The instructions ``command`` executes under callgrind, start to end."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        check=False,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(
            f"{' '.join(command)} failed under valgrind (exit {done.returncode}):\n"
            + done.stderr.decode(errors="replace")[-2000:]
        )
    return int(found.group(1))


def per_message(kind: str, job: str, client: str, port: int, small: int, large: int) -> float:
    """Instructions per round trip or connection of ``client`` on the loop ``kind``."""
    command = [sys.executable, "-m", "benchmarks._count_client", kind, job, client, str(port)]
    # A first run without valgrind writes the bytecode caches both measured runs then read.
    subprocess.run([*command, "1"], check=True, capture_output=True)
    low = _instructions([*command, str(small)])
    high = _instructions([*command, str(large)])
    return (high - low) / (large - small)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instructions",
        description="user-space instructions per ping-pong round trip and per connect+close "
        "(valgrind callgrind), for raw asyncio, asyncio streams and wintersockets",
    )
    parser.add_argument("--loops", default="asyncio,uvloop", help="asyncio,uvloop (default both)")
    parser.add_argument("--small", type=int, default=1000, help="messages in the short run")
    parser.add_argument("--large", type=int, default=6000, help="messages in the long run")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Count each client's instructions per message on each loop and print a table."""
    parser = _parser()
    args = parser.parse_args(argv)
    kinds = loop_kinds_or_exit(parser, args.loops)
    if args.large <= args.small or args.small < 1:
        parser.error("--large must exceed --small, and --small be at least 1")
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install -y valgrind", file=sys.stderr)
        return 2
    with running_servers() as ports:
        for kind in kinds:
            lines = [f"== instructions per message on {kind} (callgrind, user space) =="]
            baseline: dict[str, float] = {}
            for job, client in CLIENTS:
                port = port_for(ports, job)
                count = per_message(kind, job, client, port, args.small, args.large)
                baseline.setdefault(job, count)  # the first client of each job is raw
                unit = "per round trip" if job == "pingpong" else "per connect+close"
                lines.append(
                    f"  {job:<9} {client:<31} {count:>10,.0f} {unit:<18} "
                    f"{count / baseline[job]:5.2f}x raw"
                )
            emit(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
