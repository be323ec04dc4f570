#!/usr/bin/env bash
# Pull speed, side by side with the peers in one run (medians of N rounds, ratios printed).
#
#   swift build -c release && bash Benchmarks/pull-bench.sh [N]
#
# A loopback docker-registry (Debian's docker-registry, plain HTTP) holds an image of 150 MB in 3 gzip layers of
# random data. Each round pulls it into an empty store until it is ready to run: estiba (CLI, release build),
# podman with vfs (a vfs pull extracts every layer in full; overlay too when it works here), skopeo to an OCI
# directory (no unpacking), docker 20.10 (a private dockerd, vfs) and ctr (a private containerd) when they start.
# Then, through the service (`estiba serve --stdio`, JSON-RPC): a pull whose layers are all present (a new tag
# of the same image) and a pull of an image already there (up to date).
# Needs: docker-registry, skopeo, podman, python3; optional docker.io, containerd.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
ESTIBA=${ESTIBA:-$PWD/.build/release/estiba}
[ -x "$ESTIBA" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /var/tmp/estiba-pull-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for d in "$work"/pm*; do [ -d "$d" ] && umount -R "$d"/overlay 2>/dev/null || true; done
    podman --root "$work/pm" --runroot "$work/pmrun" --storage-driver vfs system reset --force >/dev/null 2>&1 || true
    podman --root "$work/pmo" --runroot "$work/pmorun" --storage-driver overlay system reset --force >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# N rounds of "$2" (a shell snippet), each after "$1" (untimed); prints the median in ms, or "-" if a round failed.
rounds() {
    local setup=$1 cmd=$2 t=() a b
    for _ in $(seq 1 "$N"); do
        eval "$setup" >/dev/null 2>&1 || true
        sync
        a=$(now)
        if ! eval "$cmd" >"$work/last.log" 2>&1; then echo "-"; return; fi
        b=$(now)
        t+=("$(ms "$a" "$b")")
    done
    median "${t[@]}"
}

# The registry.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
host=127.0.0.1:$port

# The image: 3 layers of 50 MB of random data, gzip, as an OCI layout; then into the registry.
python3 - "$work/layout" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile, time
out = sys.argv[1]
os.makedirs(out + "/blobs/sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)
layers, diffs = [], []
for i in range(3):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for j in range(5):
            data = os.urandom(10 * 1024 * 1024)
            info = tarfile.TarInfo(f"layer{i}/file{j}"); info.size = len(data); info.mtime = int(time.time())
            t.addfile(info, io.BytesIO(data))
    raw = raw.getvalue()
    diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    d, n = put(gzip.compress(raw, compresslevel=1, mtime=0))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
config = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["sh"]},
    "rootfs": {"type": "layers", "diff_ids": diffs}, "history": [{"created_by": f"layer {i}"} for i in range(3)]}).encode()
cd, cn = put(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn}, "layers": layers}).encode()
md, mn = put(manifest)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
    "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
EOF
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:1" "docker://$host/bench:1"
for i in $(seq 2 $(( N + 1 ))); do skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$host/bench:1" "docker://$host/bench:$i"; done
size=$(du -sb "$work/registry/data" | cut -f1)
echo "image: $host/bench:1, 3 gzip layers, $(( size / 1000000 )) MB in the registry; $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg); $N rounds"

printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' > "$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf

es=$(rounds "rm -rf $work/es" "$ESTIBA --root $work/es pull -q $host/bench:1")
[ "$es" = - ] && { echo "estiba pull failed:"; cat "$work/last.log"; exit 1; }
echo "estiba pull (CLI, into an empty store, extracted):        ${es} ms"
pm=$(rounds "podman --root $work/pm --runroot $work/pmrun --storage-driver vfs system reset --force" \
    "podman --root $work/pm --runroot $work/pmrun --storage-driver vfs pull -q --tls-verify=false $host/bench:1")
echo "podman pull --storage-driver vfs (extracts in full):       ${pm} ms"
pmo=$(rounds "podman --root $work/pmo --runroot $work/pmorun --storage-driver overlay system reset --force" \
    "podman --root $work/pmo --runroot $work/pmorun --storage-driver overlay pull -q --tls-verify=false $host/bench:1")
echo "podman pull --storage-driver overlay:                      ${pmo} ms"
sk=$(rounds "rm -rf $work/sk" "skopeo copy -q --src-tls-verify=false docker://$host/bench:1 oci:$work/sk:1")
echo "skopeo copy to an OCI directory (no unpacking):            ${sk} ms"

# docker 20.10: a private dockerd (loopback registries are insecure to it by default).
dk=-
if command -v dockerd >/dev/null; then
    dsock=$work/docker.sock
    dockerd --data-root "$work/docker" --exec-root "$work/dockerx" --pidfile "$work/docker.pid" --host "unix://$dsock" \
        --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs >"$work/dockerd.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do docker -H "unix://$dsock" version >/dev/null 2>&1 && break; sleep 0.2; done
    if docker -H "unix://$dsock" version >/dev/null 2>&1; then
        dk=$(rounds "docker -H unix://$dsock rmi -f $host/bench:1" "docker -H unix://$dsock pull -q $host/bench:1")
    else
        echo "  (dockerd did not start: $(tail -1 "$work/dockerd.log"))"
    fi
fi
echo "docker pull (20.10, vfs):                                  ${dk} ms"

# ctr: a private containerd, a fresh root each round (its content store is shared across namespaces).
ct=-
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
    csock=$work/containerd.sock
    # (rounds run in a subshell: the daemon's pid is kept in a file.)
    start_containerd() {
        stop_containerd
        for m in $(grep "$work/ctd" /proc/mounts | cut -d' ' -f2 | sort -r); do umount "$m" 2>/dev/null || true; done
        rm -rf "$work/ctd" "$work/ctds"
        containerd --root "$work/ctd" --state "$work/ctds" --address "$csock" >"$work/containerd.log" 2>&1 &
        echo $! > "$work/containerd.pid"
        for _ in $(seq 1 100); do ctr -a "$csock" version >/dev/null 2>&1 && break; sleep 0.1; done
    }
    stop_containerd() {
        if [ -s "$work/containerd.pid" ]; then
            local c; c=$(cat "$work/containerd.pid")
            kill "$c" 2>/dev/null || true
            while kill -0 "$c" 2>/dev/null; do sleep 0.05; done
            rm -f "$work/containerd.pid"
        fi
    }
    ct=$(rounds "start_containerd" "ctr -a $csock images pull --plain-http $host/bench:1")
    stop_containerd
    [ "$ct" = - ] && echo "  (ctr pull failed: $(tail -2 "$work/last.log" | tr '\n' ' '))"
fi
echo "ctr images pull --plain-http (unpacked):                   ${ct} ms"

# Through the service: layers all present (a new tag each time), and up to date.
python3 - "$ESTIBA" "$work/svc" "$host" "$N" > "$work/service.txt" <<'EOF'
import json, subprocess, sys, time, statistics
estiba, root, host, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = subprocess.Popen([estiba, "--root", root, "serve", "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
next_id = 0
def call(method, params):
    global next_id
    next_id += 1
    p.stdin.write((json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params}) + "\n").encode()); p.stdin.flush()
    while True:
        m = json.loads(p.stdout.readline())
        if m.get("id") == next_id:
            if "error" in m: raise SystemExit(f"{method}: {m['error']}")
            return m["result"]
call("pull", {"reference": f"{host}/bench:1", "progress": False})
present, current = [], []
for i in range(n):
    t = time.perf_counter(); call("pull", {"reference": f"{host}/bench:{i + 2}", "progress": False}); present.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter(); r = call("pull", {"reference": f"{host}/bench:1", "progress": False}); current.append((time.perf_counter() - t) * 1000)
    assert r["Status"] == "up-to-date", r
p.stdin.close(); p.wait()
print(f"{statistics.median(present):.1f} {statistics.median(current):.1f}")
EOF
read -r present current < "$work/service.txt"
echo "service pull, layers all present (new tag):               ${present} ms   (target <= 30 ms)"
echo "service pull, image up to date:                            ${current} ms"

echo
echo "ratios (estiba / peer; below 1 is faster):"
[ "$pm" != - ] && echo "  vs podman vfs:  x$(ratio "$es" "$pm")   (target <= 0.7)"
[ "$pmo" != - ] && echo "  vs podman overlay: x$(ratio "$es" "$pmo")"
[ "$sk" != - ] && echo "  vs skopeo:      x$(ratio "$es" "$sk")   (target <= 1.0)"
[ "$dk" != - ] && echo "  vs docker:      x$(ratio "$es" "$dk")"
[ "$ct" != - ] && echo "  vs ctr:         x$(ratio "$es" "$ct")"
true
