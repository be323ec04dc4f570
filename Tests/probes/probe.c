/* The isolation probe: run in a container, it reports what the container may do (one "name=result" line
   each); "probe host-key CMD..." runs CMD with a secret in a fresh session keyring; "probe id" prints the uids. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long rc) { printf("%s=%s\n", what, rc < 0 ? strerrorname_np(errno) : "ok"); }

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "host-key") == 0) {
        /* On the host: a fresh session keyring holding a secret, then the rest of the command line. */
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0) < 0) { perror("join"); return 2; }
        if (syscall(SYS_add_key, "user", "estiba-probe-secret", "s3cret", 6, KEY_SPEC_SESSION_KEYRING) < 0) { perror("add_key"); return 2; }
        execv(argv[2], argv + 2);
        perror("execv");
        return 2;
    }
    if (argc >= 2 && strcmp(argv[1], "id") == 0) {
        printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
        return 0;
    }
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        int n = 0;
        if (sscanf(line, "Seccomp: %d", &n) == 1) printf("seccomp=%d\n", n);
        if (sscanf(line, "NoNewPrivs: %d", &n) == 1) printf("nnp=%d\n", n);
    }
    if (f) fclose(f);
    show("find-key", syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", "estiba-probe-secret", 0));
    show("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
    show("add_key", syscall(SYS_add_key, "user", "k", "v", 1, KEY_SPEC_PROCESS_KEYRING));
    show("unshare-user", syscall(SYS_unshare, CLONE_NEWUSER));
    struct perf_event_attr pe;
    memset(&pe, 0, sizeof pe);
    pe.size = sizeof pe;
    pe.type = PERF_TYPE_SOFTWARE;
    pe.config = PERF_COUNT_SW_CPU_CLOCK;
    show("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0));
    show("pidfd_getfd", syscall(SYS_pidfd_getfd, 0, 0, 0));
    show("setns", syscall(SYS_setns, 0, 0));
    show("ptrace", syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
    return 0;
}
