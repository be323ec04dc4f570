/* Header-only shims for glibc calls and macros Swift's Glibc module does not import. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <fcntl.h>
#include <unistd.h>

static inline dev_t csys_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
static inline unsigned int csys_major(dev_t d) { return major(d); }
static inline unsigned int csys_minor(dev_t d) { return minor(d); }
static inline int csys_openat(int dirfd, const char *path, int flags, mode_t mode) { return openat(dirfd, path, flags, mode); }

#include <sys/syscall.h>
/* copy_file_range(2) without _GNU_SOURCE (which would change struct definitions seen by other modules). */
static inline long csys_copy_file_range(int fd_in, int fd_out, size_t length) {
    return syscall(SYS_copy_file_range, fd_in, (void *)0, fd_out, (void *)0, length, 0u);
}
