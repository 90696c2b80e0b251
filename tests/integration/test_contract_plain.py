"""The socket contract (``contract.py``) over plain TCP to a loopback peer, on both loops."""

from __future__ import annotations

import pytest

from tests.integration.contract import ALL_CHECKS, Check, check_id, plain_tcp


@pytest.mark.parametrize("check", ALL_CHECKS, ids=check_id)
async def test_plain_tcp_socket_keeps_the_contract(check: Check) -> None:
    await check(plain_tcp)
