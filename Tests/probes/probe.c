/* The isolation probe: run in a container, it reports what the container may do (one "name=result" line
   each); "probe host-key CMD..." runs CMD with a secret in a fresh session keyring; "probe id" prints the uids; "probe watch SECONDS" inspects each new process. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

/* "probe watch SECONDS": stops each new process of the container the moment it appears and reports what it can
   see of it: its executable (or the error) and how many descriptors it holds (-1: not readable). */
static int watch(int seconds) {
    static unsigned char seen[1 << 22];
    time_t end = time(NULL) + seconds;
    pid_t self = getpid();
    while (time(NULL) < end) {
        DIR *d = opendir("/proc");
        if (!d) return 1;
        struct dirent *e;
        while ((e = readdir(d))) {
            int pid = atoi(e->d_name);
            if (pid <= 1 || pid == self || pid >= (1 << 22) || seen[pid]) continue;
            seen[pid] = 1;
            kill(pid, SIGSTOP);
            char path[64], exe[512];
            snprintf(path, sizeof path, "/proc/%d/exe", pid);
            ssize_t n = readlink(path, exe, sizeof exe - 1);
            if (n >= 0) exe[n] = 0; else snprintf(exe, sizeof exe, "%s", strerrorname_np(errno));
            snprintf(path, sizeof path, "/proc/%d/fd", pid);
            int fds = -1;
            DIR *f = opendir(path);
            if (f) {
                fds = 0;
                struct dirent *x;
                while ((x = readdir(f))) if (x->d_name[0] != '.') fds++;
                closedir(f);
            }
            /* what a container could take from it: its descriptors, through pidfd_getfd */
            int stolen = 0;
            int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
            if (pidfd >= 0) {
                for (int fd = 0; fd < 64; fd++) {
                    int got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
                    if (got >= 0) { stolen++; close(got); }
                }
                close(pidfd);
            }
            kill(pid, SIGCONT);
            printf("caught pid=%d exe=%s fds=%d stolen=%d\n", pid, exe, fds, stolen);
            fflush(stdout);
        }
        closedir(d);
    }
    return 0;
}

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
    if (argc >= 3 && strcmp(argv[1], "watch") == 0) return watch(atoi(argv[2]));
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
