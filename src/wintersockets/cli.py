"""The ``wintersockets`` command line: ``connect`` (netcat over the Sockets API) and ``serve``.

Everything it does goes through the public API, so it doubles as an example::

    echo hello | wintersockets connect            # round trip through an embedded echo server
    wintersockets serve 127.0.0.1:7000            # an echo server, until Ctrl-C
    wintersockets connect 127.0.0.1:7000 --half-open
    wintersockets connect example.com:443 --tls --alpn h2,http/1.1
    wintersockets connect mail.example.com:587 --starttls smtp --ca ca.pem
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from wintersockets._cli_connect import run_connect
from wintersockets._cli_echo import parse_listen_address, serve_forever
from wintersockets.connector.tls import TLSSettings
from wintersockets.starttls_dialogues import PROTOCOLS

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


def _alpn_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected protocol names separated by commas: {text!r}")
    return names


def _add_connect_arguments(parser: argparse.ArgumentParser) -> None:
    """``connect``'s arguments; each option maps to a ``connect()`` option in
    :func:`connect_options`, or to the ``Connector`` (``--ca``)."""
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
    tls = parser.add_argument_group(
        "TLS",
        "The server's certificate is verified against the system's trust store (or --ca). "
        "On connect, its subject, issuer and expiry, the TLS version, cipher and ALPN "
        "protocol go to standard error.",
    )
    mode = tls.add_mutually_exclusive_group()
    mode.add_argument(
        "--tls", action="store_true", help='secure_transport="on": TLS from the start'
    )
    mode.add_argument(
        "--starttls",
        choices=PROTOCOLS,
        metavar="PROTOCOL",
        help='secure_transport="starttls": speak PROTOCOL until the server agrees to TLS '
        f"({', '.join(PROTOCOLS)}), upgrade with start_tls(), then relay over TLS",
    )
    tls.add_argument("--sni", metavar="NAME", help="the server name to send and verify")
    tls.add_argument(
        "--alpn",
        type=_alpn_list,
        metavar="PROTOCOLS",
        help="ALPN protocols to offer, most preferred first, e.g. h2,http/1.1",
    )
    tls.add_argument(
        "--ca", metavar="FILE", help="trust the CAs in this PEM file instead of the system's"
    )


def connect_options(args: argparse.Namespace) -> dict[str, object]:
    """The keyword options for ``connect()`` that the parsed ``connect`` arguments ask for."""
    options: dict[str, object] = {"allow_half_open": args.half_open}
    if args.tls:
        options["secure_transport"] = "on"
    elif args.starttls:
        options["secure_transport"] = "starttls"
    if args.sni is not None:
        options["sni"] = args.sni
    if args.alpn:
        options["alpn"] = args.alpn
    return options


def _check_connect_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command != "connect":
        return
    secure = args.tls or args.starttls
    if not secure and (args.sni is not None or args.alpn or args.ca is not None):
        parser.error("--sni, --alpn and --ca need --tls or --starttls")
    if secure and args.address is None:
        parser.error("--tls and --starttls need an ADDRESS (the embedded server is plain TCP)")


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
        tls=None if args.ca is None else TLSSettings(ca_file=args.ca),
        starttls=args.starttls,
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
        _check_connect_arguments(parser, args)
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
