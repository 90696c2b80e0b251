"""The socket contract (``contract.py``) over plain TCP to a loopback peer, on both loops."""

from __future__ import annotations

import pytest

from tests.integration.contract import ALL_CHECKS, Check, check_id, plain_tcp

KNOWN_FAILURES: dict[Check, str] = {}
"""Checks that fail over plain TCP because of a known bug, with the bug: strict xfails."""


def _with_known_failures(checks: tuple[Check, ...]) -> list[object]:
    return [
        pytest.param(check, marks=pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[check]))
        if check in KNOWN_FAILURES
        else check
        for check in checks
    ]


@pytest.mark.parametrize("check", _with_known_failures(ALL_CHECKS), ids=check_id)
async def test_plain_tcp_socket_keeps_the_contract(check: Check) -> None:
    await check(plain_tcp)
