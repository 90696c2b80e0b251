"""Calling user callbacks with as many arguments as they take.

JavaScript calls a function with more arguments than it declares without complaint, so
sources, sinks and transformers ported from JavaScript (and natural Python ones) often
declare fewer: ``write(chunk)`` without the controller, ``cancel()`` without the reason.
Web IDL conversion happens once, so the fit is worked out once, here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__: list[str] = []

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def positional_capacity(fn: Callable[..., object]) -> int | None:
    """How many positional arguments ``fn`` takes; ``None`` for any number (or unknown)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature: pass everything
        return None
    count = 0
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if parameter.kind in _POSITIONAL:
            count += 1
    return count


def fit_arguments(fn: Callable[..., object], given: int) -> Callable[..., Any]:
    """``fn`` itself if it takes ``given`` positional arguments, else a call that drops the
    trailing ones it does not declare."""
    capacity = positional_capacity(fn)
    if capacity is None or capacity >= given:
        return fn
    return lambda *args: fn(*args[:capacity])
