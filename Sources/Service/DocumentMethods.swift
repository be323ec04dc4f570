import Engine
import EstibaJSON
import JSONRPC

extension EstibaService {
    /// LSP's `initialized` and text document synchronisation: documents are kept per connection and URI, by
    /// version, changed whole or by ranges, and their diagnostics are published after each open and change
    /// (cleared on close).
    static let documentMethods: [ServiceMethod] = [
        ServiceMethod("initialized", acceptsUnknownParams: true, notifications: ["window/showMessage"]) { service, p in
            // A store out of reach (a language server run as a user who may not use it) turns off what needs it:
            // said once, and the rest goes on.
            if let problem = service.engine.storeProblem() {
                p.context.notify(
                    "window/showMessage",
                    [
                        "type": 2,
                        "message": .string(
                            "Estiba's store is out of reach, so image hover and completion, build-cache hints and the Build lenses are off; diagnostics and the other features work. \(problem)"
                                + (service.storeAdvice.map { " " + $0 } ?? "")
                        ),
                    ])
            }
            // Watch the files of build contexts, so cache hints follow changes there.
            guard service.languageSettings.abilities(p.context.connectionID).watchesFiles else { return .done(.success(.null)) }
            let context = p.context
            Task {
                let watchers: JSONValue = [["globPattern": "**/*"]]
                _ = await context.request(
                    ServerRequest.registerCapability,
                    ["registrations": [["id": "estiba-context-files", "method": "workspace/didChangeWatchedFiles", "registerOptions": ["watchers": watchers]]]])
            }
            return .done(.success(.null))
        },
        ServiceMethod("workspace/didChangeWatchedFiles", params: ["changes"], notifications: [LanguageDiagnostics.method]) { service, p throws(RPCError) in
            // A file of a context changed: the diagnostics (a source that appeared or went) and the cache hints of the
            // open documents may have.
            let context = p.context
            for uri in service.documents.uris(connection: context.connectionID) { service.publishDiagnostics(uri, context) }
            Task { await service.refreshCacheViews(context) }
            return .done(.success(.null))
        },
        ServiceMethod("textDocument/didOpen", params: ["textDocument"], notifications: [LanguageDiagnostics.method]) {
            service, p throws(RPCError) in
            let item = try DocumentParams.object(p, "textDocument")
            let document = TextDocument(
                uri: try DocumentParams.string(item, "uri"), version: try DocumentParams.integer(item, "version"),
                text: try DocumentParams.string(item, "text"))
            service.documents.open(document, connection: p.context.connectionID)
            service.publishDiagnostics(document.uri, p.context)
            return .done(.success(.null))
        },
        ServiceMethod("textDocument/didChange", params: ["textDocument", "contentChanges"], notifications: [LanguageDiagnostics.method]) {
            service, p throws(RPCError) in
            let identifier = try DocumentParams.object(p, "textDocument")
            let uri = try DocumentParams.string(identifier, "uri")
            let version = try DocumentParams.integer(identifier, "version")
            guard let changes = try p.value("contentChanges", "an array")?.arrayValue else {
                throw RPCErrorCode.invalidParams("textDocument/didChange needs \"contentChanges\", an array of changes", param: "contentChanges")
            }
            let edits = try changes.map { (c: JSONValue) throws(RPCError) in try DocumentParams.change(c) }
            let changed = service.documents.change(uri, connection: p.context.connectionID, version: version) { document in
                for edit in edits { edit.apply(to: &document) }
            }
            guard changed != nil else {
                throw RPCErrorCode.invalidParams("\(uri) is not open; send textDocument/didOpen first", param: "textDocument")
            }
            service.publishDiagnostics(uri, p.context)
            return .done(.success(.null))
        },
        ServiceMethod("textDocument/didSave", params: ["textDocument", "text"]) { _, p throws(RPCError) in
            _ = try DocumentParams.string(try DocumentParams.object(p, "textDocument"), "uri")
            return .done(.success(.null))
        },
        ServiceMethod("textDocument/didClose", params: ["textDocument"], notifications: [LanguageDiagnostics.method]) {
            service, p throws(RPCError) in
            let uri = try DocumentParams.string(try DocumentParams.object(p, "textDocument"), "uri")
            if service.documents.close(uri, connection: p.context.connectionID) {
                p.context.notify(LanguageDiagnostics.method, encoded: LanguageDiagnostics.params(uri: uri, version: nil, []))
            }
            return .done(.success(.null))
        },
    ]

    /// Publishes the diagnostics of open document `uri` of the caller's connection, for its latest version only:
    /// a change in quick succession waits a moment for the next one, and a newer version cancels the work.
    func publishDiagnostics(_ uri: String, _ context: RPCContext) {
        let connection = context.connectionID
        let documents = documents
        let engine = engine
        let contextDirectory = languageSettings.get(connection).contextDirectory(for: uri)
        documents.schedule(uri, connection: connection) { typing in
            if typing { try? await Task.sleep(nanoseconds: Self.typingPause) }
            guard !Task.isCancelled, let document = documents.document(uri, connection: connection) else { return }
            let diagnostics = await engine.documentDiagnostics(text: document.text, contextDirectory: contextDirectory)
            // Only if this is still the document's version (a newer one publishes its own).
            guard documents.document(uri, connection: connection)?.version == document.version, !Task.isCancelled else { return }
            context.notify(LanguageDiagnostics.method, encoded: LanguageDiagnostics.params(uri: uri, version: document.version, diagnostics))
            // Then the registries of FROM images the store lacks are asked whether they have them (off the typing
            // path: the answers come when they come), and the diagnostics published again with what they said.
            guard await engine.askRegistries(aboutImagesOf: document.text), !Task.isCancelled,
                documents.document(uri, connection: connection)?.version == document.version
            else { return }
            let informed = await engine.documentDiagnostics(text: document.text, contextDirectory: contextDirectory)
            guard informed != diagnostics, documents.document(uri, connection: connection)?.version == document.version, !Task.isCancelled else { return }
            context.notify(LanguageDiagnostics.method, encoded: LanguageDiagnostics.params(uri: uri, version: document.version, informed))
        }
    }

    /// How long diagnostics wait while changes come in quick succession (typing).
    static let typingPause: UInt64 = 15_000_000
}

/// The params of LSP's document notifications, decoded strictly: a missing or mistyped member is -32602.
enum DocumentParams {
    /// One change of `contentChanges`: the whole text, or a range replaced.
    struct Change {
        var range: (start: TextDocument.Position, end: TextDocument.Position)?
        var text: String

        func apply(to document: inout TextDocument) {
            if let range { document.replace(range.start, range.end, with: text) } else { document.text = text }
        }
    }

    static func object(_ p: Params, _ key: String) throws(RPCError) -> JSONValue {
        guard let v = try p.value(key, "an object"), case .object = v else {
            throw RPCErrorCode.invalidParams("\(key) must be an object", param: key)
        }
        return v
    }

    static func string(_ v: JSONValue, _ key: String) throws(RPCError) -> String {
        guard let s = v[key]?.stringValue else { throw RPCErrorCode.invalidParams("\(key) must be a string", param: key) }
        return s
    }

    static func integer(_ v: JSONValue, _ key: String) throws(RPCError) -> Int64 {
        guard let n = v[key]?.intValue else { throw RPCErrorCode.invalidParams("\(key) must be an integer", param: key) }
        return n
    }

    static func position(_ v: JSONValue?, param: String = "contentChanges") throws(RPCError) -> TextDocument.Position {
        guard let v, let line = v["line"]?.intValue, let character = v["character"]?.intValue,
            let l = Int(exactly: line), let c = Int(exactly: character), l >= 0, c >= 0
        else { throw RPCErrorCode.invalidParams("a position needs a non-negative line and character", param: param) }
        return TextDocument.Position(line: l, character: c)
    }

    static func change(_ v: JSONValue) throws(RPCError) -> Change {
        let text = try string(v, "text")
        guard let range = v["range"], !range.isNull else { return Change(range: nil, text: text) }
        let start = try position(range["start"])
        let end = try position(range["end"])
        guard (start.line, start.character) <= (end.line, end.character) else {
            throw RPCErrorCode.invalidParams("a change's range must start before it ends", param: "contentChanges")
        }
        return Change(range: (start, end), text: text)
    }
}
