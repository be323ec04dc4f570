import Engine
import Synchronization
import System

/// Processes started with `interactive` or `tty` over JSON-RPC, by the ID their `container/started` named: where
/// `input` writes and, for terminals, what `resize` sets.
final class InteractiveSessions: Sendable {
    struct Session: Sendable {
        /// The container's ID, or an exec's own ID.
        let id: String
        /// The container's name (for an exec: the container as the caller named it).
        let name: String
        let tty: Bool
        let process: AttachedProcess
        /// The connection whose client drives it.
        let connectionID: Int
        /// Writes this session's input in the order the requests came.
        let input = InputQueue()
    }

    private let table = Mutex<[String: (session: Session, inputEnded: Bool)]>([:])

    func add(_ s: Session) { table.withLock { $0[s.id] = (s, false) } }

    func remove(_ id: String) { table.withLock { _ = $0.removeValue(forKey: id) } }

    /// The session `spec` names (its ID, a prefix of four characters or more, or its name), unless its input ended.
    func find(_ spec: String) -> (session: Session, inputEnded: Bool)? {
        table.withLock { t in t[spec] ?? t.values.first { $0.session.name == spec || $0.session.id.hasPrefix(spec) && spec.count >= 4 } }
    }

    /// The sessions driven by the client of connection `connectionID`.
    func sessions(of connectionID: Int) -> [Session] {
        table.withLock { t in t.values.map(\.session).filter { $0.connectionID == connectionID } }
    }

    /// Marks the process's stdin as ended; later `input` requests are refused.
    func markInputEnded(_ id: String) {
        table.withLock { t in t[id]?.inputEnded = true }
    }
}

/// One session's input, written in request order: a write may wait until the process reads, and two `input`
/// requests (data, then end of input) must not overtake each other.
final class InputQueue: Sendable {
    private let last = Mutex<Task<Int, Never>?>(nil)

    /// Queues `bytes` (then the end of the input when `eof`) behind what is already queued; the task gives the
    /// count of bytes the process took in.
    func submit(_ bytes: [UInt8], eof: Bool, to process: AttachedProcess) -> Task<Int, Never> {
        last.withLock { previous in
            let before = previous
            let next = Task {
                _ = await before?.value
                var written = 0
                if !bytes.isEmpty {
                    do throws(EstibaError) {
                        try await process.write(bytes)
                        written = bytes.count
                    } catch {
                        written = 0
                    }
                }
                if eof { process.closeInput() }
                return written
            }
            previous = next
            return next
        }
    }
}

extension EstibaService {
    /// A client that will send nothing more drives nothing: its documents are closed, the processes whose input
    /// it was typing get end of input (and a hangup on a terminal), as with Docker when an attached client goes away; they run on to their
    /// end, and `rm` holds.
    public func inputEnded(connectionID: Int) {
        documents.closeAll(connection: connectionID)
        languageSettings.remove(connectionID)
        shutDown.remove(connectionID)
        for session in sessions.sessions(of: connectionID) {
            sessions.markInputEnded(session.id)
            session.process.clientLeft()
        }
    }
}
