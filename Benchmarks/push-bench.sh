#!/usr/bin/env bash
# push of a 150 MB image (3 layers of random data) to a loopback docker-registry: estiba vs podman, side by side
# (medians of 3). First push: to an empty registry (a fresh one each time); second push: the same image again.
#
#   swift build -c release && bash Benchmarks/push-bench.sh
# Needs: podman, docker-registry, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
E="$PWD/.build/release/estiba"
work=$(mktemp -d /var/tmp/estiba-push-bench.XXXXXX)
P=(podman --root "$work/pm" --runroot "$work/pmrun" --storage-driver vfs)
registry_pid=""
stop_registry() { if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; registry_pid=""; fi; }
trap 'stop_registry; "${P[@]}" system reset --force >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
# No credentials are needed (and REGISTRY_* variables would configure docker-registry).
export DOCKER_CONFIG=$work/docker
mkdir -p "$DOCKER_CONFIG" && echo "{}" > "$DOCKER_CONFIG/config.json"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
R=127.0.0.1:$port
# A new registry with empty storage.
start_registry() {
    stop_registry
    rm -rf "$work/registry"
    mkdir -p "$work/registry"
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
        "$work/registry/data" "$R" > "$work/registry.yml"
    docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
    registry_pid=$!
    for _ in $(seq 100); do curl -fs --noproxy "*" "http://$R/v2/" >/dev/null && return; sleep 0.05; done
    echo "docker-registry did not start" >&2
    exit 1
}

# The image: FROM scratch and three COPY steps of 50 MB of random data each, given to podman by save/load.
mkdir -p "$work/ctx"
for f in a b c; do head -c 52428800 /dev/urandom > "$work/ctx/$f"; done
printf 'FROM scratch\nCOPY a /a\nCOPY b /b\nCOPY c /c\n' > "$work/ctx/Dockerfile"
"$E" --root "$work/e" build -q -t big "$work/ctx" >/dev/null
"$E" --root "$work/e" save -o "$work/big.tar" big
"${P[@]}" load -i "$work/big.tar" >/dev/null 2>&1
"${P[@]}" tag big:latest "$R/bench/podman:1"
"$E" --root "$work/e" tag big "$R/bench/estiba:1"

# Milliseconds of one run of a command; a failed run stops the benchmark with its output.
ms() {
    local a b
    a=$(date +%s%N)
    eval "$1" >"$work/out" 2>&1 || { echo "failed: $1" >&2; cat "$work/out" >&2; exit 1; }
    b=$(date +%s%N)
    echo $(( (b - a) / 1000000 ))
}
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
epush="$E --root $work/e push -q $R/bench/estiba:1"
ppush="${P[*]} push --tls-verify=false $R/bench/podman:1"

e1=(); p1=(); e2=(); p2=()
for i in 1 2 3; do
    start_registry
    e1+=($(ms "$epush"))
    p1+=($(ms "$ppush"))
    e2+=($(ms "$epush"))
    p2+=($(ms "$ppush"))
done
# Through the service (`estiba serve --stdio`, JSON-RPC): the second push again, ten times (libcurl loaded and the
# registry's scheme known, as in a long-running service).
service=$(python3 - "$E" "$work/e" "$R/bench/estiba:1" <<'PY'
import json, subprocess, sys, time, statistics
estiba, root, ref = sys.argv[1:4]
p = subprocess.Popen([estiba, "--root", root, "serve", "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def call(i):
    p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": "push", "params": {"reference": ref, "progress": False}}) + "\n").encode()); p.stdin.flush()
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == i:
            if "error" in m: raise SystemExit(f"push: {m['error']}")
            return
call(0)
times = []
for i in range(1, 11):
    t = time.perf_counter(); call(i); times.append((time.perf_counter() - t) * 1000)
p.stdin.close(); p.wait()
print(f"{statistics.median(times):.1f}")
PY
)
stop_registry
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
em1=$(median "${e1[@]}"); pm1=$(median "${p1[@]}"); em2=$(median "${e2[@]}"); pm2=$(median "${p2[@]}")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "first push, 150 MB in 3 layers to an empty registry: estiba ${em1} ms, podman ${pm1} ms (estiba/podman = $(ratio "$em1" "$pm1")) [estiba ${e1[*]}; podman ${p1[*]}]"
echo "second push, nothing new: estiba ${em2} ms, podman ${pm2} ms (estiba/podman = $(ratio "$em2" "$pm2")) [estiba ${e2[*]}; podman ${p2[*]}]"
echo "second push through the service (JSON-RPC push): median ${service} ms of 10 (target <= 50 ms)"
