import Glibc
import JSONRPC
import System

/// Connects this process's terminal to a container's: raw mode, both directions relayed, window size followed.
final class TerminalSession: @unchecked Sendable {
    let master: Int32
    private var saved = termios()
    private var rawMode = false
    private let done = ConditionLock()
    private var outputFinished = false

    init(master: Int32) { self.master = master }

    /// Starts relaying (stdin only when `interactive`).
    func start(interactive: Bool) {
        if isatty(0) != 0, tcgetattr(0, &saved) == 0 {
            var raw = saved
            cfmakeraw(&raw)
            tcsetattr(0, TCSANOW, &raw)
            rawMode = true
        }
        resize()
        WindowChanges.onChange { [self] in resize() }
        startThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 32768)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }  // EIO once every process holding the terminal is gone
                var off = 0
                while off < n {
                    let w = buffer.withUnsafeBytes { write(1, $0.baseAddress.map { $0 + off }, n - off) }
                    if w <= 0 { break }
                    off += w
                }
            }
            done.withLock {
                outputFinished = true
                done.broadcast()
            }
        }
        guard interactive else { return }
        startThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                _ = buffer.withUnsafeBytes { write(master, $0.baseAddress, n) }
            }
        }
    }

    /// Waits for the container's last output, then gives the terminal back.
    func finish() {
        done.withLock { while !outputFinished { done.wait() } }
        close(master)
        if rawMode { tcsetattr(0, TCSANOW, &saved) }
    }

    private func resize() {
        var size = winsize()
        if ioctl(0, UInt(TIOCGWINSZ), &size) == 0 { _ = ioctl(master, UInt(TIOCSWINSZ), &size) }
    }
}
