"""Streams benchmark: WHATWG streams overhead against plain asyncio queues, no sockets.

Run ``python -m benchmarks.streams --help``. Three measurements, on each loop:

* read: N chunks already enqueued, read one by one through a ``ReadableStream`` default
  reader, against awaiting ``asyncio.Queue.get()`` for N chunks already put;
* pipe: N chunks from ``ReadableStream.from_(iterable)`` through an identity
  ``TransformStream`` into a ``WritableStream`` sink that counts them, against the
  hand-written asyncio equivalent: a producer task feeding the same iterable into an
  ``asyncio.Queue``, a task moving chunks from it into a second queue, and a task counting
  them. The target is against unbounded queues (asyncio's default, and the fastest: no task
  ever waits for room); a row with ``maxsize=16`` queues shows what backpressure, which the
  streams always have, costs asyncio;
* memory: Python heap per idle ``ReadableStream`` with a default reader attached.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import itertools
import tracemalloc
from collections.abc import Sequence
from typing import Any, Final

from benchmarks._asyncio_clients import start_tracing, traced_bytes_per_object
from benchmarks._harness import (
    Benchmark,
    Group,
    Stopwatch,
    Target,
    Transfer,
    Variant,
    emit,
    expect,
    format_report,
    loop_kinds_or_exit,
    run_group,
    run_on_loop,
)
from benchmarks._ws_api import (
    DefaultReaderLike,
    readable_stream_class,
    transform_stream_class,
    writable_stream_class,
)

__all__ = [
    "main",
    "queue_memory",
    "queue_pipe",
    "queue_read",
    "run_loop",
    "ws_pipe",
    "ws_read",
    "ws_read_async_for",
    "ws_stream_memory",
]

CHUNK: Final = b"chunk"
_DONE: Final = object()

TARGETS = (
    Target("read", "wintersockets default reader", "asyncio.Queue", 0.5,
           "read enqueued chunks: <= 2x the time of asyncio.Queue", as_time=True),
    Target("pipe", "wintersockets pipe_through", "asyncio.Queue", 0.25,
           "identity TransformStream pipe: <= 4x the time of queues", as_time=True),
    Target("memory", "wintersockets", None, 4 * 1024,
           "heap <= 4 KiB per idle ReadableStream + reader"),
)  # fmt: skip


# -- (a) reading enqueued chunks ----------------------------------------------------------


async def queue_read(chunks: int) -> Transfer:
    """Await ``asyncio.Queue.get()`` for ``chunks`` chunks put beforehand."""
    queue: asyncio.Queue[object] = asyncio.Queue()
    for _ in range(chunks):
        queue.put_nowait(CHUNK)
    queue.put_nowait(_DONE)
    count = 0
    watch = Stopwatch()
    while await queue.get() is not _DONE:
        count += 1
    seconds = watch.elapsed()
    expect("chunks read", count, chunks)
    return Transfer(count, seconds)


def _filled_stream(chunks: int) -> Any:
    def start(controller: Any) -> None:
        enqueue = controller.enqueue
        for _ in range(chunks):
            enqueue(CHUNK)
        controller.close()

    return readable_stream_class()({"start": start})


async def ws_read(chunks: int) -> Transfer:
    """``await reader.read()`` for ``chunks`` chunks enqueued in the source's ``start``."""
    reader: DefaultReaderLike = _filled_stream(chunks).get_reader()
    count = 0
    watch = Stopwatch()
    while True:
        result = await reader.read()
        if result.done:
            break
        count += 1
    seconds = watch.elapsed()
    expect("chunks read", count, chunks)
    return Transfer(count, seconds)


async def ws_read_async_for(chunks: int) -> Transfer:
    """``async for`` over a stream holding ``chunks`` enqueued chunks."""
    stream = _filled_stream(chunks)
    count = 0
    watch = Stopwatch()
    async for _chunk in stream:
        count += 1
    seconds = watch.elapsed()
    expect("chunks read", count, chunks)
    return Transfer(count, seconds)


# -- (b) piping through an identity transform --------------------------------------------


async def queue_pipe(chunks: int, maxsize: int = 0) -> Transfer:
    """Producer, mover and counter tasks joined by two ``asyncio.Queue(maxsize)``."""
    first: asyncio.Queue[object] = asyncio.Queue(maxsize)
    second: asyncio.Queue[object] = asyncio.Queue(maxsize)
    count = 0

    async def produce() -> None:
        for chunk in itertools.repeat(CHUNK, chunks):
            await first.put(chunk)
        await first.put(_DONE)

    async def move() -> None:
        while (chunk := await first.get()) is not _DONE:
            await second.put(chunk)
        await second.put(_DONE)

    async def consume() -> None:
        nonlocal count
        while await second.get() is not _DONE:
            count += 1

    watch = Stopwatch()
    await asyncio.gather(produce(), move(), consume())
    seconds = watch.elapsed()
    expect("chunks piped", count, chunks)
    return Transfer(count, seconds)


async def ws_pipe(chunks: int) -> Transfer:
    """``ReadableStream.from_(...).pipe_through(TransformStream()).pipe_to(counting sink)``."""
    readable_cls = readable_stream_class()
    transform_cls = transform_stream_class()
    writable_cls = writable_stream_class()
    count = 0

    def write(_chunk: object, _controller: object = None) -> None:
        nonlocal count
        count += 1

    source = readable_cls.from_(itertools.repeat(CHUNK, chunks))
    sink = writable_cls({"write": write})
    watch = Stopwatch()
    await source.pipe_through(transform_cls()).pipe_to(sink)
    seconds = watch.elapsed()
    expect("chunks piped", count, chunks)
    return Transfer(count, seconds)


# -- (c) memory per idle stream ----------------------------------------------------------


async def queue_memory(objects: int) -> float:
    """Python heap per ``asyncio.Queue`` (for scale)."""
    was_tracing = tracemalloc.is_tracing()
    try:
        before = start_tracing()
        held = [asyncio.Queue[object]() for _ in range(objects)]
        per_object = traced_bytes_per_object(before, objects)
    finally:
        if not was_tracing:
            tracemalloc.stop()
    expect("queues", len(held), objects)
    return per_object


async def ws_stream_memory(objects: int) -> float:
    """Python heap per idle ``ReadableStream`` with a default reader attached."""
    readable_cls = readable_stream_class()
    was_tracing = tracemalloc.is_tracing()
    try:
        before = start_tracing()
        held = []
        for _ in range(objects):
            stream = readable_cls()
            held.append((stream, stream.get_reader()))
        per_object = traced_bytes_per_object(before, objects)
    finally:
        if not was_tracing:
            tracemalloc.stop()
    expect("streams", len(held), objects)
    return per_object


# -- running -----------------------------------------------------------------------------


def _rate(job: functools.partial[Any]) -> Any:
    async def run() -> float:
        transfer: Transfer = await job()
        return transfer.rate

    return run


def build_benchmarks(chunks: int, objects: int) -> dict[str, Benchmark]:
    """The three benchmarks, with their variants in run order."""
    p = functools.partial
    return {
        "read": Benchmark(
            "read",
            f"read {chunks:,} enqueued chunks",
            "Mchunks/s",
            [
                Variant("asyncio.Queue", _rate(p(queue_read, chunks)), baseline=True),
                Variant("wintersockets default reader", _rate(p(ws_read, chunks))),
                Variant("wintersockets async for", _rate(p(ws_read_async_for, chunks))),
            ],
            raw="asyncio.Queue",
            raw_column="x Queue",
        ),
        "pipe": Benchmark(
            "pipe",
            f"pipe {chunks:,} chunks through a transform",
            "Mchunks/s",
            [
                Variant("asyncio.Queue", _rate(p(queue_pipe, chunks)), baseline=True),
                Variant(
                    "asyncio.Queue(maxsize=16)", _rate(p(queue_pipe, chunks, 16)), baseline=True
                ),
                Variant("wintersockets pipe_through", _rate(p(ws_pipe, chunks))),
            ],
            raw="asyncio.Queue",
            raw_column="x Queue",
        ),
        "memory": Benchmark(
            "memory",
            f"Python heap per idle stream ({objects:,})",
            "KiB/stream",
            [
                Variant("asyncio.Queue", p(queue_memory, objects), baseline=True),
                Variant("wintersockets", p(ws_stream_memory, objects)),
            ],
            raw="asyncio.Queue",
            raw_column="x Queue",
        ),
    }


async def run_loop(
    chunks: int, objects: int, repeat: int, run_timeout: float = 600.0
) -> dict[str, Group]:
    """Run the three benchmarks on the running loop; return their results by name."""
    groups: dict[str, Group] = {}
    for key, benchmark in build_benchmarks(chunks, objects).items():
        reps = min(repeat, 3) if key == "memory" else repeat
        groups[key] = await run_group(benchmark, reps, run_timeout)
    return groups


def report(kind: str, repeat: int, groups: dict[str, Group]) -> list[str]:
    """The printed report for one loop."""
    return format_report("streams", kind, repeat, groups, TARGETS)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run on each loop and print the report."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.streams",
        description="WHATWG streams overhead vs asyncio.Queue (no sockets)",
    )
    parser.add_argument("--chunks", type=int, help="chunks per run (default 1000000)")
    parser.add_argument("--streams", type=int, help="idle streams for memory (default 10000)")
    parser.add_argument("--repeat", type=int, help="interleaved repetitions (default 5)")
    parser.add_argument("--loops", default="asyncio,uvloop", help="asyncio,uvloop (default both)")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args(argv)
    kinds = loop_kinds_or_exit(parser, args.loops)
    quick = bool(args.quick)
    chunks = args.chunks if args.chunks is not None else (50_000 if quick else 1_000_000)
    objects = args.streams if args.streams is not None else (2_000 if quick else 10_000)
    repeat = args.repeat if args.repeat is not None else (3 if quick else 5)
    for kind in kinds:
        groups = run_on_loop(kind, functools.partial(run_loop, chunks, objects, repeat))
        emit(report(kind, repeat, groups))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
