#!/usr/bin/env python3
"""Parse a Dockerfile with Estiba and print its diagnostics like a compiler would.

    parse_dockerfile.py Dockerfile                 # spawns `estiba serve --stdio` (estiba on PATH or $ESTIBA_BIN)
    parse_dockerfile.py --socket PATH Dockerfile   # uses a running `estiba serve`

Exit status: 0 when there is no error, 1 when the Dockerfile has errors, 2 when the service failed.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estiba_client import EstibaClient, EstibaError  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dockerfile")
    ap.add_argument("--socket", help="socket of a running `estiba serve` (default: spawn a stdio service)")
    ap.add_argument("--estiba", help="estiba binary to spawn")
    args = ap.parse_args()

    client = EstibaClient.connect(args.socket) if args.socket else EstibaClient.spawn(args.estiba)
    with client:
        try:
            result = client.call("parse", {"path": os.path.abspath(args.dockerfile)}, timeout=60)
        except EstibaError as e:
            print(f"estiba: {e.message}", file=sys.stderr)
            return 2
    errors = 0
    for d in result["diagnostics"]:
        start = d["range"]["start"]
        print(f"{args.dockerfile}:{start['line'] + 1}:{start['character'] + 1}: {d['severity']}: {d['message']} [{d['code']}]")
        errors += d["severity"] == "error"
    stages = ", ".join(s["name"] or f"#{s['index']}" for s in result["stages"])
    print(f"{len(result['instructions'])} instructions, {len(result['stages'])} stages ({stages}), "
          f"{errors} errors, {len(result['diagnostics']) - errors} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
