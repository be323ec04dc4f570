#!/usr/bin/env bash
# Image store speed, side by side with skopeo and podman in one run (medians of 3 rounds, ratios printed).
#
#   swift build -c release && bash Benchmarks/store-bench.sh [ROOTFS_DIR]
#
# Without ROOTFS_DIR a synthetic 200 MiB tree is made (100 x 1 MiB + 1024 x 100 KiB files). The "limit" is what
# this machine needs to write the tree as one tar (GNU tar) plus to SHA-256 it (OpenSSL), measured here too.
# Needs: skopeo, podman, runc, openssl (apt-get install -y skopeo podman runc openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
ESTIBA=${ESTIBA:-$PWD/.build/release/estiba}
[ -x "$ESTIBA" ] || { echo "build first: swift build -c release" >&2; exit 2; }
work=$(mktemp -d /var/tmp/estiba-store-bench.XXXXXX)
trap 'podman --root "$work/pm" --runroot "$work/pmrun" --storage-driver vfs system reset --force >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
tree=${1:-}
if [ -z "$tree" ]; then
    tree=$work/tree
    mkdir -p "$tree/big" "$tree/small"
    for i in $(seq 1 100); do head -c 1048576 /dev/urandom > "$tree/big/f$i"; done
    for i in $(seq 1 1024); do head -c 102400 /dev/urandom > "$tree/small/f$i"; done
fi
size=$(du -sb "$tree" | cut -f1)
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n' > "$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf
podman=(podman --root "$work/pm" --runroot "$work/pmrun" --storage-driver vfs)

now() { date +%s%N; }
# median of three runs of "$@" (a shell snippet), after an optional per-round setup in $SETUP
median3() {
    local t=()
    for _ in 1 2 3; do
        [ -n "${SETUP:-}" ] && eval "$SETUP"
        sync
        local a b
        a=$(now); eval "$1" >/dev/null 2>&1; b=$(now)
        t+=($(( (b - a) / 1000000 )))
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 2p
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "tree: $tree ($(( size / 1048576 )) MiB), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
tar_ms=$(SETUP="rm -f $work/limit.tar" median3 "tar -cf $work/limit.tar -C '$tree' ." )
sha_ms=$(median3 "openssl dgst -sha256 $work/limit.tar")
limit=$(( tar_ms + sha_ms ))
echo "limit: tar write ${tar_ms} ms + sha256 ${sha_ms} ms = ${limit} ms"

imp=$(SETUP="rm -rf $work/e1" median3 "$ESTIBA --root $work/e1 import '$tree' bench:1")
echo "estiba import: ${imp} ms   (x$(ratio "$imp" "$limit") of the limit)"
rm -rf "$work/e1"; "$ESTIBA" --root "$work/e1" import "$tree" bench:1 >/dev/null

es_save=$(SETUP="rm -f $work/es.tar" median3 "$ESTIBA --root $work/e1 save -o $work/es.tar bench:1")
sk_save=$(SETUP="rm -f $work/sk.tar" median3 "skopeo copy oci:$work/e1/oci:bench:1 docker-archive:$work/sk.tar:bench:1")
echo "save to docker-archive: estiba ${es_save} ms, skopeo copy ${sk_save} ms   (estiba x$(ratio "$sk_save" "$es_save") faster)"

"$ESTIBA" --root "$work/e1" save -o "$work/es.tar" bench:1
es_load=$(SETUP="rm -rf $work/e2" median3 "$ESTIBA --root $work/e2 load -i $work/es.tar")
pm_load=$(SETUP="${podman[*]} system reset --force" median3 "${podman[*]} load -i $work/es.tar")
sk_load=$(SETUP="rm -rf $work/skoci" median3 "skopeo copy docker-archive:$work/es.tar oci:$work/skoci:bench")
echo "load of that archive: estiba ${es_load} ms, podman load ${pm_load} ms, skopeo copy to oci ${sk_load} ms   (estiba x$(ratio "$pm_load" "$es_load") faster than podman, x$(ratio "$sk_load" "$es_load") than skopeo)"
