#include <linux/memfd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* libseccomp's action macros, for Swift. */
static inline uint32_t estiba_scmp_act_errno(uint16_t e) { return SCMP_ACT_ERRNO(e); }
static inline uint32_t estiba_scmp_act_trace(uint16_t e) { return SCMP_ACT_TRACE(e); }

/* The filter as BPF instructions (struct sock_filter, 8 bytes each), in malloc'd memory the caller frees;
   returns the byte count, or -errno. */
static inline long estiba_scmp_export(const scmp_filter_ctx ctx, unsigned char **out) {
    *out = NULL;
    int fd = (int)syscall(SYS_memfd_create, "estiba-seccomp", MFD_CLOEXEC);
    if (fd < 0) return -1;
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) { close(fd); return rc; }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size > (1 << 20)) { close(fd); return -7; }
    unsigned char *buffer = malloc((size_t)size);
    if (!buffer) { close(fd); return -12; }
    ssize_t got = pread(fd, buffer, (size_t)size, 0);
    close(fd);
    if (got != size) { free(buffer); return -5; }
    *out = buffer;
    return (long)size;
}
