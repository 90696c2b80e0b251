"""A real PostgreSQL server with TLS on loopback, as a session-scoped pytest fixture.

``postgres_server`` yields a :class:`PostgresServer`: a throw-away cluster (Debian's
PostgreSQL, ``pg_config --bindir``) made by ``initdb`` in a temporary directory and run as
the unprivileged ``postgres`` user (initdb and postgres refuse to run as root). It listens
on a free port of 127.0.0.1 (and a unix socket in its directory) with ``ssl = on`` and the
test certificate for ``localhost``/127.0.0.1/::1 from :mod:`tests.peers.tls_certs`, trusts
every local user without a password (``trust`` for local, host and hostssl), and is stopped
(fast shutdown) and deleted when the session ends. Durability is off (``fsync``), since the
data is thrown away.

Clients log in as user ``postgres`` to database ``postgres``: :data:`PG_STARTUP` is the
StartupMessage that does, :func:`pg_message` frames any other frontend message.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.listeners import closed_port
from tests.peers.processes import stop_process
from tests.peers.tls_certs import TLSCerts

__all__ = [
    "PG_STARTUP",
    "PostgresServer",
    "pg_message",
    "postgres_bindir",
    "postgres_server",
    "start_postgres",
]

_STARTUP_TIMEOUT = 30.0
_USER = "postgres"


def pg_message(kind: bytes, payload: bytes) -> bytes:
    """A protocol message: its type byte, its Int32 length (itself included), ``payload``."""
    return kind + (len(payload) + 4).to_bytes(4, "big") + payload


_STARTUP_BODY = (196608).to_bytes(4, "big") + b"user\0postgres\0database\0postgres\0\0"
#: The StartupMessage (protocol 3.0, no type byte) that logs in as ``postgres`` to ``postgres``.
PG_STARTUP = (len(_STARTUP_BODY) + 4).to_bytes(4, "big") + _STARTUP_BODY


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL: where it listens, who to log in as, its process."""

    host: str
    port: int
    user: str
    database: str
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        """``"host:port"`` to pass to ``connect()``."""
        return f"{self.host}:{self.port}"


def postgres_bindir() -> Path:
    """Where the server binaries are: ``pg_config --bindir``, else Debian's version 15.

    Raises:
        RuntimeError: PostgreSQL is not installed.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, check=False)
        candidates.append(Path(out.stdout.decode().strip()))
    candidates.append(Path("/usr/lib/postgresql/15/bin"))
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "postgres").exists():
            return bindir
    raise RuntimeError("PostgreSQL is missing: run scripts/install (apt-get install postgresql)")


def _as_postgres(
    args: list[str], *, cwd: Path, stdout: int | None = None
) -> subprocess.Popen[bytes]:
    """Start ``args`` as the ``postgres`` user, with only its own group."""
    return subprocess.Popen(
        args,
        cwd=cwd,
        user=_USER,
        group=_USER,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C", "HOME": str(cwd)},
    )


def start_postgres(certs: TLSCerts, host: str = "127.0.0.1") -> PostgresServer:
    """Create a cluster in a new temporary directory and start it; wait until it is ready.

    Raises:
        RuntimeError: PostgreSQL or the ``postgres`` user is missing, or the server did
            not come up (its log attached).
    """
    bindir = postgres_bindir()
    try:
        account = pwd.getpwnam(_USER)
    except KeyError:
        raise RuntimeError(
            "the 'postgres' user is missing: apt-get install postgresql creates it"
        ) from None
    # Not under pytest's temporary directory: that one is private to root.
    directory = Path(tempfile.mkdtemp(prefix="wintersockets-postgres-"))
    try:
        os.chown(directory, account.pw_uid, account.pw_gid)
        data = directory / "data"
        log = directory / "postgres.log"
        with log.open("wb") as out:
            os.chown(log, account.pw_uid, account.pw_gid)
            initdb = _as_postgres(
                [str(bindir / "initdb"), "-D", str(data), "-U", _USER, "--auth=trust",
                 "--no-sync", "--no-instructions", "-E", "UTF8"],
                cwd=directory,
                stdout=out.fileno(),
            )  # fmt: skip
            if initdb.wait(timeout=_STARTUP_TIMEOUT) != 0:
                raise RuntimeError(f"initdb failed: {log.read_text()!r}")
        # The server refuses a key that others can read; copies it owns, mode 0600.
        for name, source in (("server.crt", certs.server.cert), ("server.key", certs.server.key)):
            target = data / name
            shutil.copyfile(source, target)
            os.chown(target, account.pw_uid, account.pw_gid)
            target.chmod(0o600)
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
            )
        for _attempt in range(3):  # another process may grab the free port first
            port = closed_port(host)
            with log.open("ab") as out:
                process = _as_postgres(
                    [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                     "-c", f"listen_addresses={host}", "-k", str(directory)],
                    cwd=directory,
                    stdout=out.fileno(),
                )  # fmt: skip
            if _wait_ready(bindir, host, port, process):
                return PostgresServer(host, port, _USER, "postgres", directory, process)
            stop_process(process, signal.SIGINT, timeout=10)
        raise RuntimeError(f"postgres did not start: {log.read_text()[-4000:]!r}")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def _wait_ready(bindir: Path, host: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        check = subprocess.run(
            [str(bindir / "pg_isready"), "-q", "-h", host, "-p", str(port), "-U", _USER,
             "-d", "postgres", "-t", "1"],
            check=False,
        )  # fmt: skip
        if check.returncode == 0:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="session")
def postgres_server(tls_certs: TLSCerts) -> Iterator[PostgresServer]:
    """PostgreSQL with ``ssl = on`` on loopback; see :class:`PostgresServer`."""
    server = start_postgres(tls_certs)
    try:
        yield server
    finally:
        stop_process(server.process, signal.SIGINT, timeout=10)
        shutil.rmtree(server.directory, ignore_errors=True)
