import EstibaJSON
import Glibc
import System

/// One client: a reader thread that splits and dispatches messages, a writer thread that sends replies.
public final class RPCConnection: @unchecked Sendable {
    public let id: Int
    let input: FileDescriptor
    let output: FileDescriptor
    /// A socket connection (one descriptor both ways, shut down on abort) rather than stdio.
    let isSocket: Bool
    let handler: any RPCHandler
    let maxMessageSize: Int
    let stopServer: @Sendable (Int32) -> Void
    let onClosed: @Sendable (RPCConnection) -> Void

    private let queue = OutputQueue()
    private let lock = ConditionLock()
    /// Replies produced inline while the reader handles one chunk of input; written once per chunk.
    /// Only the reader thread touches it.
    private var inlineReplies: [UInt8] = []
    private var collectingInline = false
    private var mode: FramingMode?
    private var inflight: [Int: Task<Void, Never>] = [:]
    private var idsInFlight: [RPCID: Int] = [:]
    private var nextTaskKey = 0
    /// Requests sent to the client, awaiting its answer, by id.
    private var outgoing: [RPCID: CheckedContinuation<Result<JSONValue, RPCError>, Never>] = [:]
    private var nextOutgoing: Int64 = 0
    private var liveThreads = 2
    private var aborted = false
    private var writerDone = false
    /// The client's input ended (end of file, or a framing error no later message can recover from).
    private var inputDone = false

    init(
        id: Int, input: FileDescriptor, output: FileDescriptor, isSocket: Bool, handler: any RPCHandler, maxMessageSize: Int,
        stopServer: @escaping @Sendable (Int32) -> Void, onClosed: @escaping @Sendable (RPCConnection) -> Void
    ) {
        self.id = id
        self.input = input
        self.output = output
        self.isSocket = isSocket
        self.handler = handler
        self.maxMessageSize = maxMessageSize
        self.stopServer = stopServer
        self.onClosed = onClosed
    }

    func start() {
        startThread { [self] in readLoop() }
        startThread { [self] in writeLoop() }
    }

    /// Cancels everything in flight and unblocks both threads (server stop, broken peer).
    func abort() {
        let tasks: [Task<Void, Never>] = lock.withLock {
            aborted = true
            return Array(inflight.values)
        }
        for t in tasks { t.cancel() }
        failOutgoing()
        if isSocket { shutdown(input.rawValue, Int32(SHUT_RDWR)) }
        queue.close()
    }

    /// Lets queued replies go out, then closes; used when the server stops.
    func finish() {
        if isSocket { shutdown(input.rawValue, Int32(SHUT_RD)) }
        queue.close()
    }

    /// True once every queued reply has been written (or the peer is gone).
    var isFlushed: Bool { lock.withLock { writerDone } }

    // MARK: reading

    private func readLoop() {
        var decoder = FrameDecoder(maxMessageSize: maxMessageSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        reading: while true {
            guard let n = try? input.read(into: buffer), n > 0 else { break }
            decoder.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            if mode == nil, let m = decoder.mode { lock.withLock { mode = m } }
            collectingInline = true
            var fatal = false
            while let event = decoder.next() {
                if mode == nil, let m = decoder.mode { lock.withLock { mode = m } }
                switch event {
                case .message(let bytes):
                    process(bytes)
                case .error(let e):
                    send(RPCMessageDecoder.errorResponse(id: nil, error: e.error), fromReader: true)
                    fatal = e.fatal
                }
                if fatal { break }
            }
            collectingInline = false
            flushInlineReplies()
            if fatal { break reading }
        }
        // Let running requests answer (a client may half-close after sending), then close the output; the handler
        // hears that no more input comes, so work that waits for this client's input can end.
        lock.withLock { inputDone = true }
        failOutgoing()
        handler.inputEnded(connectionID: id)
        lock.withLock {
            while !inflight.isEmpty, !aborted { lock.wait() }
        }
        queue.close()
        threadDone()
    }

    /// Writes the replies gathered while handling one chunk: directly when the writer is idle, else queued
    /// behind what it is writing (replies keep their order either way).
    private func flushInlineReplies() {
        guard !inlineReplies.isEmpty else { return }
        let bytes = inlineReplies
        inlineReplies.removeAll(keepingCapacity: true)
        if queue.claimDirectWrite() {
            let ok = (try? output.writeAll(bytes)) != nil
            queue.doneWriting()
            if !ok { abort() }
        } else {
            queue.push(bytes)
        }
    }

    private func writeLoop() {
        var broken = false
        while let frames = queue.popAll() {
            defer { queue.doneWriting() }
            if broken { continue }
            let ok: Bool
            if frames.count == 1 {
                ok = (try? output.writeAll(frames[0])) != nil
            } else {
                var all = [UInt8]()
                all.reserveCapacity(frames.reduce(0) { $0 + $1.count })
                for f in frames { all.append(contentsOf: f) }
                ok = (try? output.writeAll(all)) != nil
            }
            if !ok {
                broken = true
                abort()
            }
        }
        lock.withLock { writerDone = true }
        threadDone()
    }

    private func threadDone() {
        let last: Bool = lock.withLock {
            liveThreads -= 1
            return liveThreads == 0
        }
        guard last else { return }
        // Closes a socket; stdio's descriptors are borrowed and stay open.
        input.close()
        output.close()
        onClosed(self)
    }

    // MARK: dispatch

    /// Sends a reply or notification. On the reader thread, while it handles input, replies are gathered
    /// and written once per chunk; from tasks they are queued for the writer thread.
    private func send(_ message: JSONValue, fromReader: Bool = false) {
        send(encoded: message.encoded(), fromReader: fromReader)
    }

    /// Messages up to this size may be written by the thread that sends them (a pipe takes this much at once).
    static let directWriteLimit = 4096

    private func send(encoded body: [UInt8], fromReader: Bool = false) {
        let m = lock.withLock { mode } ?? .newline
        let frame = m.frame(body)
        if fromReader, collectingInline {
            inlineReplies.append(contentsOf: frame)
        } else if frame.count <= Self.directWriteLimit, queue.claimDirectWrite() {
            // A small message while nothing is being written: written here when the client has room for it (a
            // write that cannot block), saving the writer thread's wake-up; else queued for the writer.
            guard output.acceptsSmallWriteNow else {
                queue.doneWriting()
                queue.push(frame)
                return
            }
            let ok = (try? output.writeAll(frame)) != nil
            queue.doneWriting()
            if !ok { abort() }
        } else {
            queue.push(frame)
        }
    }

    private func context(for id: RPCID?) -> RPCContext {
        // On a socket, a client's `exit` ends its own connection; the service goes on for the others.
        let stop: @Sendable (Int32) -> Void
        if isSocket {
            stop = { [weak self] _ in self?.finish() }
        } else {
            stop = stopServer
        }
        return RPCContext(
            connectionID: self.id, requestID: id,
            notify: { [weak self] method, params in
                self?.send(RPCMessageDecoder.notification(method: method, params: params))
            },
            notifyEncoded: { [weak self] method, params in
                self?.send(encoded: RPCMessageDecoder.notificationText(method: method, params: params.bytes))
            },
            stop: stop,
            inputEnded: { [weak self] in self?.lock.withLock { self?.inputDone ?? true } ?? true },
            request: { [weak self] method, params in
                guard let self else { return .failure(Self.clientGone) }
                return await self.request(method, params)
            })
    }

    static let clientGone = RPCError(code: RPCErrorCode.internalError, message: "The client is gone; it answers no more requests.")

    /// Sends a request to the client and waits for its answer (the client being gone is an error).
    func request(_ method: String, _ params: JSONValue?) async -> Result<JSONValue, RPCError> {
        await withCheckedContinuation { (c: CheckedContinuation<Result<JSONValue, RPCError>, Never>) in
            let id: RPCID? = lock.withLock {
                guard !inputDone, !aborted else { return nil }
                nextOutgoing += 1
                let id = RPCID.string("estiba-\(nextOutgoing)")
                outgoing[id] = c
                return id
            }
            guard let id else { return c.resume(returning: .failure(Self.clientGone)) }
            send(RPCMessageDecoder.request(id: id, method: method, params: params))
        }
    }

    /// Answers every request still waiting for the client with an error (its input ended).
    private func failOutgoing() {
        let waiting = lock.withLock {
            defer { outgoing = [:] }
            return Array(outgoing.values)
        }
        for c in waiting { c.resume(returning: .failure(Self.clientGone)) }
    }

    private func process(_ bytes: [UInt8]) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            send(RPCMessageDecoder.errorResponse(id: nil, error: RPCErrorCode.parse(error.description)), fromReader: true)
            return
        }
        if case .array(let items) = value {
            processBatch(items)
            return
        }
        switch dispatch(value) {
        case .none: break
        case .reply(let r): send(encoded: r, fromReader: true)
        case .pending(let id, let work):
            spawn(ids: id.map { [$0] } ?? []) { [self] in
                let reply = await work()
                if let reply { send(encoded: reply) }
            }
        }
    }

    private enum Dispatched {
        case none
        /// An encoded reply (compact JSON, no framing).
        case reply([UInt8])
        case pending(RPCID?, @Sendable () async -> [UInt8]?)
    }

    private func dispatch(_ value: JSONValue) -> Dispatched {
        switch RPCMessageDecoder.classify(value) {
        case .response(let id, let result):
            let waiting = id.flatMap { id in lock.withLock { outgoing.removeValue(forKey: id) } }
            waiting?.resume(returning: result)
            return .none
        case .invalid(let error, let id): return .reply(RPCMessageDecoder.errorResponse(id: id, error: error).encoded())
        case .request(let req):
            if req.method == "$/cancelRequest" {
                cancel(req.params?["id"].flatMap(RPCID.init))
                return req.id.map { .reply(RPCMessageDecoder.responseText(id: $0, result: Array("null".utf8))) } ?? .none
            }
            let ctx = context(for: req.id)
            switch handler.handle(req, context: ctx) {
            case .done(let result):
                guard let id = req.id else { return .none }
                return .reply(Self.reply(id, result))
            case .doneEncoded(let text):
                guard let id = req.id else { return .none }
                return .reply(RPCMessageDecoder.responseText(id: id, result: text.bytes))
            case .deferred(let work):
                let id = req.id
                return .pending(id) {
                    let result = await work(ctx)
                    guard let id else { return nil }
                    return Self.reply(id, result)
                }
            case .deferredEncoded(let work):
                let id = req.id
                return .pending(id) {
                    let result = await work(ctx)
                    guard let id else { return nil }
                    switch result {
                    case .success(let text): return RPCMessageDecoder.responseText(id: id, result: text.bytes)
                    case .failure(let e): return RPCMessageDecoder.errorResponse(id: id, error: e).encoded()
                    }
                }
            }
        }
    }

    private static func reply(_ id: RPCID, _ result: Result<JSONValue, RPCError>) -> [UInt8] {
        switch result {
        case .success(let v): return RPCMessageDecoder.responseText(id: id, result: v.encoded())
        case .failure(let e): return RPCMessageDecoder.errorResponse(id: id, error: e).encoded()
        }
    }

    private func processBatch(_ items: [JSONValue]) {
        if items.isEmpty {
            send(RPCMessageDecoder.errorResponse(id: nil, error: RPCErrorCode.invalidRequest("empty batch")), fromReader: true)
            return
        }
        var replies: [[UInt8]?] = []
        var pending: [(Int, @Sendable () async -> [UInt8]?)] = []
        var ids: [RPCID] = []
        for item in items {
            switch dispatch(item) {
            case .none: break
            case .reply(let r): replies.append(r)
            case .pending(let id, let work):
                pending.append((replies.count, work))
                replies.append(nil)
                if let id { ids.append(id) }
            }
        }
        if pending.isEmpty {
            if !replies.isEmpty { send(encoded: Self.jsonArray(replies.compactMap { $0 }), fromReader: true) }
            return
        }
        let ready = replies
        let jobs = pending
        spawn(ids: ids) { [self] in
            var all = ready
            await withTaskGroup(of: (Int, [UInt8]?).self) { group in
                for (slot, work) in jobs { group.addTask { (slot, await work()) } }
                for await (slot, reply) in group { all[slot] = reply }
            }
            let out = all.compactMap { $0 }
            if !out.isEmpty { send(encoded: Self.jsonArray(out)) }
        }
    }

    /// A JSON array of already-encoded elements.
    private static func jsonArray(_ elements: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, e) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: e)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    private func spawn(ids: [RPCID], _ body: @escaping @Sendable () async -> Void) {
        lock.withLock {
            let key = nextTaskKey
            nextTaskKey += 1
            let task = Task.detached { [self] in
                await body()
                lock.withLock {
                    inflight[key] = nil
                    for (id, k) in idsInFlight where k == key { idsInFlight[id] = nil }
                    lock.broadcast()
                }
            }
            // Registered under the lock, so the task's own removal (which takes the lock) always comes after.
            inflight[key] = task
            for id in ids { idsInFlight[id] = key }
        }
    }

    private func cancel(_ id: RPCID?) {
        guard let id else { return }
        let task = lock.withLock { idsInFlight[id].flatMap { inflight[$0] } }
        task?.cancel()
    }
}
