#!/usr/bin/env bash
# commit of a container holding a new 100 MB file: estiba vs podman, side by side (medians of 3), and the disk
# cost of 10 containers of one image (they share its layers: each adds only its writable layer).
#
#   swift build -c release && bash Benchmarks/commit-bench.sh
# Needs: podman, runc, busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
E="$PWD/.build/release/estiba"
work=$(mktemp -d /var/tmp/estiba-commit-bench.XXXXXX)
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' > "$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
P=(podman --root "$work/pm" --runroot "$work/pmrun" --storage-driver vfs --runtime runc)
trap '"${P[@]}" system reset --force >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/"
for a in sh head true; do ln -s busybox "$work/rootfs/bin/$a"; done
"$E" --root "$work/e" import -c 'CMD ["sh"]' "$work/rootfs" bb >/dev/null
"$E" --root "$work/e" save -o "$work/bb.tar" bb
"${P[@]}" load -i "$work/bb.tar" >/dev/null 2>&1
ms() { local a b; a=$(date +%s%N); eval "$1" >/dev/null 2>&1; b=$(date +%s%N); echo $(( (b - a) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

"$E" --root "$work/e" run --name big bb sh -c 'head -c 104857600 /dev/urandom > /big'
"${P[@]}" run --name big --network none bb sh -c 'head -c 104857600 /dev/urandom > /big' >/dev/null 2>&1
e=(); p=()
for i in 1 2 3; do
    e+=($(ms "$E --root $work/e commit big big:$i"))
    p+=($(ms "${P[*]} commit big big:$i"))
done
em=$(median "${e[@]}"); pm=$(median "${p[@]}")
echo "commit of a container with a new 100 MB file: estiba ${em} ms, podman ${pm} ms (estiba/podman = $(awk -v a="$em" -v b="$pm" 'BEGIN { printf "%.2f", a / b }'))"

before=$(du -sb "$work/e" | cut -f1)
for i in $(seq 1 10); do "$E" --root "$work/e" run --name c$i bb true; done
after=$(du -sb "$work/e" | cut -f1)
echo "10 containers of one image added $(( after - before )) bytes to the store (the image's layers are shared)"
