"""A real Redis server, spoken to in RESP through the Sockets API only."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.integration.assertions import WITHIN, assert_bytes_received, close_and_settle
from tests.peers.redis import RedisServer, redis_server  # noqa: F401 - the fixture
from wintersockets.connector.connector import connect

if TYPE_CHECKING:
    from wintersockets.socket.socket import Socket

Reply = bytes | int | list["Reply"] | None


class RedisError(Exception):
    """Redis answered with an error reply."""


def command(*args: bytes | str | int) -> bytes:
    """One command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts += [b"$%d\r\n" % len(data), data, b"\r\n"]
    return b"".join(parts)


class RespConnection:
    """Writes commands to a socket and parses RESP replies from its readable."""

    def __init__(self, sock: Socket) -> None:
        self.sock = sock
        self._writer = sock.writable.get_writer()
        self._reader = sock.readable.get_reader()
        self._buffer = bytearray()
        self._pos = 0

    async def send(self, data: bytes) -> None:
        await self._writer.write(data)

    async def call(self, *args: bytes | str | int) -> Reply:
        await self.send(command(*args))
        return await self.reply()

    async def _fill(self) -> None:
        result = await self._reader.read()
        assert not result.done, "redis closed the connection"
        if self._pos > 1 << 20:  # drop what was parsed, so the buffer does not grow forever
            del self._buffer[: self._pos]
            self._pos = 0
        self._buffer += result.value

    async def _line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n", self._pos)) < 0:
            await self._fill()
        line = bytes(self._buffer[self._pos : end])
        self._pos = end + 2
        return line

    async def _exactly(self, n: int) -> bytes:
        while len(self._buffer) - self._pos < n + 2:
            await self._fill()
        data = bytes(self._buffer[self._pos : self._pos + n])
        assert self._buffer[self._pos + n : self._pos + n + 2] == b"\r\n"
        self._pos += n + 2
        return data

    async def reply(self) -> Reply:
        line = await self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else await self._exactly(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [await self.reply() for _ in range(n)]
        raise AssertionError(f"not a RESP reply: {line!r}")


async def open_redis(server: RedisServer) -> RespConnection:
    sock = connect(server.address)
    async with asyncio.timeout(WITHIN):
        await sock.opened
    return RespConnection(sock)


def unique_key(name: str) -> str:
    """A key no other test (or loop run) touches: the server lives for the session."""
    return f"wintersockets:{name}:{uuid.uuid4().hex}"


async def test_redis_answers_ping(redis_server: RedisServer) -> None:  # noqa: F811
    redis = await open_redis(redis_server)
    async with asyncio.timeout(WITHIN):
        assert await redis.call("PING") == b"PONG"
    await close_and_settle(redis.sock)


async def test_redis_set_then_get_returns_a_4_mib_value_intact(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    value = random.Random(4).randbytes(4 * 1024 * 1024)
    key = unique_key("big")
    redis = await open_redis(redis_server)
    async with asyncio.timeout(WITHIN):
        assert await redis.call("SET", key, value) == b"OK"
        got = await redis.call("GET", key)
        assert isinstance(got, bytes)
        assert_bytes_received(got, value)
        assert await redis.call("DEL", key) == 1
    await close_and_settle(redis.sock)


async def test_redis_answers_10000_pipelined_incrs_sent_in_one_write(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    key = unique_key("counter")
    redis = await open_redis(redis_server)
    pipeline = command("INCR", key) * 10_000
    async with asyncio.timeout(WITHIN):
        await redis.send(pipeline)
        replies = [await redis.reply() for _ in range(10_000)]
        assert replies == list(range(1, 10_001))
        assert await redis.call("GET", key) == b"10000"
        assert await redis.call("DEL", key) == 1
    await close_and_settle(redis.sock)


async def test_redis_error_replies_come_through(redis_server: RedisServer) -> None:  # noqa: F811
    redis = await open_redis(redis_server)
    async with asyncio.timeout(WITHIN):
        with pytest.raises(RedisError, match=r"(?i)unknown command"):
            await redis.call("NO-SUCH-COMMAND")
        assert await redis.call("PING") == b"PONG"
    await close_and_settle(redis.sock)


async def test_redis_quit_closes_the_socket_cleanly(redis_server: RedisServer) -> None:  # noqa: F811
    redis = await open_redis(redis_server)
    async with asyncio.timeout(WITHIN):
        assert await redis.call("QUIT") == b"OK"
        assert (await redis._reader.read()).done
        await redis.sock.closed
