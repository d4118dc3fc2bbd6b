"""``scripts/k8s-testenv build | start STATE_DIR | stop STATE_DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from k8s_testenv import build, cluster
from k8s_testenv.errors import TestenvError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="k8s-testenv",
        description="A real Kubernetes control plane on loopback, for tests.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("build", help="build every component into the cache (idempotent)")
    start = verbs.add_parser("start", help="start an environment whose files live in STATE_DIR")
    start.add_argument("state_dir", type=Path)
    stop = verbs.add_parser("stop", help="stop the environment started in STATE_DIR")
    stop.add_argument("state_dir", type=Path)
    stop.add_argument("--remove", action="store_true", help="also delete STATE_DIR")
    args = parser.parse_args(argv)
    try:
        if args.verb == "build":
            build.build()
        elif args.verb == "start":
            started = cluster.start(args.state_dir.resolve())
            print(f"API server: {started.url}")
            print(f"kubeconfig: {started.kubeconfig}")
        else:
            cluster.stop(args.state_dir.resolve(), remove=args.remove)
    except TestenvError as exc:
        print(f"k8s-testenv: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
