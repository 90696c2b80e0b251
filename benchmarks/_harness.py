"""Running, repeating and reporting benchmarks: the parts every benchmark shares.

A benchmark is a list of *variants* (raw asyncio, asyncio streams, wintersockets, ...) that
do the same job. Each repetition runs every variant once, so a slow spell on a shared
machine hits all of them alike, in an order rotated by one each time (A B C, B C A,
C A B, ...), so that no variant always runs right after the same one (what ran just before
can change a download by a third: the peer's state, the kernel's buffers, the heap). The
report gives the median of the repetitions and, for ratios, the median of the
per-repetition ratios: each ratio compares two runs made seconds apart, which cancels most
of the drift between repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

__all__ = [
    "Benchmark",
    "BenchmarkError",
    "Group",
    "NotAvailable",
    "Stopwatch",
    "Target",
    "Transfer",
    "Unit",
    "Variant",
    "VariantResult",
    "emit",
    "evaluate",
    "expect",
    "format_group",
    "format_report",
    "format_targets",
    "loop_kinds",
    "loop_kinds_or_exit",
    "median_ratio",
    "new_loop",
    "rate",
    "run_group",
    "run_on_loop",
]

LOOP_KINDS = ("asyncio", "uvloop")
Unit = Literal["MB/s", "rt/s", "conn/s", "hs/s", "Mchunks/s", "KiB/socket", "KiB/stream"]


class BenchmarkError(Exception):
    """A benchmark moved the wrong number of bytes or messages."""


class NotAvailable(Exception):
    """The API a variant needs is not implemented (yet)."""


@dataclass(frozen=True)
class Transfer:
    """What one run of a client did: ``units`` (bytes, round trips, connects) in ``seconds``."""

    units: int
    seconds: float

    @property
    def rate(self) -> float:
        """Units per second."""
        return self.units / self.seconds if self.seconds > 0 else float("inf")


def expect(what: str, got: int, want: int) -> None:
    """Raise :class:`BenchmarkError` unless a client counted exactly what it should have."""
    if got != want:
        raise BenchmarkError(f"{what}: counted {got!r}, expected {want!r}")


class Stopwatch:
    """``perf_counter`` from construction; ``elapsed`` reads it."""

    __slots__ = ("_start",)

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the stopwatch was made."""
        return time.perf_counter() - self._start


@dataclass(frozen=True)
class Variant:
    """One way of doing a benchmark's job.

    ``run`` does the job once and returns the measured value (a rate, or bytes per object
    for memory). ``baseline`` variants are plain asyncio: if one of those fails, the harness
    itself is broken and the error propagates instead of being reported as a row.
    """

    name: str
    run: Callable[[], Awaitable[float]]
    baseline: bool = False


@dataclass
class VariantResult:
    """The values one variant measured, or why it has none."""

    name: str
    values: list[float] = field(default_factory=list)
    status: str | None = None

    @property
    def ok(self) -> bool:
        """True if every repetition ran."""
        return self.status is None and bool(self.values)

    @property
    def median(self) -> float:
        """The median value over the repetitions."""
        return statistics.median(self.values)


@dataclass(frozen=True)
class Benchmark:
    """A named set of variants with the unit its values are in."""

    key: str
    title: str
    unit: Unit
    variants: Sequence[Variant]
    raw: str | None = None
    streams: str | None = None
    raw_column: str = "x raw"

    @property
    def higher_is_better(self) -> bool:
        """Rates go up, sizes go down."""
        return not self.unit.startswith("KiB")


@dataclass
class Group:
    """A benchmark's results on one loop."""

    benchmark: Benchmark
    results: dict[str, VariantResult]


def median_ratio(a: VariantResult, b: VariantResult) -> float | None:
    """The median over repetitions of ``a / b``, pairing the runs of each repetition."""
    if not (a.ok and b.ok) or len(a.values) != len(b.values):
        return None
    return statistics.median(x / y for x, y in zip(a.values, b.values, strict=True))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, NotAvailable):
        return f"n/a (not implemented: {exc})"
    if isinstance(exc, TimeoutError):
        return "error: timed out"
    name = type(exc).__name__
    text = str(exc) or name
    if not text.startswith(name):
        text = f"{name}: {text}"
    return f"error: {text}"[:160]


_reported: set[str] = set()


def _report_failure(where: str, exc: BaseException) -> None:
    """Print a failing variant's traceback to stderr, once per distinct error."""
    frames = traceback.extract_tb(exc.__traceback__)
    origin = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    key = f"{type(exc).__name__} at {origin}"
    if key in _reported:
        print(f"{where} failed: {exc} (traceback above)", file=sys.stderr)
        return
    _reported.add(key)
    print(f"{where} failed:", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)


async def run_group(benchmark: Benchmark, repeat: int, run_timeout: float) -> Group:
    """Run every variant ``repeat`` times, interleaved, and collect the values.

    A variant that cannot run is reported as ``n/a``, one that fails as ``error: ...``;
    either way the other variants go on.
    """
    results = {v.name: VariantResult(v.name) for v in benchmark.variants}
    variants = list(benchmark.variants)
    for repetition in range(repeat):
        shift = repetition % len(variants) if variants else 0
        for variant in variants[shift:] + variants[:shift]:
            result = results[variant.name]
            if result.status is not None:
                continue
            gc.collect()
            try:
                value = await asyncio.wait_for(variant.run(), run_timeout)
            except Exception as exc:
                if variant.baseline:
                    raise
                result.status = _describe(exc)
                if not isinstance(exc, NotAvailable):
                    _report_failure(f"{benchmark.key}: {variant.name}", exc)
                continue
            result.values.append(value)
    return Group(benchmark, results)


@dataclass(frozen=True)
class Target:
    """A goal from the issue: ``variant`` against ``versus`` (a ratio) or an absolute bound.

    With ``versus`` set, the goal is ``ratio >= threshold`` (for rates) or ``ratio <=
    threshold`` (for sizes). Without it, ``value >= threshold`` or ``value <= threshold``.
    ``as_time`` reports a rate ratio as the time it implies ("3.2x the time") for goals
    stated in time.
    """

    benchmark: str
    variant: str
    versus: str | None
    threshold: float
    label: str
    as_time: bool = False


def _fmt_value(value: float, unit: str) -> str:
    if unit == "MB/s":
        return f"{value / 1e6:,.0f}"
    if unit == "Mchunks/s":
        return f"{value / 1e6:,.2f}"
    if unit.startswith("KiB"):
        return f"{value / 1024:,.2f}"
    return f"{value:,.0f}"


def _fmt_ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}x"


def format_group(group: Group) -> list[str]:
    """The table rows for one benchmark: median, spread and ratios per variant."""
    bench = group.benchmark
    res = group.results
    raw = res.get(bench.raw) if bench.raw else None
    streams = res.get(bench.streams) if bench.streams else None
    streams_column = "x streams" if streams is not None else ""
    lines = [
        f"{bench.title:<44}{'median':>18}  {'min..max':<20}{bench.raw_column:>8}"
        f"{streams_column:>11}".rstrip(),
    ]
    for name, result in res.items():
        if not result.ok:
            lines.append(f"  {name:<42}{result.status or 'n/a (no runs)'}")
            continue
        lo, hi = min(result.values), max(result.values)
        spread = f"{_fmt_value(lo, bench.unit)}..{_fmt_value(hi, bench.unit)}"
        r_raw = median_ratio(result, raw) if raw is not None else None
        r_str = median_ratio(result, streams) if streams is not None else None
        median = f"{_fmt_value(result.median, bench.unit)} {bench.unit}"
        lines.append(
            f"  {name:<42}{median:>18}  {spread:<20}{_fmt_ratio(r_raw):>8}"
            f"{_fmt_ratio(r_str):>11}".rstrip()
        )
    return lines


def evaluate(target: Target, groups: dict[str, Group]) -> tuple[str, str]:
    """``(verdict, measured)`` for a target: PASS, MISS or n/a, and the measured figure."""
    group = groups.get(target.benchmark)
    if group is None:
        return "skip", "not run"
    result = group.results[target.variant]
    higher = group.benchmark.higher_is_better
    if target.versus is None:
        if not result.ok:
            return "n/a", ""
        value = result.median
        passed = value >= target.threshold if higher else value <= target.threshold
        unit = group.benchmark.unit
        return ("PASS" if passed else "MISS"), f"{_fmt_value(value, unit)} {unit}"
    ratio = median_ratio(result, group.results[target.versus])
    if ratio is None:
        return "n/a", ""
    passed = ratio >= target.threshold if higher else ratio <= target.threshold
    measured = f"{1 / ratio:.2f}x the time" if target.as_time else f"{ratio:.2f}x"
    return ("PASS" if passed else "MISS"), measured


def format_targets(targets: Sequence[Target], groups: dict[str, Group]) -> list[str]:
    """One line per target: verdict, goal and what was measured."""
    lines = ["targets"]
    for target in targets:
        verdict, measured = evaluate(target, groups)
        if verdict == "skip":
            continue
        measured = f"measured {measured}" if measured else "(see the table above)"
        lines.append(f"  {verdict:<5} {target.label:<58} {measured}")
    return lines


def format_report(
    what: str, kind: str, repeat: int, groups: dict[str, Group], targets: Sequence[Target]
) -> list[str]:
    """The printed report for one loop: a table per benchmark, then the targets."""
    lines = [f"== {what} on {kind} (median of {repeat} interleaved runs; ratios paired) =="]
    for group in groups.values():
        lines += format_group(group)
        lines.append("")
    lines += format_targets(targets, groups)
    lines.append("")
    return lines


def rate(job: Callable[[], Awaitable[Transfer]]) -> Callable[[], Awaitable[float]]:
    """A variant's run: ``job``'s units per second."""

    async def run() -> float:
        return (await job()).rate

    return run


def loop_kinds(spec: str) -> list[str]:
    """Parse ``--loops``: a comma-separated subset of ``asyncio,uvloop``."""
    kinds = [k.strip() for k in spec.split(",") if k.strip()]
    for kind in kinds:
        if kind not in LOOP_KINDS:
            raise ValueError(f"unknown loop {kind!r}: use asyncio, uvloop or both")
    return kinds


def loop_kinds_or_exit(parser: argparse.ArgumentParser, spec: str) -> list[str]:
    """:func:`loop_kinds` for a command line: a bad ``--loops`` exits with usage."""
    try:
        return loop_kinds(spec)
    except ValueError as exc:
        parser.error(str(exc))


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A fresh event loop of ``kind`` ("asyncio" or "uvloop")."""
    if kind == "uvloop":
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop
    return asyncio.new_event_loop()


def run_on_loop(kind: str, main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``main()`` to completion on a fresh loop of ``kind``, then close the loop."""
    loop = new_loop(kind)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main())
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def emit(lines: Sequence[str], out: TextIO | None = None) -> None:
    """Print lines at once (flushed, so progress shows during long runs)."""
    stream = out if out is not None else sys.stdout
    stream.write("\n".join(lines) + "\n")
    stream.flush()
