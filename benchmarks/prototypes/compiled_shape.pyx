# cython: language_level=3
"""A compiled prototype of the connect benchmark's shape client (not part of the package).

It answers one question: how near raw asyncio can connect + close get on uvloop if the
per-connection path is compiled? Extension types for the socket and its protocol; an opener
that steps ``loop.create_connection()`` from done-callbacks instead of a ``Task``; and, as
variants, the two things every spec-shaped socket adds: cancel-safe shared ``opened`` and
``closed`` promises (wintersockets' ``SharedPromise`` in Python, or a follower scheme whose
``__await__`` is in an extension-type mixin) and a ``SocketInfo`` with both addresses as
text (built by its dataclass ``__init__``, or by setting its slots directly).

Build and run it as benchmarks/prototypes/README.md says.
"""

import asyncio
import statistics
import sys
import time

from benchmarks._asyncio_clients import HOST, floor_connect, raw_connect
from benchmarks._harness import new_loop
from benchmarks._servers import running_servers
from wintersockets import SocketInfo
from wintersockets.streams._promises import shared_promise

# -- promises -------------------------------------------------------------------------------

PLAIN, SHARED, SHARED_COMPILED = 0, 1, 2


cdef class _SharedAwait:
    # Field-less, so it mixes into an asyncio.Future subclass without a layout conflict.
    def __await__(self):
        if self.done():
            return self._plain_await()
        follower = self.get_loop().create_future()
        followers = self._followers
        if followers is None:
            self._followers = [follower]
            self.add_done_callback(_settle_followers)
        else:
            followers.append(follower)
        return follower.__await__()


def _settle_followers(promise):
    followers = promise._followers
    promise._followers = None
    if promise.cancelled():
        for follower in followers:
            follower.cancel()
        return
    error = promise.exception()
    for follower in followers:
        if not follower.done():
            if error is None:
                follower.set_result(promise.result())
            else:
                follower.set_exception(error)


class CompiledSharedPromise(_SharedAwait, asyncio.Future):
    """A future that a task cancelled while awaiting it cannot cancel."""

    __slots__ = ("_followers",)

    def _plain_await(self):
        return asyncio.Future.__await__(self)


cdef object _promise(object loop, int kind):
    if kind == SHARED_COMPILED:
        promise = CompiledSharedPromise(loop=loop)
        promise._followers = None
        return promise
    if kind == SHARED:
        return shared_promise(loop)
    return loop.create_future()


# -- SocketInfo -----------------------------------------------------------------------------

NO_INFO, INFO, INFO_BY_SLOTS = 0, 1, 2

_new = object.__new__
_set_remote = SocketInfo.__dict__["remote_address"].__set__
_set_local = SocketInfo.__dict__["local_address"].__set__
_set_alpn = SocketInfo.__dict__["alpn"].__set__
_set_tls = SocketInfo.__dict__["tls"].__set__


cdef str _text(object address):
    if type(address) is not tuple:
        return None
    host = address[0]
    if ":" in host:
        return f"[{host}]:{address[1]}"
    return f"{host}:{address[1]}"


cdef object _info(object transport, int kind):
    remote = _text(transport.get_extra_info("peername"))
    local = _text(transport.get_extra_info("sockname"))
    if kind == INFO:
        return SocketInfo(remote, local)
    info = _new(SocketInfo)
    _set_remote(info, remote)
    _set_local(info, local)
    _set_alpn(info, None)
    _set_tls(info, None)
    return info


# -- the socket -----------------------------------------------------------------------------

cdef dict _parsed = {}


cdef class _Protocol:
    cdef _Socket socket
    cdef object transport

    def __init__(self, _Socket socket):
        self.socket = socket
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        pass

    def eof_received(self):
        return False

    def connection_lost(self, exc):
        self.socket.lost()

    def pause_writing(self):
        pass

    def resume_writing(self):
        pass


cdef class _Socket:
    cdef readonly object opened
    cdef readonly object closed
    cdef object _opening
    cdef _Protocol _protocol
    cdef int _state
    cdef int _info_kind

    def __init__(self, str address, int promises, int info):
        loop = asyncio.get_running_loop()
        destination = _parsed.get(address)
        if destination is None:
            host, _, port = address.rpartition(":")
            destination = _parsed[address] = (host, int(port))
        self.opened = _promise(loop, promises)
        self.closed = _promise(loop, promises)
        self._info_kind = info
        self._state = 0
        self._protocol = _Protocol(self)
        self._opening = loop.create_connection(self._factory, destination[0], destination[1])
        self._step(None)

    def _factory(self):
        return self._protocol

    def _step(self, done):
        try:
            waiting = self._opening.send(None)
        except StopIteration:
            self._connected()
            return
        except OSError as exc:
            self._state = 3
            self.opened.set_exception(exc)
            self.opened.exception()
            self.closed.set_result(None)
            return
        waiting._asyncio_future_blocking = False
        waiting.add_done_callback(self._step)

    cdef _connected(self):
        transport = self._protocol.transport
        if self._state != 0:
            transport.abort()
            return
        self._state = 1
        self.opened.set_result(
            None if self._info_kind == NO_INFO else _info(transport, self._info_kind)
        )

    def close(self):
        if self._state == 1:
            self._state = 2
            self._protocol.transport.close()
        elif self._state == 0:
            self._state = 2
        return self.closed

    cdef lost(self):
        self._state = 4
        if not self.closed.done():
            self.closed.set_result(None)


async def cycles(str address, int count, int promises, int info):
    """Open and close ``count`` prototype sockets in turn."""
    cdef int i
    for i in range(count):
        sock = _Socket(address, promises, info)
        await sock.opened
        await sock.close()


# -- measuring ------------------------------------------------------------------------------

VARIANTS = {
    "bare": (PLAIN, NO_INFO),
    "shared": (SHARED, NO_INFO),
    "info": (PLAIN, INFO),
    "shape": (SHARED, INFO),
    "compiled-shape": (SHARED_COMPILED, INFO_BY_SLOTS),
}


def run_cycles(str kind, int port, str variant, int count):
    """Run ``count`` cycles of ``variant`` on a new loop (for counting under valgrind)."""
    promises, info = VARIANTS[variant]
    loop = new_loop(kind)
    try:
        loop.run_until_complete(cycles(f"{HOST}:{port}", count, promises, info))
    finally:
        loop.close()


def main(str kind="uvloop", int repeat=15, int count=2000):
    """Time raw, the floor and every variant, interleaved; print medians and paired ratios."""
    with running_servers() as ports:
        port = ports.accept_close
        address = f"{HOST}:{port}"
        jobs = {"raw": lambda: raw_connect(port, count), "floor": lambda: floor_connect(port, count)}
        for name, (promises, info) in VARIANTS.items():
            jobs[name] = lambda p=promises, i=info: cycles(address, count, p, i)
        loop = new_loop(kind)
        micros = {name: [] for name in jobs}
        for _ in range(repeat):
            for name, job in jobs.items():
                start = time.perf_counter()
                loop.run_until_complete(job())
                micros[name].append((time.perf_counter() - start) / count * 1e6)
        loop.close()
        for name, values in micros.items():
            ratio = statistics.median(r / v for r, v in zip(micros["raw"], values))
            print(f"{kind} {name:<15} {statistics.median(values):7.2f} us/cycle  {ratio:.2f}x raw")
