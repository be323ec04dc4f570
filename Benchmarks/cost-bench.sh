#!/usr/bin/env bash
# Cost of hostile build inputs through `estiba build`, each on a fresh store with a busybox base:
#   - .dockerignore: `**/` x 1000 then `x` (one pattern), a thousand such lines, and 50,000 ordinary patterns,
#     against a context of 300 files in 60 directories (every build walks the context twice: hash and copy);
#   - ENV: 20,000 and 200,000 ENV lines as a dry run (parse, plan, expand, cache keys), and ENV_REAL (default
#     1,000) ENV lines built for real (every step is an image holding the whole history so far).
# Prints wall time and peak memory per case (the median of ROUNDS for wall time; memory of the last round).
#
#   swift build -c release && bash Benchmarks/cost-bench.sh [ROUNDS]
#
# Needs root and busybox-static. ESTIBA=path picks another binary (for a before/after comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
env_real=${ENV_REAL:-1000}
estiba_bin=${ESTIBA:-$PWD/.build/release/estiba}
[ -x "$estiba_bin" ] || { echo "build first: swift build -c release" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
work=$(mktemp -d /tmp/estiba-cost-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$work/rootfs/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$work/rootfs/etc/passwd"

# Contexts: 10 x 6 directories, 5 files each, and a .dockerignore.
context() {
    local dir=$work/$1
    for d in $(seq 0 9); do for s in $(seq 0 5); do
        mkdir -p "$dir/d$d/sub$s/deep"
        for f in $(seq 0 4); do echo "$d$s$f" > "$dir/d$d/sub$s/deep/file$f.txt"; done
    done; done
    printf 'FROM busybox\nCOPY . /ctx\n' > "$dir/Dockerfile"
}
stars=$(printf '**/%.0s' $(seq 1 1000))
context ignore-one; echo "${stars}x" > "$work/ignore-one/.dockerignore"
context ignore-lines; for i in $(seq 0 999); do echo "${stars}x$i"; done > "$work/ignore-lines/.dockerignore"
context ignore-50k
awk 'BEGIN { for (i = 0; i < 50000; i++) { k = i % 4
    if (k == 0) printf "d%d/sub%d/gen%d*.o\n", i % 10, i % 7, i
    else if (k == 1) printf "**/cache%d\n", i
    else if (k == 2) printf "*.ext%d\n", i
    else printf "!d%d/keep%d\n", i % 10, i } }' > "$work/ignore-50k/.dockerignore"
envfile() { mkdir -p "$work/$1"; awk -v n="$2" 'BEGIN { print "FROM busybox"; for (i = 0; i < n; i++) printf "ENV K%d=v%d\n", i, i }' > "$work/$1/Dockerfile"; }
envfile env-20k 20000
envfile env-200k 200000
envfile env-real "$env_real"

# case NAME ARGS...: fresh store per round; prints the median wall seconds and the peak RSS.
bench_case() {
    local name=$1; shift
    local times=() rss=0
    for _ in $(seq 1 "$rounds"); do
        local root=$work/store
        rm -rf "$root"
        "$estiba_bin" --root "$root" import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' "$work/rootfs" busybox:latest >/dev/null
        /usr/bin/time -f '%e %M' -o "$work/time" "$estiba_bin" --root "$root" "$@" >/dev/null 2>"$work/err" || {
            echo "$name failed:" >&2; cat "$work/err" >&2; exit 1; }
        read -r secs rss < "$work/time"
        times+=("$secs")
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    printf '%-40s %8.2f s   %8d KB max RSS\n' "$name" "$median" "$rss"
}

echo "$(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg), $rounds round(s) each, $estiba_bin"
bench_case "dockerignore **/ x1000 (one pattern)" build -q -t bench:1 "$work/ignore-one"
bench_case "dockerignore **/ x1000 (1000 lines)" build -q -t bench:1 "$work/ignore-lines"
bench_case "dockerignore 50,000 patterns" build -q -t bench:1 "$work/ignore-50k"
bench_case "ENV x20,000 --dry-run" build --dry-run -q "$work/env-20k"
bench_case "ENV x200,000 --dry-run" build --dry-run -q "$work/env-200k"
bench_case "ENV x$env_real built" build -q -t bench:1 "$work/env-real"
