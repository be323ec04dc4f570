import System

/// Serves a handler over stdio or a Unix socket until stopped.
public final class RPCServer: @unchecked Sendable {
    let handler: any RPCHandler
    let maxMessageSize: Int
    private let lock = ConditionLock()
    private var connections: [Int: RPCConnection] = [:]
    private var nextConnectionID = 1
    private var stopped = false
    private var exitCode: Int32 = 0
    private var stdioClosed = false
    private var listener: UnixSocketListener?

    public init(handler: any RPCHandler, maxMessageSize: Int = 64 << 20) {
        self.handler = handler
        self.maxMessageSize = maxMessageSize
    }

    /// Stops serving; `serve…` returns `code`.
    public func stop(exitCode code: Int32 = 0) {
        lock.withLock {
            if stopped { return }
            stopped = true
            exitCode = code
            lock.broadcast()
        }
    }

    public var isStopped: Bool { lock.withLock { stopped } }

    /// Serves one client on `input`/`output` (any kind of descriptor: pipe, file, tty, /dev/null).
    /// Returns when the input ends and every request has been answered, or when stopped.
    public func serveStdio(input: Int32 = 0, output: Int32 = 1) -> Int32 {
        let conn = makeConnection(
            input: FileDescriptor(borrowing: input, path: "standard input"),
            output: FileDescriptor(borrowing: output, path: "standard output"), isSocket: false
        ) { [self] _ in
            lock.withLock {
                stdioClosed = true
                lock.broadcast()
            }
        }
        conn.start()
        let code: Int32 = lock.withLock {
            while !stopped, !stdioClosed { lock.wait() }
            return exitCode
        }
        shutDownConnections()
        return code
    }

    /// `serveStdio` for async callers: the wait happens on a thread of its own, so that no thread of the Swift
    /// concurrency pool (one per processor, which the methods' tasks need) is held for the life of the service.
    public func serveStdio(input: Int32 = 0, output: Int32 = 1) async -> Int32 {
        await withCheckedContinuation { done in
            startThread { [self] in done.resume(returning: serveStdio(input: input, output: output)) }
        }
    }

    /// `serveSocket` for async callers (see the async `serveStdio`).
    public func serveSocket(_ listener: UnixSocketListener) async -> Int32 {
        await withCheckedContinuation { done in
            startThread { [self] in done.resume(returning: serveSocket(listener)) }
        }
    }

    /// Listens on `path` and serves every client until stopped; removes the socket file on return.
    public func serveSocket(_ listener: UnixSocketListener) -> Int32 {
        lock.withLock { self.listener = listener }
        startThread { [self] in
            while let client = listener.accept() {
                if isStopped {
                    client.close()
                    break
                }
                makeConnection(input: client, output: client, isSocket: true) { _ in }.start()
            }
        }
        let code: Int32 = lock.withLock {
            while !stopped { lock.wait() }
            return exitCode
        }
        listener.close()
        shutDownConnections()
        return code
    }

    private func makeConnection(
        input: FileDescriptor, output: FileDescriptor, isSocket: Bool, closed: @escaping @Sendable (RPCConnection) -> Void
    ) -> RPCConnection {
        lock.withLock {
            let id = nextConnectionID
            nextConnectionID += 1
            let conn = RPCConnection(
                id: id, input: input, output: output, isSocket: isSocket, handler: handler,
                maxMessageSize: maxMessageSize, stopServer: { [weak self] code in self?.stop(exitCode: code) },
                onClosed: { [weak self] c in
                    self?.lock.withLock { _ = self?.connections.removeValue(forKey: c.id) }
                    closed(c)
                })
            connections[id] = conn
            return conn
        }
    }

    /// Cancels what is running and lets queued replies drain briefly.
    private func shutDownConnections() {
        let all = lock.withLock { Array(connections.values) }
        for c in all { c.finish() }
        for _ in 0..<500 {
            if all.allSatisfy(\.isFlushed) { break }
            sleepThread(nanoseconds: 2_000_000)
        }
        for c in all { c.abort() }
    }
}
