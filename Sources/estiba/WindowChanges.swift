import Glibc
import JSONRPC
import System

/// The pipe SIGWINCH's handler writes to.
nonisolated(unsafe) private var windowPipe: [Int32] = [-1, -1]

/// SIGWINCH → a callback on a dedicated thread (the handler only writes to a pipe).
enum WindowChanges {
    static func onChange(_ body: @escaping @Sendable () -> Void) {
        guard pipe(&windowPipe) == 0 else { return }
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = { _ in
            var b: UInt8 = 1
            _ = write(windowPipe[1], &b, 1)
        }
        sigemptyset(&sa.sa_mask)
        sa.sa_flags = Int32(SA_RESTART)
        sigaction(SIGWINCH, &sa, nil)
        let readEnd = windowPipe[0]
        startThread {
            var b: UInt8 = 0
            while read(readEnd, &b, 1) == 1 { body() }
        }
    }
}
