/* estiba-entry: the last step of starting a container's process.
 *
 * The launcher (a copy of the estiba process) finishes the container's set-up, then executes this small static
 * program from a sealed in-memory copy instead of executing the container's command itself. So the process that
 * finally executes the image's program is never the host's estiba binary: an image whose program is a script
 * starting "#!/proc/self/exe" reaches only this sealed copy, never a file on the host it could rewrite.
 *
 * Invocation (only by the launcher): estiba-entry <marker> <error-fd> <command> [args...]
 * It looks the command up in PATH from its environment (like execvpe), executes it, and on failure writes
 * "start the command: <reason>" to the error descriptor and exits 127 (126 when the file cannot be executed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARKER "--estiba-entry-v1"

extern char **environ;

static void report(int fd, const char *what, int err) {
    const char *reason = strerror(err);
    if (fd >= 0) {
        (void)!write(fd, what, strlen(what));
        (void)!write(fd, ": ", 2);
        (void)!write(fd, reason, strlen(reason));
    } else {
        (void)!write(2, "estiba-entry: ", 14);
        (void)!write(2, what, strlen(what));
        (void)!write(2, ": ", 2);
        (void)!write(2, reason, strlen(reason));
        (void)!write(2, "\n", 1);
    }
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[1], MARKER) != 0) {
        /* Not started by the launcher (e.g. through "#!/proc/self/exe" in an image): refuse. */
        report(-1, "this program only starts container processes", EPERM);
        return 126;
    }
    int error_fd = atoi(argv[2]);
    if (error_fd < 3) error_fd = -1;
    if (error_fd >= 0) (void)fcntl(error_fd, F_SETFD, FD_CLOEXEC);
    char **command = argv + 3;
    const char *file = command[0];
    if (strchr(file, '/')) {
        execve(file, command, environ);
        report(error_fd, "start the command", errno);
        return errno == ENOENT ? 127 : 126;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char candidate[4096];
    int saved = ENOENT;
    while (1) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        size_t flen = strlen(file);
        if (len + flen + 2 < sizeof candidate) {
            if (len == 0) {
                memcpy(candidate, file, flen + 1);
            } else {
                memcpy(candidate, path, len);
                candidate[len] = '/';
                memcpy(candidate + len + 1, file, flen + 1);
            }
            execve(candidate, command, environ);
            if (errno != ENOENT && errno != ENOTDIR) saved = errno;
        }
        if (!end) break;
        path = end + 1;
    }
    report(error_fd, "start the command", saved);
    return saved == ENOENT ? 127 : 126;
}
