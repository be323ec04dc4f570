import Glibc

/// The write end of the self-pipe the signal handler writes to (set once, before handlers are installed).
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

/// Process-level signal set-up for a long-running server.
public enum SignalHandling {
    /// Ignores SIGPIPE and turns SIGINT, SIGTERM and SIGHUP into calls of `onSignal` on a dedicated thread.
    /// The handler only writes the signal number to a pipe, so it is async-signal-safe whatever thread runs it.
    public static func install(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        signal(SIGPIPE, SIG_IGN)
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        signalPipeWrite = fds[1]
        let readEnd = fds[0]
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            var sa = sigaction()
            sa.__sigaction_handler.sa_handler = { sig in
                var b = UInt8(truncatingIfNeeded: sig)
                _ = write(signalPipeWrite, &b, 1)
            }
            sigemptyset(&sa.sa_mask)
            sa.sa_flags = Int32(SA_RESTART)
            sigaction(sig, &sa, nil)
        }
        startThread {
            var b: UInt8 = 0
            while true {
                let n = read(readEnd, &b, 1)
                if n == 1 { onSignal(Int32(b)) } else if n < 0, errno == EINTR { continue } else { return }
            }
        }
    }
}
