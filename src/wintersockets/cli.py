"""The ``wintersockets`` command line: ``connect`` (netcat over the Sockets API) and ``serve``.

Everything it does goes through the public API, so it doubles as an example::

    echo hello | wintersockets connect            # round trip through an embedded echo server
    wintersockets serve 127.0.0.1:7000            # an echo server, until Ctrl-C
    wintersockets connect 127.0.0.1:7000 --half-open
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from wintersockets._cli_connect import run_connect
from wintersockets._cli_echo import parse_listen_address, serve_forever

__all__ = ["build_parser", "connect_options", "main"]

LOOPS = ("asyncio", "uvloop")


def _listen_address(text: str) -> tuple[str, int]:
    try:
        return parse_listen_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--loop",
        choices=LOOPS,
        default="asyncio",
        help="the event loop to run on (default: asyncio; uvloop needs wintersockets[uvloop])",
    )


def _add_connect_arguments(parser: argparse.ArgumentParser) -> None:
    """``connect``'s arguments; each option maps to a ``connect()`` option in
    :func:`connect_options`. TLS options (``--tls``, ``--sni``, ``--alpn``, ``--ca``,
    ``--starttls``) belong in their own argument group here."""
    parser.add_argument(
        "address",
        nargs="?",
        metavar="ADDRESS",
        help='where to connect: "host:port" or "[v6]:port"; '
        "without it, connect to an embedded echo server on a free 127.0.0.1 port",
    )
    parser.add_argument(
        "--half-open",
        action="store_true",
        help="allow_half_open=True: keep sending standard input after the peer's FIN",
    )


def connect_options(args: argparse.Namespace) -> dict[str, object]:
    """The keyword options for ``connect()`` that the parsed ``connect`` arguments ask for."""
    options: dict[str, object] = {"allow_half_open": args.half_open}
    return options


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``wintersockets`` command."""
    parser = argparse.ArgumentParser(
        prog="wintersockets",
        description="TCP sockets over the WinterTC Sockets API.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    connect = commands.add_parser(
        "connect",
        help="relay standard input and output over a TCP connection (like netcat)",
        description="Send standard input to ADDRESS and print what it sends back. At the "
        "end of the input, half-close the connection (FIN) and keep printing until the "
        "peer closes. The connection's SocketInfo and any error go to standard error. "
        "Exit status: 0 on a clean close, 1 on an error.",
    )
    _add_connect_arguments(connect)
    _add_common_arguments(connect)
    connect.set_defaults(run=_run_connect)

    serve = commands.add_parser(
        "serve",
        help="run a TCP echo server until SIGINT or SIGTERM",
        description="Echo every byte back; answer FIN with FIN. Print the bound address "
        "to standard error.",
    )
    serve.add_argument(
        "address",
        nargs="?",
        metavar="ADDRESS",
        type=_listen_address,
        default=("127.0.0.1", 0),
        help='where to listen: "host:port", "[v6]:port" or "port" '
        "(default: 127.0.0.1:0, a free port)",
    )
    _add_common_arguments(serve)
    serve.set_defaults(run=_run_serve)
    return parser


def _run_connect(args: argparse.Namespace) -> Coroutine[Any, Any, int]:
    return run_connect(
        args.address,
        connect_options(args),
        stdin_fd=sys.stdin.fileno(),
        stdout=sys.stdout.buffer,
        stderr=sys.stderr,
    )


def _run_serve(args: argparse.Namespace) -> Coroutine[Any, Any, int]:
    host, port = args.address
    return serve_forever(host, port)


def _loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    if name == "uvloop":
        import uvloop  # an optional dependency: imported only when asked for

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        factory = _loop_factory(args.loop)
    except ImportError:
        print(
            "wintersockets: --loop uvloop needs uvloop: pip install 'wintersockets[uvloop]'",
            file=sys.stderr,
        )
        return 2
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, int]] = args.run
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(run(args))
    except KeyboardInterrupt:
        return 130
