#!/usr/bin/env bash
# Runs the same isolation checks in a container of Estiba, of Estiba with --runtime runc, and of Docker (a
# private dockerd on a scratch root, no network) and prints them side by side.
# Usage (as root, after swift build): bash Tests/probes/isolation-probe.sh [path/to/estiba]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
estiba=${1:-$here/../../.build/debug/estiba}
work=$(mktemp -d /tmp/estiba-probe.XXXXXX)
cleanup() {
    [ -n "${dockerd_pid:-}" ] && kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null
    [ -n "${loop:-}" ] && losetup -d "$loop" 2>/dev/null
    umount -R "$work/docker/exec" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The image: busybox, the probe (also setuid root), and a script whose interpreter is /proc/self/exe.
root=$work/rootfs
mkdir -p "$root/bin" "$root/tmp" "$root/etc"
cp /bin/busybox "$root/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
gcc -static -O1 -o "$root/probe" "$here/probe.c" || exit 1
cp "$root/probe" "$root/probe-suid" && chmod 4755 "$root/probe-suid"
printf '#!/proc/self/exe\n' > "$root/x" && chmod 755 "$root/x"
tar -C "$root" -cf "$work/rootfs.tar" .
truncate -s 1M "$work/disk" && loop=$(losetup -f --show "$work/disk")
major=$((16#$(stat -c %t "$loop"))) minor=$((16#$(stat -c %T "$loop")))

"$estiba" --root "$work/store" import -c 'ENV PATH=/bin' "$root" probe:latest >/dev/null || exit 1

mkdir -p "$work/docker"
/usr/sbin/dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
    --host "unix://$work/docker/sock" --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    >"$work/docker/log" 2>&1 &
dockerd_pid=$!
docker() { command docker -H "unix://$work/docker/sock" "$@"; }
for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
docker import -c 'ENV PATH=/bin' "$work/rootfs.tar" probe:latest >/dev/null 2>&1 || echo "(docker unavailable: its column stays empty)"

# run ENGINE ARGS... : a container of probe:latest running ARGS, output on stdout
run() {
    case "$1" in
    estiba) shift; "$estiba" --root "$work/store" run --rm "${extra[@]}" probe "$@" ;;
    runc) shift; "$estiba" --root "$work/store" run --rm --runtime runc "${extra[@]}" probe "$@" ;;
    docker) shift; docker run --rm --network none "${extra[@]}" probe "$@" ;;
    esac 2>&1
}
verdict() { if "$@" >/dev/null 2>&1; then echo allowed; else echo denied; fi; }

checks=(
    "open a host block device made with mknod"
    "write /dev/kmsg through a new c 1:11 node"
    "read a block device node shipped in the image (-u 1000)"
    "see the caller's session-keyring key (seccomp unconfined)"
    "Seccomp mode in /proc/self/status"
    "NoNewPrivs by default"
    "setuid-root program gains euid 0 (-u 1000)"
    "keyctl / add_key"
    "unshare(CLONE_NEWUSER)"
    "perf_event_open"
    "pidfd_getfd"
    "setns"
    "ptrace(PTRACE_TRACEME)"
    "mount tmpfs"
    "#!/proc/self/exe reaches the engine's binary"
    "descriptors of pid 1 (ls itself; 3 is its own)"
    "CapEff"
)
declare -A result
for engine in estiba runc docker; do
    extra=()
    r=$(run $engine sh -c "mknod /tmp/b b $major $minor && head -c 1 /tmp/b >/dev/null && echo OPENED")
    result[$engine,0]=$([[ $r == *OPENED* ]] && echo allowed || echo denied)
    r=$(run $engine sh -c "mknod /tmp/k c 1 11 && echo probe > /tmp/k && echo WROTE")
    result[$engine,1]=$([[ $r == *WROTE* ]] && echo allowed || echo denied)
    # the image's own node: copy the rootfs with one in it
    result[$engine,2]=n/a
    extra=(--security-opt seccomp=unconfined)
    if [ $engine = docker ]; then r=$(run $engine /probe); else r=$("$root/probe" host-key "$estiba" --root "$work/store" run --rm ${engine/estiba/} $([ $engine = runc ] && echo --runtime runc) --security-opt seccomp=unconfined probe /probe 2>&1); fi
    result[$engine,3]=$([[ $r == *find-key=ok* ]] && echo allowed || echo denied)
    extra=()
    p=$(run $engine /probe)
    result[$engine,4]=$(echo "$p" | sed -n 's/^seccomp=//p')
    result[$engine,5]=$(echo "$p" | sed -n 's/^nnp=//p')
    r=$(run $engine sh -c "adduser -D -u 1000 u 2>/dev/null; /probe-suid id" )
    r=$(extra=(-u 1000); run $engine /probe-suid id)
    result[$engine,6]=$([[ $r == *euid=0* ]] && echo yes || echo no)
    kc=$(echo "$p" | sed -n 's/^keyctl=//p'); ak=$(echo "$p" | sed -n 's/^add_key=//p')
    result[$engine,7]="$kc/$ak"
    result[$engine,8]=$(echo "$p" | sed -n 's/^unshare-user=//p')
    result[$engine,9]=$(echo "$p" | sed -n 's/^perf_event_open=//p')
    result[$engine,10]=$(echo "$p" | sed -n 's/^pidfd_getfd=//p')
    result[$engine,11]=$(echo "$p" | sed -n 's/^setns=//p')
    result[$engine,12]=$(echo "$p" | sed -n 's/^ptrace=//p')
    r=$(run $engine sh -c "mount -t tmpfs none /tmp && echo MOUNTED")
    result[$engine,13]=$([[ $r == *MOUNTED* ]] && echo allowed || echo denied)
    r=$(run $engine /x)
    result[$engine,14]=$([[ $r == *sage:* || $r == *USAGE* ]] && echo yes || echo no)
    r=$(run $engine ls /proc/1/fd)
    result[$engine,15]=$(echo "$r" | tr -s ' \n' ' ' | sed 's/ $//')
    result[$engine,16]=$(run $engine sh -c 'grep CapEff /proc/self/status' | awk '{print $2}')
done
# item 2 (a node shipped in the image) needs an image with the node in it
mknod "$root/disk" b "$major" "$minor" && chmod 666 "$root/disk"
tar -C "$root" -cf "$work/rootfs-dev.tar" .
"$estiba" --root "$work/store" import -c 'ENV PATH=/bin' "$root" probedev:latest >/dev/null 2>&1
docker import -c 'ENV PATH=/bin' "$work/rootfs-dev.tar" probedev:latest >/dev/null 2>&1
for engine in estiba runc docker; do
    case $engine in
    estiba) r=$("$estiba" --root "$work/store" run --rm -u 1000 probedev sh -c 'head -c 1 /disk >/dev/null && echo OPENED' 2>&1) ;;
    runc) r=$("$estiba" --root "$work/store" run --rm --runtime runc -u 1000 probedev sh -c 'head -c 1 /disk >/dev/null && echo OPENED' 2>&1) ;;
    docker) r=$(docker run --rm --network none -u 1000 probedev sh -c 'head -c 1 /disk >/dev/null && echo OPENED' 2>&1) ;;
    esac
    result[$engine,2]=$([[ $r == *OPENED* ]] && echo allowed || echo denied)
done

printf '%-58s | %-18s | %-18s | %-18s\n' "check" "estiba" "estiba --runtime runc" "docker 20.10"
printf '%s\n' "$(printf -- '-%.0s' $(seq 124))"
for i in "${!checks[@]}"; do
    printf '%-58s | %-18s | %-18s | %-18s\n' "${checks[$i]}" "${result[estiba,$i]}" "${result[runc,$i]}" "${result[docker,$i]}"
done
