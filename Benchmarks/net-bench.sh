#!/usr/bin/env bash
# Networking, side by side in one run: `run --rm busybox true` on the default bridge vs `--network none` (the cost
# of attaching a network namespace to the bridge: veth, address, routes, and releasing it), beside
# `podman --storage-driver vfs run --rm` and `docker run --rm` (a dockerd of its own on a scratch root, its default
# bridge) with their default network and `--network none`; then throughput host -> container through a published
# port (busybox nc receiving MB megabytes), estiba vs podman and docker. Prints medians and ratios.
#
#   swift build -c release && bash Benchmarks/net-bench.sh [ROUNDS] [MB]
#
# Needs root, containernetworking-plugins, iptables, podman (run with runc: crun refuses this host's hybrid cgroup
# layout), busybox-static (see ../shared/reference/PEERS.md); podman uses netavark when it is installed (apt-get
# install netavark aardvark-dns; its chains are removed afterwards when they were not there before), else its CNI
# backend, and says which; docker.io is used when installed and no docker0 bridge exists (its bridge and iptables
# chains are removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
mb=${2:-1024}
estiba_bin=${ESTIBA:-$PWD/.build/release/estiba}
[ -x "$estiba_bin" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /tmp/estiba-net-bench.XXXXXX)
E="$estiba_bin --root $work/estiba"
P="podman --root $work/podman --runroot $work/podman-run --storage-driver vfs"
netavark_chains_before=$(iptables-save 2>/dev/null | grep -c '^:NETAVARK' || true)
[ -x /usr/lib/podman/netavark ] && P="$P --network-backend netavark"
D="docker --host unix://$work/docker.sock"
docker_started=0
stop_docker() {
    [ "$docker_started" = 1 ] || return 0
    $D rm -f nb-sink >/dev/null 2>&1 || true
    kill "$(cat "$work/docker.pid")" 2>/dev/null || true
    for _ in $(seq 1 100); do [ -e "$work/docker.pid" ] && kill -0 "$(cat "$work/docker.pid")" 2>/dev/null || break; sleep 0.1; done
    ip link delete docker0 2>/dev/null || true
    # Its iptables rules and chains (dockerd leaves them behind).
    for t in nat filter; do
        iptables -t "$t" -S | grep -E 'docker0|DOCKER' | grep '^-A' | grep -vE '^-A DOCKER' | sed 's/^-A/-D/' | while read -r rule; do
            eval iptables -t "$t" "$rule" 2>/dev/null || true
        done
        for c in $(iptables -t "$t" -S | awk '$1 == "-N" && $2 ~ /^DOCKER/ { print $2 }'); do iptables -t "$t" -F "$c"; done
        for c in $(iptables -t "$t" -S | awk '$1 == "-N" && $2 ~ /^DOCKER/ { print $2 }'); do iptables -t "$t" -X "$c" 2>/dev/null || true; done
    done
    docker_started=0
}
cleanup() {
    $E rm -f nb-sink >/dev/null 2>&1 || true
    $P rm -f nb-sink >/dev/null 2>&1 || true
    $P system reset -f >/dev/null 2>&1 || true
    # netavark's chains (it leaves them behind), unless another user of netavark had them already.
    if [ "$netavark_chains_before" = 0 ]; then
        for t in nat filter; do
            iptables -t "$t" -S | grep '^-A' | grep -v '^-A NETAVARK' | grep -E 'NETAVARK' | sed 's/^-A/-D/' | while read -r rule; do
                eval iptables -t "$t" "$rule" 2>/dev/null || true
            done
            for c in $(iptables -t "$t" -S | awk '$1 == "-N" && $2 ~ /^NETAVARK/ { print $2 }'); do iptables -t "$t" -F "$c"; done
            for c in $(iptables -t "$t" -S | awk '$1 == "-N" && $2 ~ /^NETAVARK/ { print $2 }'); do iptables -t "$t" -X "$c" 2>/dev/null || true; done
        done
    fi
    stop_docker
    umount "$work"/docker/vfs/dir/* 2>/dev/null || true
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
if command -v dockerd >/dev/null && ! ip link show docker0 >/dev/null 2>&1; then
    docker_started=1
    dockerd --data-root "$work/docker" --exec-root "$work/docker-exec" --host "unix://$work/docker.sock" --pidfile "$work/docker.pid" \
        --storage-driver vfs --bip 172.29.250.1/24 --ip6tables=false --userland-proxy=false --default-ulimit nofile=20000:20000 \
        >"$work/dockerd.log" 2>&1 &
    for _ in $(seq 1 200); do $D info >/dev/null 2>&1 && break; sleep 0.1; done
    $D import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$work/busybox.tar" busybox:latest >/dev/null
fi

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
if [ "$docker_started" = 1 ]; then
    d_bridge=$(median_ms "$D run --rm busybox true")
    d_none=$(median_ms "$D run --rm --network none busybox true")
    echo "docker run --rm: bridge ${d_bridge} ms, none ${d_none} ms"
    awk -v eb="$e_bridge" -v en="$e_none" -v db="$d_bridge" -v dn="$d_none" 'BEGIN {
        printf "docker bridge/none = %.2f; estiba/docker on the bridge = %.2f, with none = %.2f (below 1 = estiba faster)\n", db / dn, eb / db, en / dn }'
fi

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
if [ "$docker_started" = 1 ]; then
    d_tp=$(throughput "$D")
    echo "docker: ${d_tp} MB/s"
    awk -v e="$e_tp" -v d="$d_tp" 'BEGIN { printf "estiba/docker throughput = %.2f (above 1 = estiba faster)\n", e / d }'
fi
