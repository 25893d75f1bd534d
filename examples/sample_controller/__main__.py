"""``python -m examples.sample_controller --kubeconfig PATH [options]`` (main.go)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from kubeclient import Context
from kubeclient.config import ConfigError, build_config_from_flags

from .replica import Options, Replica, identity_from_env


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m examples.sample_controller",
        description="The sample-controller: a Deployment of nginx for every Foo.",
    )
    parser.add_argument(
        "--kubeconfig",
        help="path to a kubeconfig (default: in-cluster, then the usual kubeconfig)",
    )
    parser.add_argument(
        "--master", help="the API server's address (overrides the kubeconfig's)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="workers per shard (default 2)"
    )
    parser.add_argument("--namespace", help="only this namespace's Foos (default: all)")
    parser.add_argument(
        "--shards",
        type=int,
        default=0,
        help="split the Foos into N shards by namespace",
    )
    parser.add_argument(
        "--shard-leases",
        action="store_true",
        help="share the shards with the other replicas through one Lease per shard",
    )
    parser.add_argument(
        "--leader-elect",
        action="store_true",
        help="only the replica holding the Lease works",
    )
    parser.add_argument(
        "--identity",
        default="",
        help="this replica's name in the Leases (default: $POD_NAME or hostname_random)",
    )
    parser.add_argument(
        "--lease-namespace",
        default="default",
        help="namespace of the Leases (default: default)",
    )
    parser.add_argument(
        "--lease-name",
        default="sample-controller",
        help="the Lease (prefix of the shard Leases)",
    )
    parser.add_argument("--lease-duration", type=float, default=15.0, metavar="SECONDS")
    parser.add_argument("--renew-deadline", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--retry-period", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--resync-period", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose > 1 else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        options = Options(
            workers=args.workers,
            shards=args.shards,
            shard_leases=args.shard_leases,
            leader_elect=args.leader_elect,
            identity=args.identity or identity_from_env(),
            lease_namespace=args.lease_namespace,
            lease_name=args.lease_name,
            lease_duration=args.lease_duration,
            renew_deadline=args.renew_deadline,
            retry_period=args.retry_period,
            resync_period=args.resync_period,
            namespace=args.namespace,
        )
        config = build_config_from_flags(args.master, args.kubeconfig)
    except (ValueError, ConfigError) as err:
        print(f"sample-controller: {err}", file=sys.stderr)
        return 2

    ctx = Context()

    def stop(signum: int, frame: FrameType | None) -> None:
        logging.info("signal %d: shutting down", signum)
        ctx.cancel()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    replica = Replica(config, options)
    logging.info("sample-controller %s starting", replica.identity)
    replica.run(ctx)
    if not ctx.done:  # leadership lost: exit, to start over clean (as client-go's)
        logging.error("leader election lost")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
