import System

/// Process-level signal set-up for a long-running server.
public enum SignalHandling {
    /// Ignores SIGPIPE (a client that goes away fails a write instead of ending the server) and turns SIGINT,
    /// SIGTERM and SIGHUP into calls of `onSignal` on a dedicated thread.
    public static func install(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        Signals.ignore(.pipe)
        try? Signals.onDelivery(of: [.interrupt, .terminate, .hangup]) { onSignal($0.rawValue) }
    }
}
