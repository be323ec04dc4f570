#!/usr/bin/env bash
# Latency of `images` over the socket while the service imports: p50/p95 on an idle `estiba serve --socket`, then
# while 150 MiB imports run in the same service, and the busy/idle p95 ratio (the aim: at most 5).
#
#   swift build -c release && bash Benchmarks/store-busy-bench.sh [CALLS] [MIB]
#   ESTIBA=/other/checkout/.build/release/estiba bash Benchmarks/store-busy-bench.sh    # another build, same script
#
# CALLS (default 200) `images` calls are timed idle, one at a time. Then a second connection imports a MIB MiB tar
# archive (default 150: files of 1 MiB of random bytes) again and again, and `images` calls are timed, one at a
# time, counting those that start while an import is in flight, until CALLS were counted or BUSY_SECONDS (default
# 120) passed. Needs: python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ESTIBA=${ESTIBA:-$PWD/.build/release/estiba}
calls=${1:-200}
mib=${2:-150}
[ -x "$ESTIBA" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /var/tmp/estiba-busy-bench.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"' EXIT

mkdir -p "$work/big" "$work/small/etc"
for i in $(seq 1 "$mib"); do head -c 1048576 /dev/urandom > "$work/big/f$i"; done
tar -cf "$work/big.tar" -C "$work/big" .
rm -rf "$work/big"
echo "NAME=small" > "$work/small/etc/os-release"

ESTIBA_ROOT=$work/root "$ESTIBA" serve --socket "$work/s.sock" 2>"$work/serve.log" &
server=$!
for _ in $(seq 1 500); do [ -S "$work/s.sock" ] && break; sleep 0.01; done
[ -S "$work/s.sock" ] || { echo "estiba serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

echo "$ESTIBA, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg); import of a $mib MiB tar archive"
python3 - "$work/s.sock" "$work/big.tar" "$work/small" "$calls" "${BUSY_SECONDS:-120}" <<'PY'
import json, socket, sys, threading, time

path, archive, small, calls, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])

class Client:
    """One connection, newline-delimited JSON, one request at a time (notifications are skipped)."""
    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.lines = self.sock.makefile("rb")
        self.next_id = 0

    def call(self, method, params):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.sock.sendall(json.dumps(request).encode() + b"\n")
        while True:
            reply = json.loads(self.lines.readline())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    sys.exit(f"{method} failed: {reply['error']}")
                return reply["result"]

def percentile(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int((len(s) - 1) * p))]

def report(name, times, extra=""):
    print(f"images, {name}: {len(times)} calls{extra}, p50 {percentile(times, 0.5) * 1000:.3f} ms, "
          f"p95 {percentile(times, 0.95) * 1000:.3f} ms, max {max(times) * 1000:.3f} ms")

client = Client()
for i in range(20):
    client.call("import", {"source": small, "reference": f"small:{i}"})
for _ in range(20):
    client.call("images", {})
idle = []
for _ in range(calls):
    a = time.perf_counter()
    client.call("images", {})
    idle.append(time.perf_counter() - a)
report("idle", idle)

in_flight = threading.Event()
stop = threading.Event()
imports = []

def importer():
    other = Client()
    while not stop.is_set():
        in_flight.set()
        a = time.perf_counter()
        other.call("import", {"source": archive, "reference": "big:latest"})
        imports.append(time.perf_counter() - a)
        in_flight.clear()

thread = threading.Thread(target=importer)
thread.start()
busy = []
start = time.perf_counter()
while len(busy) < calls and time.perf_counter() - start < limit:
    if not in_flight.wait(0.1):
        continue
    a = time.perf_counter()
    client.call("images", {})
    busy.append(time.perf_counter() - a)
stop.set()
thread.join()
report("during imports", busy, f" ({len(imports)} imports, {sum(imports) / len(imports):.2f} s each)")
ratio = percentile(busy, 0.95) / percentile(idle, 0.95)
print(f"busy/idle p95: {ratio:.1f}x (aim: at most 5x)")
PY
