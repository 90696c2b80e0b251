"""The test harness itself: it must catch what it promises to catch."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import run_checked


async def _leaks_a_task() -> None:
    asyncio.get_running_loop().create_task(asyncio.sleep(3600))


async def _never_retrieved() -> None:
    fut = asyncio.get_running_loop().create_future()
    fut.set_exception(ValueError("nobody looks at me"))
    del fut


async def _clean() -> None:
    await asyncio.sleep(0)


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_harness_fails_a_test_that_leaks_a_task(kind: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="pending"):
        run_checked(kind, _leaks_a_task, {})


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_harness_fails_a_test_that_leaves_an_exception_never_retrieved(kind: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="never retrieved"):
        run_checked(kind, _never_retrieved, {})


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_harness_passes_a_clean_test(kind: str) -> None:
    run_checked(kind, _clean, {})


async def test_async_tests_run_on_both_loops_outside_streams(loop_kind: str) -> None:
    loop = asyncio.get_running_loop()
    assert ("uvloop" in type(loop).__module__) == (loop_kind == "uvloop")


async def test_tests_that_do_not_name_loop_kind_run_on_its_loop_too(
    request: pytest.FixtureRequest,
) -> None:
    # loop_kind reaches the harness through the call spec, not as an argument.
    kind = request.node.callspec.params["loop_kind"]
    loop = asyncio.get_running_loop()
    assert ("uvloop" in type(loop).__module__) == (kind == "uvloop")
