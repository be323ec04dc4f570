import Synchronization
import System

/// The documents editors have open, per connection and URI, with the diagnostics work under way for each: a
/// newer version cancels the work on an older one, so only the latest text is ever published.
final class OpenDocuments: Sendable {
    private struct Key: Hashable {
        let connection: Int
        let uri: String
    }

    private struct Entry {
        var document: TextDocument
        var diagnostics: Task<Void, Never>?
        /// When diagnostics were last scheduled (monotonic nanoseconds): a quick succession is typing, and waits.
        var lastScheduled: UInt64 = 0
    }

    private let entries = Mutex<[Key: Entry]>([:])

    /// Opens (or reopens) a document.
    func open(_ document: TextDocument, connection: Int) {
        let old = entries.withLock { $0.updateValue(Entry(document: document), forKey: Key(connection: connection, uri: document.uri)) }
        old?.diagnostics?.cancel()
    }

    /// Applies `edit` to the open document `uri` and gives it `version`; returns the new document, or nil when it
    /// is not open.
    func change(_ uri: String, connection: Int, version: Int64, _ edit: (inout TextDocument) -> Void) -> TextDocument? {
        entries.withLock { all in
            let key = Key(connection: connection, uri: uri)
            guard var entry = all[key] else { return nil }
            edit(&entry.document)
            entry.document.version = version
            all[key] = entry
            return entry.document
        }
    }

    /// The open document `uri`.
    func document(_ uri: String, connection: Int) -> TextDocument? {
        entries.withLock { $0[Key(connection: connection, uri: uri)]?.document }
    }

    /// The URIs a connection has open.
    func uris(connection: Int) -> [String] {
        entries.withLock { all in all.keys.filter { $0.connection == connection }.map(\.uri) }
    }

    /// Closes a document, cancelling its work; whether it was open.
    @discardableResult
    func close(_ uri: String, connection: Int) -> Bool {
        let old = entries.withLock { $0.removeValue(forKey: Key(connection: connection, uri: uri)) }
        old?.diagnostics?.cancel()
        return old != nil
    }

    /// Closes every document of a connection that ended.
    func closeAll(connection: Int) {
        let gone = entries.withLock { all in
            let keys = all.keys.filter { $0.connection == connection }
            return keys.compactMap { all.removeValue(forKey: $0) }
        }
        for entry in gone { entry.diagnostics?.cancel() }
    }

    /// Starts `work` as the document's diagnostics task, cancelling the one before; `work` is told whether
    /// changes are coming in quick succession (so it may wait for the next before it runs).
    func schedule(_ uri: String, connection: Int, _ work: @escaping @Sendable (_ typing: Bool) async -> Void) {
        let now = Clocks.monotonicNanoseconds
        entries.withLock { all in
            let key = Key(connection: connection, uri: uri)
            guard var entry = all[key] else { return }
            entry.diagnostics?.cancel()
            let typing = now &- entry.lastScheduled < 100_000_000
            entry.lastScheduled = now
            entry.diagnostics = Task { await work(typing) }
            all[key] = entry
        }
    }
}
