#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int estiba_entry_memfd(const unsigned char *image, size_t length) {
    int fd = memfd_create("estiba-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -errno;
    for (size_t off = 0; off < length;) {
        ssize_t w = write(fd, image + off, length - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { int e = w < 0 ? errno : EIO; close(fd); return -e; }
        off += (size_t)w;
    }
    if (fchmod(fd, 0555) != 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}
