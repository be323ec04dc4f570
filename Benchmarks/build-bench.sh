#!/usr/bin/env bash
# Builds of the seed's example (examples/prod-env: 17 steps on busybox), side by side in one run:
# `estiba build` vs Docker 20.10's classic builder on overlay2 (a private dockerd), `buildah bud --layers` and
# `podman build --layers`. Figures: cold build (no cache), unchanged rebuild, config.txt changed with ADD last,
# and estiba's --dry-run. Prints medians and estiba/peer ratios.
#
#   swift build -c release && bash Benchmarks/build-bench.sh [ROUNDS]
#   ESTIBA_BASELINE=/other/checkout/.build/release/estiba bash Benchmarks/build-bench.sh   # also another estiba build
#
# Needs root, docker.io, buildah, podman, runc, busybox-static (see ../shared/reference/PEERS.md for the quirks).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
estiba_bin=${ESTIBA:-$PWD/.build/release/estiba}
[ -x "$estiba_bin" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /tmp/estiba-build-bench.XXXXXX)
dockerd_pid=
cleanup() {
    [ -n "$dockerd_pid" ] && kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# One busybox base for everyone.
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$work/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/busybox.tar" .

E="$estiba_bin --root $work/estiba"
$E import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/bin:/bin' "$work/rootfs" busybox:latest >/dev/null
baseline=${ESTIBA_BASELINE:-}
tools="estiba docker buildah podman"
if [ -n "$baseline" ]; then
    EB="$baseline --root $work/baseline"
    $EB import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/bin:/bin' "$work/rootfs" busybox:latest >/dev/null
    tools="estiba baseline docker buildah podman"
fi

dockerd --data-root "$work/docker" --exec-root "$work/docker-exec" --pidfile "$work/docker.pid" \
    --host "unix://$work/docker.sock" --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
    >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
D="/usr/bin/docker -H unix://$work/docker.sock"
for _ in $(seq 1 100); do $D version >/dev/null 2>&1 && break; sleep 0.2; done
$D import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/bin:/bin' "$work/busybox.tar" busybox:latest >/dev/null
export DOCKER_BUILDKIT=0

printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' > "$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
P="podman --root $work/podman --runroot $work/podman-run --storage-driver overlay --runtime runc --cgroup-manager cgroupfs"
B="buildah --root $work/podman --runroot $work/podman-run --storage-driver overlay"
$P import --change 'CMD ["sh"]' --change 'ENV PATH=/usr/local/bin:/bin' "$work/busybox.tar" busybox:latest >/dev/null

cp -r examples/prod-env "$work/third"
cp -r examples/prod-env "$work/last"
cp "$work/last/Dockerfile.add-last" "$work/last/Dockerfile"

ms() { local a b; a=$(date +%s%N); eval "$1" >/dev/null 2>&1 || { echo "failed: $1" >&2; exit 1; }; b=$(date +%s%N); echo $(( (b - a) / 1000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'; }

# cmd_<tool> CONTEXT EXTRA-FLAGS
estiba_build() { echo "$E build -q $2 -t bench:1 $1"; }
baseline_build() { echo "$EB build -q $2 -t bench:1 $1"; }
docker_build() { echo "$D build -q --network=none $2 -t bench:1 $1"; }
buildah_build() { echo "$B bud --layers --isolation chroot -q $2 -t bench:1 $1"; }
podman_build() { echo "$P build --layers --isolation chroot -q $2 -t bench:1 $1"; }

echo "$(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), $rounds rounds each, examples/prod-env (17 steps)"
declare -A cold cached addlast
# Each phase runs its rounds in alternation (round 1 of every tool, then round 2…), so a change of load on this
# shared machine reaches every tool alike; a `sync` before each build keeps one tool's writeback out of the next's
# time.
declare -A times
phase() { # phase NAME CONTEXT FLAGS [CHANGE]: fills times[tool] with one time per round
    for tool in $tools; do times[$tool]=""; done
    for i in $(seq 1 "$rounds"); do
        for tool in $tools; do
            [ -n "${4:-}" ] && echo "db_host=db$i-$tool" > "$2/config.txt"
            sync # no tool pays for writing back what the one before it wrote
            times[$tool]+="$(ms "$(${tool}_build "$2" "$3")") "
        done
    done
}
phase cold "$work/third" --no-cache
for tool in $tools; do cold[$tool]=$(printf '%s\n' ${times[$tool]} | median); done
for tool in $tools; do ms "$(${tool}_build "$work/third" "")" >/dev/null; done
phase cached "$work/third" ""
for tool in $tools; do cached[$tool]=$(printf '%s\n' ${times[$tool]} | median); done
for tool in $tools; do ms "$(${tool}_build "$work/last" "")" >/dev/null; done
phase addlast "$work/last" "" change
for tool in $tools; do addlast[$tool]=$(printf '%s\n' ${times[$tool]} | median); done
for tool in $tools; do
    printf '%-8s cold %9s ms   unchanged rebuild %8s ms   config.txt changed, ADD last %8s ms\n' "$tool" "${cold[$tool]}" "${cached[$tool]}" "${addlast[$tool]}"
done
echo "db_host=dry" > "$work/third/config.txt"
t=(); for _ in $(seq 1 "$rounds"); do t+=("$(ms "$E build --dry-run $work/third")"); done
dry=$(printf '%s\n' "${t[@]}" | median)
echo "estiba build --dry-run (config.txt changed, ADD third): ${dry} ms"
# The same through the JSON-RPC service (what editors and tools use: no process start per build).
cp examples/prod-env/Dockerfile.add-last "$work/third/Dockerfile.add-last"
"$(dirname "$estiba_bin")/estiba-rpc-bench" --estiba "$estiba_bin" --latency-rounds "$rounds" --build-only "$work/estiba" "$work/third"
for peer in ${tools#estiba }; do
    awk -v p="$peer" -v c1="${cold[estiba]}" -v c2="${cold[$peer]}" -v r1="${cached[estiba]}" -v r2="${cached[$peer]}" \
        -v a1="${addlast[estiba]}" -v a2="${addlast[$peer]}" \
        'BEGIN { printf "estiba/%s: cold %.3f, unchanged rebuild %.3f, ADD-last change %.3f\n", p, c1 / c2, r1 / r2, a1 / a2 }'
done
