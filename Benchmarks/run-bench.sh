#!/usr/bin/env bash
# Container start, side by side in one run: `run --rm busybox true` through estiba's service vs `runc run` and
# `crun run` of an equivalent bundle (busybox rootfs, pid/ipc/uts/mount/network namespaces, /proc, /dev, /sys).
#
#   swift build -c release && bash Benchmarks/run-bench.sh [ROUNDS]
#
# crun 1.8 refuses this host's hybrid cgroup layout, so it runs in a private mount namespace without the unified
# hierarchy (see ../shared/reference/PEERS.md). Needs: runc, crun, busybox-static, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-50}
bench=${BENCH:-$PWD/.build/release/estiba-rpc-bench}
[ -x "$bench" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /tmp/estiba-run-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/"
ln -s busybox "$work/bundle/rootfs/bin/true"
ln -s busybox "$work/bundle/rootfs/bin/sh"
(cd "$work/bundle" && runc spec)
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
c["root"]["readonly"] = False
json.dump(c, open(p, "w"))
PY

median_ms() {  # runs "$1" (a command using $i) $rounds times, prints the median in ms
    local t=() a b
    for i in $(seq 1 "$rounds"); do
        a=$(date +%s%N); eval "$1" >/dev/null 2>&1; b=$(date +%s%N)
        t+=($(( (b - a) / 1000 )))
    done
    printf '%s\n' "${t[@]}" | sort -n | awk -v n="${#t[@]}" 'NR == int((n + 1) / 2) { printf "%.2f", $1 / 1000 }'
}

echo "$(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), $rounds rounds each"
runc_ms=$(median_ms "runc run -b $work/bundle runc-bench-\$i")
crun_ms=$(median_ms "unshare -m sh -c 'mount --make-rprivate /; umount /sys/fs/cgroup/unified 2>/dev/null; crun --cgroup-manager=disabled run -b $work/bundle crun-bench-\$i'")
echo "runc run: median ${runc_ms} ms"
echo "crun run (in a private mount namespace): median ${crun_ms} ms"
"$bench" --run-only --latency-rounds "$rounds" | tee "$work/estiba.txt"
est=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' "$work/estiba.txt")
awk -v e="$est" -v r="$runc_ms" -v c="$crun_ms" 'BEGIN { printf "estiba/crun = %.2f, estiba/runc = %.2f (below 1 = estiba faster)\n", e / c, e / r }'
