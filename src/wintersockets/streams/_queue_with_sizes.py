"""Queue-with-sizes [queue-with-sizes], shared by readable and writable controllers.

https://streams.spec.whatwg.org/#queue-with-sizes
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Protocol

__all__: list[str] = []


class QueueContainer(Protocol):
    """An object with [[queue]] and [[queueTotalSize]] slots."""

    _queue: deque[tuple[Any, float]]
    _queue_total_size: float


def is_non_negative_number(v: object) -> bool:
    """[IsNonNegativeNumber]: a number, not NaN, not negative."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    return not math.isnan(v) and v >= 0


def dequeue_value(container: QueueContainer) -> Any:
    """[DequeueValue] https://streams.spec.whatwg.org/#dequeue-value"""
    assert container._queue
    value, size = container._queue.popleft()
    container._queue_total_size -= size
    if container._queue_total_size < 0:  # rounding errors
        container._queue_total_size = 0
    return value


def enqueue_value_with_size(container: QueueContainer, value: object, size: object) -> None:
    """[EnqueueValueWithSize] https://streams.spec.whatwg.org/#enqueue-value-with-size

    Raises:
        ValueError: ``size`` is not a finite non-negative number (the spec's RangeError).
    """
    check_chunk_size(size)
    assert isinstance(size, int | float)
    container._queue.append((value, size))
    container._queue_total_size += size


def check_chunk_size(size: object) -> None:
    """EnqueueValueWithSize, steps 2-3: ``size`` must be a finite non-negative number.

    Raises:
        ValueError: it is not (the spec's RangeError).
    """
    if not is_non_negative_number(size):
        raise ValueError(f"the size of a chunk must be a non-negative number, got {size!r}")
    assert isinstance(size, int | float)
    if math.isinf(size):
        raise ValueError("the size of a chunk must be finite, got inf")


def peek_queue_value(container: QueueContainer) -> Any:
    """[PeekQueueValue] https://streams.spec.whatwg.org/#peek-queue-value"""
    assert container._queue
    return container._queue[0][0]


def reset_queue(container: QueueContainer) -> None:
    """[ResetQueue] https://streams.spec.whatwg.org/#reset-queue"""
    container._queue = deque()
    container._queue_total_size = 0
