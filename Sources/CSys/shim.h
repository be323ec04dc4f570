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

#include <sys/mount.h>
#include <linux/openat2.h>
/* openat2(2) with RESOLVE_IN_ROOT: symbolic links and ".." resolve as if `dirfd` were "/" (a build's root). */
static inline int csys_open_in_root(int dirfd, const char *path, int flags, mode_t mode) {
    struct open_how how = { .flags = (unsigned long long)flags, .mode = (flags & O_CREAT) ? mode : 0,
                            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}
static inline int csys_mount(const char *source, const char *target, const char *type, unsigned long flags, const char *data) {
    return mount(source, target, type, flags, data);
}
static inline int csys_umount(const char *target) { return umount2(target, MNT_DETACH); }
/* O_PATH without _GNU_SOURCE. */
static const int csys_o_path = __O_PATH;
