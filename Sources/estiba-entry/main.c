/* estiba-entry: the last step of starting a container's process.
 *
 * The launcher (a copy of the estiba process) finishes the container's set-up, looks the command up, then
 * executes this small static program through a private read-only mount (or a sealed in-memory copy) instead of
 * executing the command itself. So the process that finally executes the image's program is never the host's
 * estiba binary: an image whose program is a script starting "#!/proc/self/exe" reaches only this program, which
 * refuses to run, and nothing can be written through /proc/N/exe. It holds no descriptor of the engine's.
 *
 * Invocation (only by the launcher): estiba-entry <marker> <path> <argv0> [args...]
 * On failure it says why on stderr and exits 127 (not found) or 126 (cannot be executed), like a shell.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define MARKER "--estiba-entry-v1"

extern char **environ;

static void say(const char *a, const char *b, const char *c) {
    (void)!write(2, "estiba-entry: ", 14);
    (void)!write(2, a, strlen(a));
    (void)!write(2, b, strlen(b));
    (void)!write(2, c, strlen(c));
    (void)!write(2, "\n", 1);
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[1], MARKER) != 0) {
        /* Not started by the launcher (e.g. through "#!/proc/self/exe" in an image): refuse. */
        say("this program only starts container processes", "", "");
        return 126;
    }
    execve(argv[2], argv + 3, environ);
    int e = errno;
    say("cannot run ", argv[2], e == ENOENT ? ": No such file or directory" : e == EACCES ? ": Permission denied" : ": exec failed");
    return e == ENOENT ? 127 : 126;
}
