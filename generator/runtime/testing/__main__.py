"""``python -m <package>.testing serve --kubeconfig PATH [--port N] [--tls]``

Starts the test API server, writes a kubeconfig for it, prints one line
``ready <url>`` once it accepts connections, and runs until SIGINT or SIGTERM.

Without ``--tls`` the server speaks plain http and is unsecured, as
kube-apiserver's old insecure port: kubectl, client-go, the official Python
client and this package's client send no credentials to an http:// server, so
requests without credentials are served as ``system:unsecured`` (system:masters);
a bearer token that is sent is still checked. With ``--tls`` every request needs
the kubeconfig's token (or a client certificate) unless ``--anonymous``.
``--authorization rbac`` authorizes requests as kube-apiserver's RBAC does (the
kubeconfig's user is in system:masters; try ``kubectl auth can-i --as=...``).
``--simulate [--nodes N] [--time-scale X]`` adds a simulated cluster (nodes,
scheduler, kubelets, controllers: README "A simulated cluster").
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from .authz.authorization import authorization_mode
from .server import ApiServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubeclient.testing")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run a test API server",
        description="Run a test API server on 127.0.0.1 and write a kubeconfig "
        "for it. Plain http (the default) is unsecured, as kube-apiserver's old "
        "insecure port: clients send no credentials to http:// servers, so "
        "requests without any are served as system:unsecured (system:masters); "
        "a bearer token that is sent is still checked. With --tls, requests "
        "need the kubeconfig's token or a client certificate.",
    )
    serve.add_argument("--port", type=int, default=0, help="default: any free port")
    serve.add_argument(
        "--tls",
        action="store_true",
        help="HTTPS with a fresh CA; requests need credentials",
    )
    serve.add_argument(
        "--kubeconfig", required=True, help="where to write a kubeconfig"
    )
    serve.add_argument(
        "--anonymous",
        action="store_true",
        help="serve requests without credentials as system:anonymous",
    )
    serve.add_argument(
        "--history", type=int, default=10_000, help="watch history kept (events)"
    )
    serve.add_argument(
        "--authorization",
        default="AlwaysAllow",
        help="AlwaysAllow (default: every authenticated request is allowed) or "
        "rbac (kube-apiserver's RBAC authorizer, with the bootstrap roles)",
    )
    serve.add_argument(
        "--simulate",
        action="store_true",
        help="run a simulated cluster: nodes, scheduler, kubelets, controllers",
    )
    serve.add_argument(
        "--nodes", type=int, default=3, help="simulated nodes (default 3)"
    )
    serve.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1)",
    )
    args = parser.parse_args(argv)
    try:
        authorization_mode(args.authorization)
    except ValueError as error:
        parser.error(str(error))
    if args.time_scale <= 0 or args.nodes < 0:
        parser.error("--time-scale must be > 0 and --nodes >= 0")

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = ApiServer(
        tls=args.tls,
        port=args.port,
        anonymous=args.anonymous,
        history=args.history,
        authorization=args.authorization,
        simulate=args.simulate,
        nodes=args.nodes,
        time_scale=args.time_scale,
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
