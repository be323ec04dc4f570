#!/usr/bin/env python3
"""Run a container with a terminal through Estiba's JSON-RPC service, like `docker run -it` (raw mode, window
size following yours, Ctrl-C going to the container, its exit code returned).

    run_shell.py busybox sh                      # spawns `estiba serve --stdio`
    run_shell.py --socket PATH prod-env:0.1      # uses a running `estiba serve`
"""

import argparse
import os
import select
import signal
import sys
import termios
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from estiba_client import EstibaClient, EstibaError  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("image")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    ap.add_argument("--socket", help="socket of a running `estiba serve` (default: spawn a stdio service)")
    ap.add_argument("--estiba", help="estiba binary to spawn")
    ap.add_argument("--root", help="store root for a spawned service")
    args = ap.parse_args()

    extra = ("--root", args.root) if args.root else ()
    client = EstibaClient.connect(args.socket) if args.socket else EstibaClient.spawn(args.estiba, extra_args=extra)
    out = sys.stdout.buffer
    is_tty = os.isatty(0)

    def on_output(_stream, data):
        out.write(data)
        out.flush()

    params = {"image": args.image, "command": args.command, "rm": True, "tty": is_tty}
    if is_tty:
        # The container's terminal has this size from its start; SIGWINCH follows later changes.
        size = os.get_terminal_size(0)
        if size.lines > 0 and size.columns > 0:
            params["consoleSize"] = {"rows": size.lines, "cols": size.columns}

    with client:
        try:
            session = client.run_interactive(params, on_output)
        except EstibaError as e:
            print(f"estiba: {e.message}", file=sys.stderr)
            return 125
        saved = termios.tcgetattr(0) if is_tty else None

        def resize(*_):
            size = os.get_terminal_size(0)
            if size.lines > 0 and size.columns > 0:
                session.resize(size.lines, size.columns)

        try:
            if is_tty:
                tty.setraw(0)
                resize()
                signal.signal(signal.SIGWINCH, resize)
            while not session.call._done.is_set():
                ready, _, _ = select.select([0], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(0, 4096)
                if not data:
                    session.eof()
                    break
                session.send(data)
            return session.wait()
        finally:
            if saved is not None:
                termios.tcsetattr(0, termios.TCSADRAIN, saved)


if __name__ == "__main__":
    sys.exit(main())
