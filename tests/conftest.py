"""Test harness: runs ``async def`` tests on a fresh loop and fails them on any leak.

Each coroutine test runs on a new event loop in debug mode. The test fails if, when it
returns, the loop reported an unhandled error (asyncio's "exception was never retrieved",
"Task exception was never retrieved", a callback that raised), or a task it started is
still pending. Tests under ``tests/streams`` run on the default loop; every other async
test runs twice, on the default loop and on uvloop (the ``loop_kind`` parameter).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

LOOP_KINDS = ("asyncio", "uvloop")

# Real peers (subprocess servers) as session fixtures, one module per peer.
# tls_certs comes first: the TLS peers import it.
pytest_plugins = [
    "tests.peers.tls_certs",
    "tests.peers.listeners",
    "tests.peers.nginx",
    "tests.peers.openssl_server",
    "tests.peers.postgres",
    "tests.peers.proxies",
    "tests.peers.redis",
    "tests.peers.smtp",
]


def new_loop(kind: str) -> asyncio.AbstractEventLoop:
    """A new event loop of the given kind."""
    if kind == "uvloop":
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if not inspect.iscoroutinefunction(metafunc.function):
        return
    path = str(metafunc.definition.path)
    only_default = (
        "/tests/streams/" in path
        or metafunc.definition.get_closest_marker("asyncio_only") is not None
    )
    if metafunc.definition.get_closest_marker("both_loops") is not None:
        only_default = False
    kinds = ("asyncio",) if only_default else LOOP_KINDS
    if "loop_kind" not in metafunc.fixturenames:
        metafunc.fixturenames.append("loop_kind")
    metafunc.parametrize("loop_kind", kinds)


def run_checked(
    kind: str, fn: Callable[..., Coroutine[Any, Any, object]], kwargs: dict[str, Any]
) -> None:
    """Run ``fn(**kwargs)`` on a fresh loop of ``kind`` and fail on any leak it leaves."""
    loop = new_loop(kind)
    loop.set_debug(True)
    loop.slow_callback_duration = 10.0  # debug mode's slow-callback log is noise here
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    asyncio.set_event_loop(loop)
    try:
        main = loop.create_task(fn(**kwargs))
        loop.run_until_complete(main)
        # Give reactions scheduled by the test's last steps a chance to run.
        for _ in range(3):
            loop.run_until_complete(asyncio.sleep(0))
        leaked = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in leaked:
            task.cancel()
        if leaked:
            loop.run_until_complete(asyncio.gather(*leaked, return_exceptions=True))
        gc.collect()
        loop.run_until_complete(asyncio.sleep(0))
        loop.run_until_complete(loop.shutdown_asyncgens())
        if leaked:
            pytest.fail(f"test left {len(leaked)} task(s) pending: {leaked!r}")
        if errors:
            messages = "; ".join(f"{c.get('message')!r} ({c.get('exception')!r})" for c in errors)
            pytest.fail(f"the loop reported unhandled errors: {messages}")
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    fn = pyfuncitem.obj
    if not inspect.iscoroutinefunction(fn):
        return None
    funcargs = pyfuncitem.funcargs
    # loop_kind is parametrized directly (pytest_generate_tests), not a fixture: pytest 9
    # hands it over in the call spec only, not in funcargs.
    callspec = getattr(pyfuncitem, "callspec", None)
    kind = "asyncio" if callspec is None else str(callspec.params.get("loop_kind", "asyncio"))
    params = inspect.signature(fn).parameters
    kwargs = {name: funcargs[name] for name in params if name in funcargs}
    run_checked(kind, fn, kwargs)
    return True
