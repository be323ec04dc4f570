#!/usr/bin/env bash
# Networking, side by side in one run: `run --rm busybox true` on the default bridge vs `--network none` (the cost
# of a network namespace on the bridge: veth, address, routes), beside `podman --storage-driver vfs run --rm` with
# its default network and `--network none`; then throughput host -> container through a published port (busybox nc
# receiving MB megabytes), estiba vs podman. Prints medians and ratios.
#
#   swift build -c release && bash Benchmarks/net-bench.sh [ROUNDS] [MB]
#
# Needs root, containernetworking-plugins, iptables, podman (run with runc: crun refuses this host's hybrid cgroup
# layout), busybox-static (see ../shared/reference/PEERS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
mb=${2:-1024}
estiba_bin=${ESTIBA:-$PWD/.build/release/estiba}
[ -x "$estiba_bin" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /tmp/estiba-net-bench.XXXXXX)
E="$estiba_bin --root $work/estiba"
P="podman --root $work/podman --runroot $work/podman-run --storage-driver vfs"
cleanup() {
    $E rm -f nb-sink >/dev/null 2>&1 || true
    $P rm -f nb-sink >/dev/null 2>&1 || true
    $P system reset -f >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$work/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\n' > "$work/rootfs/etc/group"
$E import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$work/rootfs" busybox:latest >/dev/null
tar -C "$work/rootfs" -cf "$work/busybox.tar" .
$P import -q -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$work/busybox.tar" localhost/busybox:latest >/dev/null
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' > "$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"

median_ms() {  # runs "$1" $rounds times (after one warm-up), prints the median in ms
    local t=() a b
    eval "$1" >/dev/null 2>&1 || { echo "failed: $1" >&2; exit 1; }
    for i in $(seq 1 "$rounds"); do
        a=$(date +%s%N); eval "$1" >/dev/null 2>&1; b=$(date +%s%N)
        t+=($(( (b - a) / 1000 )))
    done
    printf '%s\n' "${t[@]}" | sort -n | awk -v n="${#t[@]}" 'NR == int((n + 1) / 2) { printf "%.1f", $1 / 1000 }'
}

echo "$(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), $rounds rounds each; podman's network backend: $($P info --format '{{.Host.NetworkBackend}}' 2>/dev/null || echo '?')"
e_bridge=$(median_ms "$E run --rm busybox true")
e_none=$(median_ms "$E run --rm --network none busybox true")
p_bridge=$(median_ms "$P run --rm busybox true")
p_none=$(median_ms "$P run --rm --network none busybox true")
echo "estiba run --rm: bridge ${e_bridge} ms, none ${e_none} ms"
echo "podman run --rm: bridge ${p_bridge} ms, none ${p_none} ms"
awk -v eb="$e_bridge" -v en="$e_none" -v pb="$p_bridge" -v pn="$p_none" 'BEGIN {
    printf "estiba bridge/none = %.2f (target <= 1.5); podman bridge/none = %.2f\n", eb / en, pb / pn
    printf "estiba/podman on the bridge = %.2f, with none = %.2f (below 1 = estiba faster)\n", eb / pb, en / pn }'

# Throughput: the host sends MB megabytes to busybox nc listening in the container, through a published port on
# 127.0.0.1 (portmap's DNAT for estiba; podman's CNI portmap or rootlessport, whichever it uses).
throughput() {  # $1: the tool's command; prints MB/s
    local tool=$1 port a b
    $tool run -d --name nb-sink -p 127.0.0.1::9000 busybox sh -c 'while :; do nc -l -p 9000 > /dev/null; done' >/dev/null
    port=$($tool port nb-sink 9000 | head -1 | sed 's/.*://')
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
    sleep 0.2
    a=$(date +%s%N)
    head -c $((mb * 1048576)) /dev/zero > /dev/tcp/127.0.0.1/$port
    b=$(date +%s%N)
    $tool rm -f nb-sink >/dev/null
    awk -v mb="$mb" -v ns=$((b - a)) 'BEGIN { printf "%.0f", mb / (ns / 1e9) }'
}
e_tp=$(throughput "$E")
p_tp=$(throughput "$P")
echo "host -> container through a published port, ${mb} MB: estiba ${e_tp} MB/s, podman ${p_tp} MB/s"
awk -v e="$e_tp" -v p="$p_tp" 'BEGIN { printf "estiba/podman throughput = %.2f (above 1 = estiba faster)\n", e / p }'
