#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

/* Async-signal-safe error report: "stage: strerror(errno)" to the error pipe, then exit 127. */
static void fail(const struct estiba_launch *c, const char *stage) {
    int e = errno;
    const char *reason = strerror(e);
    if (c->error_fd >= 0) {
        (void)!write(c->error_fd, stage, strlen(stage));
        (void)!write(c->error_fd, ": ", 2);
        (void)!write(c->error_fd, reason, strlen(reason));
    }
    _exit(127);
}

/* dst = a + b (no allocation: fixed buffer) */
static int join(char *dst, size_t size, const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 1 > size) { errno = ENAMETOOLONG; return -1; }
    memcpy(dst, a, la);
    memcpy(dst + la, b, lb + 1);
    return 0;
}

/* Writes `v` in decimal at `p` (no allocation, no NUL); returns the end. */
static char *put_number(char *p, unsigned long v) {
    char digits[24];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v > 0);
    while (n > 0) *p++ = digits[--n];
    return p;
}

/* "/proc/self/fd/<fd>" into `out` (at least 32 bytes): the path that reaches exactly what `fd` refers to. */
static void fd_path(char *out, int fd) {
    memcpy(out, "/proc/self/fd/", 14);
    *put_number(out + 14, (unsigned long)fd) = '\0';
}

static int mkdir_in(const char *root, const char *path, mode_t mode) {
    char p[4096];
    if (join(p, sizeof p, root, path) != 0) return -1;
    if (mkdir(p, mode) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int mount_in(const char *root, const char *target, const char *source, const char *type, unsigned long flags, const char *data) {
    char p[4096];
    if (join(p, sizeof p, root, target) != 0) return -1;
    return mount(source, p, type, flags, data);
}

/* Bind-mounts a prepared file read-only over path (the file must exist in the image or is created). */
static int bind_file(const char *root, const char *path, const char *source) {
    char p[4096];
    if (join(p, sizeof p, root, path) != 0) return -1;
    int fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644); /* read-only: an existing file is not copied up */
    if (fd >= 0) close(fd);
    else if (errno != EEXIST && errno != ELOOP) return -1;
    if (mount(source, p, NULL, MS_BIND, NULL) != 0) return -1;
    return mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

/* A tmpfs on /dev with the policy's nodes, the usual links, and devpts, shm and mqueue. */
static int make_dev(const struct estiba_launch *c, const char *root) {
    if (mkdir_in(root, "/dev", 0755) != 0) return -1;
    if (mount_in(root, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") != 0) return -1;
    char p[4096];
    for (int i = 0; i < c->ndev_nodes; i++) {
        const struct estiba_device_node *d = &c->dev_nodes[i];
        mode_t mode = d->mode & 07777;
        if (join(p, sizeof p, root, d->path) != 0) return -1;
        if (mknod(p, (d->type == 'b' ? S_IFBLK : S_IFCHR) | mode, makedev(d->major, d->minor)) != 0) return -1;
        chmod(p, mode); /* past the umask */
    }
    static const struct { const char *target, *link; } links[] = {
        {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        if (join(p, sizeof p, root, links[i].link) != 0) return -1;
        if (symlink(links[i].target, p) != 0) return -1;
    }
    /* /dev/core only where the kernel has /proc/kcore (as runc does). */
    if (access("/proc/kcore", F_OK) == 0) {
        if (join(p, sizeof p, root, "/dev/core") != 0 || symlink("/proc/kcore", p) != 0) return -1;
    }
    if (mkdir_in(root, "/dev/pts", 0755) != 0) return -1;
    if (mount_in(root, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") != 0) return -1;
    if (mkdir_in(root, "/dev/shm", 01777) != 0) return -1;
    if (mount_in(root, "/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k") != 0) return -1;
    if (mkdir_in(root, "/dev/mqueue", 0755) != 0) return -1;
    if (mount_in(root, "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL) != 0) return -1;
    return 0;
}

/* The capabilities to keep, as a bit mask. */
static unsigned long long kept_capabilities(const struct estiba_launch *c) {
    unsigned long long keep = 0;
    for (int i = 0; i < c->ncapabilities; i++) {
        if (c->capabilities[i] >= 0 && c->capabilities[i] <= 63) keep |= 1ULL << c->capabilities[i];
    }
    return keep;
}

/* Needs CAP_SETPCAP: done while still root, before the user changes. */
static int drop_bounding_set(const struct estiba_launch *c) {
    unsigned long long keep = kept_capabilities(c);
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    }
    return 0;
}

/* For root in the container: effective, permitted and inheritable = the kept set. (A non-root user has none: the
   kernel clears them when the uid leaves 0, as with Docker.) */
static int set_root_capabilities(const struct estiba_launch *c) {
    unsigned long long keep = kept_capabilities(c);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    data[0].effective = data[0].permitted = data[0].inheritable = (unsigned)(keep & 0xffffffffu);
    data[1].effective = data[1].permitted = data[1].inheritable = (unsigned)(keep >> 32);
    return (int)syscall(SYS_capset, &header, data);
}

static int send_fd(int sock, int fd) {
    char byte = 0;
    struct iovec iov = {&byte, 1};
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

int estiba_receive_fd(int sock) {
    char byte;
    struct iovec iov = {&byte, 1};
    union { struct cmsghdr align; char buf[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    return fd;
}

/* A terminal from the container's own devpts, with its window size when one is given (so the command reads it
   from its first instruction on): the slave becomes the controlling terminal and stdio, the master goes to the
   parent. */
static int setup_terminal(const struct estiba_launch *c) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return -1;
    int unlock = 0, number = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) != 0 || ioctl(master, TIOCGPTN, &number) != 0) return -1;
    if (c->window_rows > 0 && c->window_columns > 0) {
        struct winsize size = {.ws_row = c->window_rows, .ws_col = c->window_columns};
        if (ioctl(master, TIOCSWINSZ, &size) != 0) return -1;
    }
    char path[32] = "/dev/pts/";
    *put_number(path + 9, (unsigned long)number) = '\0';
    int slave = open(path, O_RDWR | O_NOCTTY);
    if (slave < 0) return -1;
    if (fchown(slave, c->uid, 5) != 0 && errno != EINVAL) return -1;
    if (send_fd(c->console_socket, master) != 0) return -1;
    close(master);
    close(c->console_socket);
    if (setsid() < 0) return -1;
    if (ioctl(slave, TIOCSCTTY, 0) != 0) return -1;
    for (int fd = 0; fd <= 2; fd++) if (dup2(slave, fd) < 0) return -1;
    if (slave > 2) close(slave);
    return 0;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* openat2(2) resolving inside `rootfd` as if it were "/": no ".." or link leads out of the container's root. */
static int open_in_root(int rootfd, const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)flags;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Makes `target` (absolute, in the container) exist inside the root as a directory (or an empty file when
   `file`), creating missing parents; returns an O_PATH descriptor of it, or -1. */
static int make_mount_point(int rootfd, const char *target, int file) {
    char path[4096];
    size_t len = strlen(target);
    if (len == 0 || len >= sizeof path || target[0] != '/') { errno = EINVAL; return -1; }
    memcpy(path, target, len + 1);
    /* mkdir -p, one component at a time, each parent resolved inside the root */
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        int last = path[i] == '\0' || (path[i] == '/' && path[i + 1] == '\0');
        char saved = path[i];
        path[i] = '\0';
        int fd = open_in_root(rootfd, path + 1, O_PATH | O_CLOEXEC);
        if (fd < 0) {
            if (errno != ENOENT) return -1;
            /* create it in its parent (resolved inside the root) */
            char *slash = strrchr(path, '/');
            const char *name = slash + 1;
            int parent;
            if (slash == path) {
                parent = dup(rootfd);
            } else {
                *slash = '\0';
                parent = open_in_root(rootfd, path + 1, O_PATH | O_DIRECTORY | O_CLOEXEC);
                *slash = '/';
            }
            if (parent < 0) return -1;
            int made;
            if (last && file) {
                int f = openat(parent, name, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                made = f >= 0 ? 0 : -1;
                if (f >= 0) close(f);
            } else {
                made = mkdirat(parent, name, 0755);
            }
            close(parent);
            if (made != 0 && errno != EEXIST) return -1;
            fd = open_in_root(rootfd, path + 1, O_PATH | O_CLOEXEC);
            if (fd < 0) return -1;
        }
        path[i] = saved;
        if (last) return fd;
        close(fd);
    }
    errno = EINVAL;
    return -1;
}

/* Bind-mounts each volume onto its mount point, through /proc/self/fd so the kernel mounts exactly the
   directory resolved inside the root. */
static int mount_volumes(const struct estiba_launch *c) {
    if (c->nmounts <= 0) return 0;
    int rootfd = open(c->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -1;
    for (int i = 0; i < c->nmounts; i++) {
        struct stat st;
        if (stat(c->mount_sources[i], &st) != 0) { close(rootfd); return -1; }
        int fd = make_mount_point(rootfd, c->mount_targets[i], !S_ISDIR(st.st_mode));
        if (fd < 0) { close(rootfd); return -1; }
        char proc[32];
        fd_path(proc, fd);
        int rc = mount(c->mount_sources[i], proc, NULL, MS_BIND | MS_REC, NULL);
        if (rc == 0 && c->mount_readonly[i]) {
            close(fd);
            fd = make_mount_point(rootfd, c->mount_targets[i], !S_ISDIR(st.st_mode));
            if (fd < 0) { close(rootfd); return -1; }
            fd_path(proc, fd);
            rc = mount(NULL, proc, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
        }
        close(fd);
        if (rc != 0) { close(rootfd); return -1; }
    }
    close(rootfd);
    return 0;
}

/* Makes the `--device` nodes (each path resolved inside the root, parents created). */
static int make_device_nodes(const struct estiba_launch *c) {
    if (c->ndevice_nodes <= 0) return 0;
    int rootfd = open(c->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -1;
    for (int i = 0; i < c->ndevice_nodes; i++) {
        const struct estiba_device_node *d = &c->device_nodes[i];
        char parent[4096];
        size_t len = strlen(d->path);
        if (len == 0 || len >= sizeof parent || d->path[0] != '/') { close(rootfd); errno = EINVAL; return -1; }
        memcpy(parent, d->path, len + 1);
        char *slash = strrchr(parent, '/');
        const char *name = d->path + (slash - parent) + 1;
        int dirfd;
        if (slash == parent) {
            dirfd = dup(rootfd);
        } else {
            *slash = '\0';
            dirfd = make_mount_point(rootfd, parent, 0);
            if (dirfd >= 0) {
                /* an O_PATH descriptor cannot take mknodat: reopen it as a directory */
                char proc[32];
                fd_path(proc, dirfd);
                int real = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(dirfd);
                dirfd = real;
            }
        }
        if (dirfd < 0) { close(rootfd); return -1; }
        mode_t type = d->type == 'b' ? S_IFBLK : S_IFCHR;
        unlinkat(dirfd, name, 0);
        int rc = mknodat(dirfd, name, type | (d->mode & 07777), makedev(d->major, d->minor));
        if (rc == 0) rc = fchownat(dirfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW);
        if (rc == 0) rc = fchmodat(dirfd, name, d->mode & 07777, 0);
        close(dirfd);
        if (rc != 0) { close(rootfd); return -1; }
    }
    close(rootfd);
    return 0;
}

/* Closes every descriptor but 0-2 and the given ones (-1 entries are ignored). */
static void close_other_descriptors(const int *keep, int n) {
    int sorted[16];
    int count = 0;
    for (int i = 0; i < n && count < 16; i++) {
        if (keep[i] < 3) continue;
        int v = keep[i], j = count;
        while (j > 0 && sorted[j - 1] > v) { sorted[j] = sorted[j - 1]; j--; }
        sorted[j] = v;
        count++;
    }
    unsigned int from = 3;
    for (int i = 0; i < count; i++) {
        unsigned int fd = (unsigned int)sorted[i];
        if (fd > from) syscall(SYS_close_range, from, fd - 1, 0U);
        if (fd + 1 > from) from = fd + 1;
    }
    syscall(SYS_close_range, from, ~0U, 0U);
}

/* The first thing a launched or joining process does: nobody may ptrace it, read its memory, open its
   descriptors or its executable through /proc (not even root in the container, which lacks CAP_SYS_PTRACE),
   and it holds no descriptor of the engine's but those it hands on. */
static void seal_process(const struct estiba_launch *c) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    int keep[] = {c->stdin_fd, c->stdout_fd, c->stderr_fd, c->console_socket, c->error_fd, c->sync_fd, c->entry_fd,
                  c->started_fd};
    close_other_descriptors(keep, (int)(sizeof keep / sizeof keep[0]));
}

static void become_command(const struct estiba_launch *c);

/* The first thing a cloned child does: it holds only its own end of the sync pipe and dies with the thread that
   launched it (PR_SET_PDEATHSIG); a parent already gone by then means exit. Outside a new pid namespace
   (`same_pid_namespace`) getppid() tells; inside one it reads 0, and the sync pipe tells instead: with the parent's
   end closed here, a dead parent is end of file on it. */
static void watch_parent(const struct estiba_launch *c, int same_pid_namespace) {
    if (c->sync_peer_fd >= 0) close(c->sync_peer_fd);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) _exit(126);
    if (same_pid_namespace && c->parent_pid > 0 && getppid() != c->parent_pid) _exit(126);
}

/* Waits for the parent's byte on the sync socket (end of file: the parent died or gave up, so exit); then keeps
   the parent-death signal the caller asked for, or none. */
static void wait_for_parent(const struct estiba_launch *c) {
    if (c->sync_fd >= 0) {
        char go = 0;
        ssize_t n;
        while ((n = read(c->sync_fd, &go, 1)) < 0 && errno == EINTR) {}
        if (n != 1) _exit(126); /* the parent died or gave up on us */
        close(c->sync_fd);
    }
    if (c->started_fd >= 0) {
        char started = 1;
        while (write(c->started_fd, &started, 1) < 0 && errno == EINTR) {}
        close(c->started_fd);
    }
    if (prctl(PR_SET_PDEATHSIG, c->parent_death_signal, 0, 0, 0) != 0) _exit(126);
}

/* Brings the loopback device of the current network namespace up (a new namespace has it down). */
static int loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int e = errno;
    close(s);
    errno = e;
    return rc;
}

static int child_main(void *arg) {
    const struct estiba_launch *c = arg;
    const char *root = c->merged;
    watch_parent(c, 0);
    seal_process(c);
    wait_for_parent(c);
    if (!c->host_network && loopback_up() != 0) fail(c, "bring the loopback device up");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail(c, "make mounts private");
    if (mount("overlay", root, "overlay", 0, c->overlay_options) != 0) fail(c, "mount the overlay root");
    if (mkdir_in(root, "/proc", 0555) != 0) fail(c, "create /proc");
    if (mount_in(root, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) fail(c, "mount /proc");
    if (make_dev(c, root) != 0) fail(c, "set up /dev");
    if (mkdir_in(root, "/sys", 0555) != 0) fail(c, "create /sys");
    if (mount_in(root, "/sys", "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) != 0) fail(c, "mount /sys");
    if (mkdir_in(root, "/etc", 0755) != 0) fail(c, "create /etc");
    if (c->hosts_file && bind_file(root, "/etc/hosts", c->hosts_file) != 0) fail(c, "mount /etc/hosts");
    if (c->hostname_file && bind_file(root, "/etc/hostname", c->hostname_file) != 0) fail(c, "mount /etc/hostname");
    if (c->resolv_file && bind_file(root, "/etc/resolv.conf", c->resolv_file) != 0) fail(c, "mount /etc/resolv.conf");
    if (mount_volumes(c) != 0) fail(c, "mount a volume");
    if (make_device_nodes(c) != 0) fail(c, "create a device node");
    if (chdir(root) != 0) fail(c, "enter the root");
    if (syscall(SYS_pivot_root, ".", ".") != 0) fail(c, "pivot_root");
    if (umount2(".", MNT_DETACH) != 0) fail(c, "detach the old root");
    if (chdir("/") != 0) fail(c, "chdir /");
    for (const char *const *m = c->masked_paths; m && *m; m++) {
        struct stat st;
        if (lstat(*m, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (mount("tmpfs", *m, "tmpfs", MS_RDONLY, NULL) != 0) fail(c, "mask a directory");
        } else if (mount("/dev/null", *m, NULL, MS_BIND, NULL) != 0) {
            fail(c, "mask a file");
        }
    }
    for (const char *const *r = c->readonly_paths; r && *r; r++) {
        if (access(*r, F_OK) != 0) continue;
        if (mount(*r, *r, NULL, MS_BIND | MS_REC, NULL) != 0) fail(c, "bind a read-only path");
        if (mount(NULL, *r, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
            fail(c, "make a path read-only");
    }
    if (c->readonly_root && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0) fail(c, "make the root read-only");
    if (sethostname(c->hostname, strlen(c->hostname)) != 0) fail(c, "set the hostname");
    become_command(c);
    return 127;
}

pid_t estiba_launch(const struct estiba_launch *config) {
    char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -errno;
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
    if (!config->host_network) flags |= CLONE_NEWNET;
    pid_t pid = clone(child_main, stack + STACK_SIZE, flags, (void *)config);
    int saved = errno;
    /* The child runs on its own copy of the address space (no CLONE_VM), so the stack can go. */
    munmap(stack, STACK_SIZE);
    return pid < 0 ? -saved : pid;
}

/* write() of all of `n` bytes; 0, or -1 with errno. */
static int write_fully(int fd, const void *bytes, size_t n) {
    const char *p = bytes;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* How the container ended, in the keeper's exit file: its exit code as "N\n", or ESTIBA_NEVER_STARTED. Staged, then
   renamed, so a reader sees all of it or none. */
static void record_end(const struct estiba_keeper *k, int started, int code) {
    if (!k->exit_file || !k->exit_file_staging) return;
    char number[16];
    char *end = put_number(number, (unsigned long)(code < 0 ? 255 : code));
    *end++ = '\n';
    const char *text = started ? number : ESTIBA_NEVER_STARTED;
    size_t length = started ? (size_t)(end - number) : strlen(ESTIBA_NEVER_STARTED);
    int fd = open(k->exit_file_staging, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return;
    int written = write_fully(fd, text, length);
    if (close(fd) != 0) written = -1;
    if (written != 0 || rename(k->exit_file_staging, k->exit_file) != 0) unlink(k->exit_file_staging);
}

extern char **environ;

/* The keeper process (see `estiba_launch_kept`). */
static void keep(const struct estiba_launch *config, const struct estiba_keeper *k) {
    struct estiba_launch c = *config;
    /* Out of the caller's session (a ^C at its terminal is not for the keeper), default signal handling, nothing
       blocked; a gone caller is an error from write(), not SIGPIPE. */
    setsid();
    prctl(PR_SET_NAME, "estiba-keeper", 0, 0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    if (c.console_socket < 0) {
        /* the caller's own standard descriptors, named, so they stay the container's after ours are replaced */
        if (c.stdin_fd < 0) c.stdin_fd = 0;
        if (c.stdout_fd < 0) c.stdout_fd = 1;
        if (c.stderr_fd < 0) c.stderr_fd = 2;
    }
    int held[] = {c.stdin_fd, c.stdout_fd, c.stderr_fd, c.console_socket, c.error_fd, c.sync_fd, c.entry_fd, k->status_fd};
    close_other_descriptors(held, (int)(sizeof held / sizeof held[0]));
    c.sync_peer_fd = -1; /* the caller's end, closed just now: only the caller holds it */
    c.parent_pid = (pid_t)syscall(SYS_getpid);
    /* The child says on this pipe when its caller has let it go; without the pipe, every end counts as started. */
    int started[2] = {-1, -1};
    if (pipe2(started, O_CLOEXEC) == 0) c.started_fd = started[1];
    int32_t pid = estiba_launch(&c);
    if (started[1] >= 0) close(started[1]);
    if (write_fully(k->status_fd, &pid, sizeof pid) != 0 || pid < 0) _exit(1);
    /* From here on the keeper holds nothing of the container's or the caller's but the status pipe. */
    close(c.error_fd);
    if (c.sync_fd >= 0) close(c.sync_fd);
    if (c.console_socket >= 0) close(c.console_socket);
    close(c.entry_fd);
    if (c.stdin_fd > 2) close(c.stdin_fd);
    if (c.stdout_fd > 2 && c.stdout_fd != c.stdin_fd) close(c.stdout_fd);
    if (c.stderr_fd > 2 && c.stderr_fd != c.stdin_fd && c.stderr_fd != c.stdout_fd) close(c.stderr_fd);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        for (int fd = 0; fd <= 2; fd++) dup2(null, fd);
        if (null > 2) close(null);
    }
    int status = 0;
    int32_t code;
    pid_t waited;
    while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}
    code = waited == pid ? estiba_exit_code(status) : 255;
    /* The child's end is closed now: the byte is there, or end of file. */
    char byte = 0;
    ssize_t got = 1;
    if (started[0] >= 0) {
        while ((got = read(started[0], &byte, 1)) < 0 && errno == EINTR) {}
        close(started[0]);
    }
    record_end(k, got == 1, code);
    if (write_fully(k->status_fd, &code, sizeof code) == 0) _exit(0);
    /* The caller is gone: the settle command records the end (the exit file says how). */
    close(k->status_fd);
    if (k->settle_argv && k->settle_argv[0]) execve(k->settle_argv[0], (char *const *)k->settle_argv, environ);
    _exit(0);
}

pid_t estiba_launch_kept(const struct estiba_launch *config, const struct estiba_keeper *keeper) {
    /* A raw clone (fork semantics), not glibc's fork(): see `exec_child`. */
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
    if (pid < 0) return -errno;
    if (pid == 0) {
        keep(config, keeper);
        _exit(1);
    }
    return pid;
}

struct exec_args {
    const struct estiba_launch *config;
    pid_t target;
};

static int load_seccomp(const struct estiba_launch *c) {
    struct sock_fprog prog;
    prog.len = c->seccomp_length;
    prog.filter = (struct sock_filter *)c->seccomp_filter;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0U, &prog);
}

/* An executable regular file for the process as it is now. */
static int executable(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) { errno = EACCES; return -1; }
    return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS);
}

/* argv[0] as execvpe would find it: as given when it has a slash, else the first executable file of that name in
   the container's PATH. */
static int resolve_command(const struct estiba_launch *c, char *out, size_t size) {
    const char *file = c->argv[0];
    size_t flen = strlen(file);
    if (flen == 0) { errno = ENOENT; return -1; }
    if (strchr(file, '/')) {
        if (flen >= size) { errno = ENAMETOOLONG; return -1; }
        memcpy(out, file, flen + 1);
        return executable(out);
    }
    const char *path = c->default_path ? c->default_path : "";
    for (const char *const *e = c->envp; *e; e++) {
        if (strncmp(*e, "PATH=", 5) == 0) { path = *e + 5; break; }
    }
    int saved = ENOENT;
    for (;;) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        if (len + flen + 2 < size) {
            if (len == 0) {
                memcpy(out, file, flen + 1);
            } else {
                memcpy(out, path, len);
                out[len] = '/';
                memcpy(out + len + 1, file, flen + 1);
            }
            if (executable(out) == 0) return 0;
            if (errno != ENOENT && errno != ENOTDIR) saved = errno;
        }
        if (!end) break;
        path = end + 1;
    }
    errno = saved;
    return -1;
}

/* "--estiba-entry-v1" must match estiba-entry's marker. */
#define ENTRY_MARKER "--estiba-entry-v1"
#define MAX_ARGS 65536

/* Common tail of run and exec: terminal or stdio, a fresh session keyring, seccomp, user, capabilities,
   no_new_privs, cwd, then estiba-entry executes the command. */
static void become_command(const struct estiba_launch *c) {
    if (c->console_socket >= 0) {
        if (setup_terminal(c) != 0) fail(c, "set up the terminal");
    } else {
        if (c->stdin_fd >= 0 && dup2(c->stdin_fd, 0) < 0) fail(c, "attach stdin");
        if (c->stdout_fd >= 0 && dup2(c->stdout_fd, 1) < 0) fail(c, "attach stdout");
        if (c->stderr_fd >= 0 && dup2(c->stderr_fd, 2) < 0) fail(c, "attach stderr");
        if (c->stdin_fd > 2) close(c->stdin_fd);
        if (c->stdout_fd > 2) close(c->stdout_fd);
        if (c->stderr_fd > 2) close(c->stderr_fd);
    }
    /* A new anonymous session keyring: the caller's keys stay out of reach. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0UL, 0UL, 0UL, 0UL) < 0 && errno != ENOSYS)
        fail(c, "join a new session keyring");
    /* Without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before the capabilities are dropped
       (the profile allows every call made from here to the exec). */
    if (c->seccomp_filter && !c->no_new_privs && load_seccomp(c) != 0) fail(c, "install the seccomp filter");
    if (drop_bounding_set(c) != 0) fail(c, "drop capabilities");
    /* Raw system calls, not glibc's wrappers: in a clone()d child glibc still believes the parent's threads
       exist and its set*id() broadcast would wait on the parent's thread-list lock, forever if another thread
       held it at clone time. The child has one thread, so the per-thread system calls are exactly right. */
    if (syscall(SYS_setgroups, (size_t)c->ngroups, c->groups) != 0) fail(c, "set supplementary groups");
    if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) != 0) fail(c, "set the group");
    if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) != 0) fail(c, "set the user");
    /* A change of user clears the parent-death signal: set it again. */
    if (c->parent_death_signal && prctl(PR_SET_PDEATHSIG, c->parent_death_signal, 0, 0, 0) != 0) fail(c, "set the parent-death signal");
    if (c->uid == 0 && set_root_capabilities(c) != 0) fail(c, "set capabilities");
    if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(c, "set no_new_privs");
    if (c->seccomp_filter && c->no_new_privs && load_seccomp(c) != 0) fail(c, "install the seccomp filter");
    if (chdir(c->cwd) != 0) fail(c, "enter the working directory");
    /* The command's path, looked up now (with the final credentials), so a missing command is the engine's
       error; estiba-entry then only executes it. */
    static char resolved[4096];
    if (resolve_command(c, resolved, sizeof resolved) != 0) fail(c, "start the command");
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = 3; fd < 4096; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    /* argv for estiba-entry: its name, the marker, the path, then the command (no allocation: the child may not
       call malloc). From here on the engine holds nothing of this process: the error pipe closes with the exec. */
    static const char *argv[MAX_ARGS + 4];
    int n = 0;
    argv[n++] = "estiba-entry";
    argv[n++] = ENTRY_MARKER;
    argv[n++] = resolved;
    for (const char *const *a = c->argv; *a; a++) {
        if (n >= MAX_ARGS + 3) { errno = E2BIG; fail(c, "start the command"); }
        argv[n++] = *a;
    }
    argv[n] = NULL;
    syscall(SYS_execveat, c->entry_fd, "", (char *const *)argv, (char *const *)c->envp, AT_EMPTY_PATH);
    if (errno == EPERM || errno == ENOSYS) {
        /* a seccomp profile older than execveat: the same file through /proc */
        char proc[32];
        fd_path(proc, c->entry_fd);
        execve(proc, (char *const *)argv, (char *const *)c->envp);
    }
    fail(c, "start estiba-entry");
}

static int exec_child(void *arg) {
    const struct exec_args *a = arg;
    const struct estiba_launch *c = a->config;
    watch_parent(c, 1);
    seal_process(c);
    wait_for_parent(c);
    static const char *const kinds[] = {"ipc", "uts", "net", "pid", "mnt"};
    int fds[5];
    char path[64];
    for (int i = 0; i < 5; i++) {
        /* "/proc/<pid>/ns/<kind>" without snprintf */
        char *p = path;
        memcpy(p, "/proc/", 6);
        p = put_number(p + 6, (unsigned long)a->target);
        memcpy(p, "/ns/", 4); p += 4;
        size_t k = strlen(kinds[i]);
        memcpy(p, kinds[i], k + 1);
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) fail(c, "open the container's namespaces");
    }
    for (int i = 0; i < 5; i++) {
        if (setns(fds[i], 0) != 0) fail(c, "join the container's namespaces");
        close(fds[i]);
    }
    if (chdir("/") != 0) fail(c, "enter the container's root");
    /* Joining a pid namespace applies to children: the command runs in a second process. */
    /* A raw clone (fork semantics), not glibc's fork(): its atfork handlers take locks another thread of the
       parent may have held when this process was cloned. */
    pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0UL, 0UL, 0UL, 0UL);
    if (pid < 0) fail(c, "fork inside the container");
    if (pid == 0) become_command(c);
    if (c->console_socket >= 0) close(c->console_socket);
    close(c->error_fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    _exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}

pid_t estiba_exec(const struct estiba_launch *config, pid_t target_pid) {
    char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -errno;
    struct exec_args args = {config, target_pid};
    pid_t pid = clone(exec_child, stack + STACK_SIZE, SIGCHLD, &args);
    int saved = errno;
    munmap(stack, STACK_SIZE);
    return pid < 0 ? -saved : pid;
}

int estiba_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 255;
}
