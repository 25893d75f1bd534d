"""``python -m <package>.testing serve --kubeconfig PATH [--port N] [--tls]``

Starts the test API server, writes a kubeconfig for it, prints one line
``ready <url>`` once it accepts connections, and runs until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .server import ApiServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubeclient.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run a test API server")
    serve.add_argument("--port", type=int, default=0, help="default: any free port")
    serve.add_argument("--tls", action="store_true", help="HTTPS with a fresh CA")
    serve.add_argument(
        "--kubeconfig", required=True, help="where to write a kubeconfig"
    )
    serve.add_argument("--anonymous", action="store_true", help="no authentication")
    serve.add_argument(
        "--history", type=int, default=10_000, help="watch history kept (events)"
    )
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = ApiServer(
        tls=args.tls, port=args.port, anonymous=args.anonymous, history=args.history
    )
    try:
        server.write_kubeconfig(args.kubeconfig)
        print(f"ready {server.url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
