#!/usr/bin/env python3
"""Build an image with Estiba and print the steps as they go, like `docker build`, with why each step ran.

    build_image.py -t prod-env:0.1 examples/prod-env          # spawns `estiba serve --stdio`
    build_image.py --socket PATH --dry-run examples/prod-env  # uses a running `estiba serve`; predicts only

Exit status: 0 when the build succeeded, 1 when it failed, 2 when the service failed.
"""

import argparse
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estiba_client import EstibaClient, EstibaError  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("context")
    ap.add_argument("-t", "--tag", action="append", default=[])
    ap.add_argument("-f", "--file", help="the Dockerfile (default CONTEXT/Dockerfile)")
    ap.add_argument("--build-arg", action="append", default=[], help="KEY=VALUE")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--socket", help="socket of a running `estiba serve` (default: spawn a stdio service)")
    ap.add_argument("--estiba", help="estiba binary to spawn")
    ap.add_argument("--root", help="store root for a spawned service")
    args = ap.parse_args()

    params = {"context": os.path.abspath(args.context), "tags": args.tag, "dryRun": args.dry_run,
              "noCache": args.no_cache, "buildArgs": dict(a.split("=", 1) for a in args.build_arg)}
    if args.file:
        params["dockerfile"] = os.path.abspath(args.file)

    def progress(event):
        kind = event["event"]
        if kind == "step":
            print(f"Step {event['step']}/{event['total']} : {event['instruction']}")
        elif kind == "rebuilding":
            print(f" ---> {'Would run' if args.dry_run else 'Not cached'}: {event['reason']}")
        elif kind == "output":
            sys.stdout.write(base64.b64decode(event["data"]).decode(errors="replace"))
        elif kind == "finished":
            if event["cached"]:
                print(" ---> Using cache")
            if event["imageId"]:
                print(f" ---> {event['imageId'][7:19]}")
        elif kind == "warning":
            print(event["message"], file=sys.stderr)
        sys.stdout.flush()

    extra = ("--root", args.root) if args.root else ()
    client = EstibaClient.connect(args.socket) if args.socket else EstibaClient.spawn(args.estiba, extra_args=extra)
    with client:
        try:
            result = client.call("build", params, on_progress=progress, timeout=3600)
        except EstibaError as e:
            print(f"estiba: {e.message}", file=sys.stderr)
            return 1 if e.code == -32008 or e.code == -32005 or e.code == -32001 else 2
    if result["dryRun"]:
        reused = sum(1 for s in result["steps"] if s["cached"])
        print(f"Dry run: {reused} step(s) would use the cache, {sum(1 for s in result['steps'] if s['cached'] is False)} would run.")
    else:
        print(f"Successfully built {result['Id'][7:19]}")
        for t in result["RepoTags"]:
            print(f"Successfully tagged {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
