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
