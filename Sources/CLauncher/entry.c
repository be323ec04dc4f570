#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* A copy of the file in a sealed memfd: nothing can change it, and it is no file on the host. */
static int sealed_copy(const char *path) {
    int src = open(path, O_RDONLY | O_CLOEXEC);
    if (src < 0) return -errno;
    int fd = memfd_create("estiba-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) { int e = errno; close(src); return -e; }
    char buffer[65536];
    for (;;) {
        ssize_t n = read(src, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { int e = errno; close(src); close(fd); return -e; }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buffer + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) { int e = w < 0 ? errno : EIO; close(src); close(fd); return -e; }
            off += w;
        }
    }
    close(src);
    if (fchmod(fd, 0555) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int estiba_open_entry(const char *path, int prefer_copy) {
    if (!prefer_copy) {
        /* A private, detached, read-only bind mount of the file (no copy): /proc/N/exe of a process running it
           leads to a read-only mount that no path names, so nothing can be written through it. */
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree >= 0) {
            struct mount_attr attr;
            memset(&attr, 0, sizeof attr);
            attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID;
            if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) == 0) return tree;
            close(tree);
        }
    }
    return sealed_copy(path);
}
