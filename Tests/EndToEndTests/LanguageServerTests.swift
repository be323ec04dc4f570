import EstibaJSON
import Foundation
import Glibc
import Testing

/// `estiba serve --stdio` as an editor's language server: the LSP handshake, document synchronisation (whole and
/// incremental changes, by version) and published diagnostics, with Content-Length framing as editors send it.
@Suite struct LanguageServerTests {
    /// An LSP session on a fresh service (on `root`, or a scratch store).
    final class Session {
        let service: StdioService
        init(root: String? = nil) throws {
            service = try StdioService(arguments: root.map { ["--root", $0, "serve", "--stdio"] } ?? ["serve", "--stdio"], root: root)
        }

        func send(_ message: JSONValue) {
            let body = String(decoding: message.encoded(), as: UTF8.self)
            service.send("Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        /// A notification (`params` left out when nil, as LSP sends `exit`).
        func notify(_ method: String, _ params: JSONValue? = nil) {
            send(params.map { ["jsonrpc": "2.0", "method": .string(method), "params": $0] } ?? ["jsonrpc": "2.0", "method": .string(method)])
        }
        func call(_ id: Int64, _ method: String, _ params: JSONValue? = nil) {
            send(
                params.map { ["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": $0] }
                    ?? ["jsonrpc": "2.0", "id": .int(id), "method": .string(method)])
        }
        /// The next message that is not `skip`ped.
        func next(timeout: TimeInterval = 20) throws -> JSONValue? { try service.reader.frame(timeout: timeout) }
        /// The reply to request `id` (notifications before it are skipped).
        func reply(_ id: Int64) throws -> JSONValue? {
            while let m = try next() { if m["id"] == .int(id), m["method"] == nil { return m } }
            return nil
        }
        /// The next publishDiagnostics for `uri`.
        func diagnostics(_ uri: String) throws -> JSONValue? {
            while let m = try next() {
                if m["method"] == "textDocument/publishDiagnostics", m["params"]?["uri"] == .string(uri) { return m["params"] }
            }
            return nil
        }
    }

    static let uri = "file:///work/ctx/Dockerfile"

    static func codes(_ params: JSONValue?) -> [String] {
        params?["diagnostics"]?.arrayValue?.compactMap { $0["code"]?.stringValue } ?? []
    }

    @Test func anEditorGetsCapabilitiesAndDiagnosticsForEachVersion() throws {
        let s = try Session()
        s.call(1, "initialize", ["processId": .null, "rootUri": .null, "capabilities": [:], "clientInfo": ["name": "test-editor"]])
        let initialized = try #require(try s.next())
        #expect(initialized["id"] == 1)
        let result = try #require(initialized["result"])
        #expect(result["serverInfo"]?["name"] == "estiba")
        #expect(result["capabilities"]?["textDocumentSync"]?["change"] == 2)
        #expect(result["capabilities"]?["textDocumentSync"]?["openClose"] == true)
        #expect(result["methods"]?.arrayValue?.contains("parse") == true, "Estiba's own fields stay")
        s.notify("initialized", [:])

        // Opened: a BuildKit check (FROM ... as: casing) on its line, with its code and link.
        let text = "FROM busybox as base\nRUN echo hi\n"
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        let first = try #require(try s.diagnostics(Self.uri))
        #expect(first["version"] == 1)
        let casing = try #require(first["diagnostics"]?.arrayValue?.first { $0["code"] == "FromAsCasing" })
        #expect(casing["range"]?["start"]?["line"] == 0)
        #expect(casing["severity"] == 2)
        #expect(casing["source"] == "estiba")
        #expect(casing["codeDescription"]?["href"] == "https://docs.docker.com/go/dockerfile/rule/from-as-casing/")

        // An incremental change fixes it ("as" → "AS"): version 2 has no such diagnostic.
        s.notify(
            "textDocument/didChange",
            [
                "textDocument": ["uri": .string(Self.uri), "version": 2],
                "contentChanges": [["range": ["start": ["line": 0, "character": 13], "end": ["line": 0, "character": 15]], "text": "AS"]],
            ])
        let second = try #require(try s.diagnostics(Self.uri))
        #expect(second["version"] == 2)
        #expect(!Self.codes(second).contains("FromAsCasing"), "\(Self.codes(second))")

        // A syntax error, then a burst of versions: the last one published is the last one sent, and no older
        // version is published after a newer one.
        s.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": .string(Self.uri), "version": 3], "contentChanges": [["text": "FROM busybox AS base\nFROBNICATE x\n"]]])
        var versions: [Int64] = []
        var byVersion: [Int64: JSONValue] = [:]
        let third = try #require(try s.diagnostics(Self.uri))
        #expect(third["version"] == 3)
        #expect(Self.codes(third).contains("syntax-error") || Self.codes(third).contains("unknown-instruction"), "\(Self.codes(third))")
        for v in 4...12 {
            s.notify(
                "textDocument/didChange",
                [
                    "textDocument": ["uri": .string(Self.uri), "version": .int(Int64(v))],
                    "contentChanges": [["range": ["start": ["line": 2, "character": 0], "end": ["line": 2, "character": 0]], "text": .string("ENV V\(v)=1\n")]],
                ])
        }
        while versions.last != 12, let p = try s.diagnostics(Self.uri) {
            let v = p["version"]?.intValue ?? -1
            versions.append(v)
            byVersion[v] = p
        }
        #expect(versions.last == 12)
        #expect(versions == versions.sorted(), "\(versions)")
        // The final text is every edit applied in order (each inserted at line 2, so newest first).
        #expect(Self.codes(byVersion[12]).contains("syntax-error") || Self.codes(byVersion[12]).contains("unknown-instruction"))

        // Closed: its diagnostics are cleared.
        s.notify("textDocument/didClose", ["textDocument": ["uri": .string(Self.uri)]])
        let cleared = try #require(try s.diagnostics(Self.uri))
        #expect(cleared["diagnostics"] == [])

        // A change to a closed document is refused (a request here, to see the error).
        s.call(2, "textDocument/didChange", ["textDocument": ["uri": .string(Self.uri), "version": 13], "contentChanges": [["text": ""]]])
        var refused: JSONValue?
        while refused == nil, let m = try s.next() { if m["id"] == 2 { refused = m } }
        #expect(refused?["error"]?["code"] == -32602)

        s.call(3, "shutdown")
        while let m = try s.next(), m["id"] != 3 {}
        s.notify("exit")
        #expect(try s.service.waitForExit() == 0)
    }

    @Test func hoverCompletionAndTheOutlineKnowTheDocumentAndTheStore() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let s = try Session(root: cli.root)
        s.call(1, "initialize", ["capabilities": ["textDocument": ["hover": ["contentFormat": ["markdown", "plaintext"]]]]])
        let capabilities = try #require(try s.reply(1)?["result"]?["capabilities"])
        #expect(capabilities["hoverProvider"] == true && capabilities["documentSymbolProvider"] == true && capabilities["foldingRangeProvider"] == true)
        let text = "ARG V=1.0\nFROM busybox AS base\nENV APP=/srv\nRUN echo $APP\nFROM nothere:1\nCOPY --from=base /srv /srv\n"
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        func hover(_ id: Int64, _ line: Int, _ character: Int) throws -> String {
            s.call(id, "textDocument/hover", ["textDocument": ["uri": .string(Self.uri)], "position": ["line": .int(Int64(line)), "character": .int(Int64(character))]])
            return try s.reply(id)?["result"]?["contents"]?["value"]?.stringValue ?? ""
        }
        #expect(try hover(2, 3, 1).hasPrefix("**RUN**"))
        #expect(try hover(3, 3, 11).contains("**APP** = `/srv`"))
        let image = try hover(4, 1, 7)
        let id = try cli.run(["inspect", "-f", "{{.Id}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(image.contains("`\(id.dropFirst(7).prefix(12))`") && image.contains("linux/"), "\(image)")
        #expect(try hover(5, 4, 7).contains("not in the store"))
        #expect(try hover(6, 5, 14).contains("Stage **base**"))

        s.call(7, "textDocument/completion", ["textDocument": ["uri": .string(Self.uri)], "position": ["line": 4, "character": 5]])
        let items = try #require(try s.reply(7)?["result"]?["items"]?.arrayValue)
        #expect(items.contains { $0["label"] == "busybox:latest" && $0["kind"] == 9 }, "\(items)")
        #expect(items.contains { $0["label"] == "base" && $0["kind"] == 18 })

        s.call(8, "textDocument/documentSymbol", ["textDocument": ["uri": .string(Self.uri)]])
        let symbols = try #require(try s.reply(8)?["result"]?.arrayValue)
        #expect(symbols.compactMap { $0["name"]?.stringValue } == ["ARG V=1.0", "base", "stage 1"])
        #expect(symbols[1]["children"]?.arrayValue?.count == 3)

        s.call(9, "textDocument/foldingRange", ["textDocument": ["uri": .string(Self.uri)]])
        let folds = try #require(try s.reply(9)?["result"]?.arrayValue)
        #expect(folds.contains { $0["startLine"] == 1 && $0["endLine"] == 3 })

        // A feature asked of a document that is not open says so.
        s.call(10, "textDocument/hover", ["textDocument": ["uri": "file:///nowhere"], "position": ["line": 0, "character": 0]])
        #expect(try s.reply(10)?["error"]?["code"] == -32602)
    }

    @Test func quickFixesComeForTheDiagnosticsTheEditorSends() throws {
        let s = try Session()
        s.call(1, "initialize", ["capabilities": [:]])
        #expect(try s.reply(1)?["result"]?["capabilities"]?["codeActionProvider"]?["codeActionKinds"] == ["quickfix"])
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": "FROM busybox as base\n"]])
        let published = try #require(try s.diagnostics(Self.uri))
        let diagnostic = try #require(published["diagnostics"]?.arrayValue?.first { $0["code"] == "FromAsCasing" })
        s.call(2, "textDocument/codeAction", ["textDocument": ["uri": .string(Self.uri)], "range": diagnostic["range"] ?? .null, "context": ["diagnostics": [diagnostic]]])
        let actions = try #require(try s.reply(2)?["result"]?.arrayValue)
        #expect(actions.map { $0["title"]?.stringValue ?? "" } == ["Write 'AS' to match 'FROM'", "Skip the FromAsCasing check in this file"])
        let edit = try #require(actions.first?["edit"]?["changes"]?[Self.uri]?.arrayValue?.first)
        #expect(edit["newText"] == "AS")
        #expect(edit["range"]?["start"]?["character"] == 13 && edit["range"]?["end"]?["character"] == 15)
        #expect(actions.first?["isPreferred"] == true && actions.first?["kind"] == "quickfix")
    }

    @Test func inlayHintsShowWhatTheBuildCacheWouldServeAndWhy() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let context = base + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        let text = "FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b && \\\n    echo done\nENV X=1\n"
        try text.write(toFile: context + "/Dockerfile", atomically: true, encoding: .utf8)
        try "one\n".write(toFile: context + "/a.txt", atomically: true, encoding: .utf8)
        let uri = "file://" + context + "/Dockerfile"
        let s = try Session(root: cli.root)
        s.call(1, "initialize", ["capabilities": [:]])
        #expect(try s.reply(1)?["result"]?["capabilities"]?["inlayHintProvider"] == true)
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        var id: Int64 = 1
        func hints() throws -> [String] {
            id += 1
            s.call(id, "textDocument/inlayHint", ["textDocument": ["uri": .string(uri)], "range": ["start": ["line": 0, "character": 0], "end": ["line": 9, "character": 0]]])
            let list = try s.reply(id)?["result"]?.arrayValue ?? []
            return list.map { "\($0["position"]?["line"]?.intValue ?? -1):\($0["position"]?["character"]?.intValue ?? -1) \($0["label"]?.stringValue ?? "")" }
        }
        #expect(try hints() == ["1:17 not cached: not built before", "3:13 not cached: previous step rebuilt", "4:7 not cached: previous step rebuilt"])
        #expect(try cli.run(["build", "-q", "-t", "hinted:1", context]).status == 0)
        let cached = try hints()
        #expect(cached.count == 3 && cached.allSatisfy { $0.contains(" cached") && !$0.contains("not cached") }, "\(cached)")
        #expect(cached[0].hasPrefix("1:17 cached · "), "\(cached)")
        #expect(cached[2] == "4:7 cached", "\(cached)")
        try "two\n".write(toFile: context + "/a.txt", atomically: true, encoding: .utf8)
        #expect(try hints() == ["1:17 not cached: source changed: a.txt", "3:13 not cached: previous step rebuilt", "4:7 not cached: previous step rebuilt"])
        // A base image the store lacks: one hint says why nothing can be planned.
        s.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": .string(uri), "version": 2], "contentChanges": [["text": "FROM nothere:1\nRUN true\n"]]])
        let missing = try hints()
        #expect(missing.count == 1 && missing[0].contains("not buildable"), "\(missing)")
    }

    @Test func stagesAndVariablesCanBeFollowedAndRenamed() throws {
        let s = try Session()
        s.call(1, "initialize", ["capabilities": [:]])
        let capabilities = try #require(try s.reply(1)?["result"]?["capabilities"])
        #expect(capabilities["definitionProvider"] == true && capabilities["renameProvider"] == true)
        let text = "FROM busybox AS build\nARG OUT=/out\nRUN echo $OUT\nFROM build\nCOPY --from=build /out /out\n"
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        func at(_ line: Int, _ character: Int) -> JSONValue {
            ["textDocument": ["uri": .string(Self.uri)], "position": ["line": .int(Int64(line)), "character": .int(Int64(character))]]
        }
        s.call(2, "textDocument/definition", at(4, 14))
        let definition = try #require(try s.reply(2)?["result"])
        #expect(definition["uri"] == .string(Self.uri) && definition["range"]?["start"]?["line"] == 0 && definition["range"]?["start"]?["character"] == 16)
        s.call(3, "textDocument/references", at(2, 11))
        #expect(try s.reply(3)?["result"]?.arrayValue?.compactMap { $0["range"]?["start"]?["line"]?.intValue } == [1, 2])
        s.call(4, "textDocument/documentHighlight", at(1, 5))
        #expect(try s.reply(4)?["result"]?.arrayValue?.compactMap { $0["kind"]?.intValue } == [3, 2])
        s.call(5, "textDocument/rename", ["textDocument": ["uri": .string(Self.uri)], "position": ["line": 3, "character": 7], "newName": "builder"])
        let edits = try #require(try s.reply(5)?["result"]?["changes"]?[Self.uri]?.arrayValue)
        #expect(edits.count == 3 && edits.allSatisfy { $0["newText"] == "builder" })
        s.call(6, "textDocument/rename", ["textDocument": ["uri": .string(Self.uri)], "position": ["line": 3, "character": 7], "newName": "bad name"])
        #expect(try s.reply(6)?["error"]?["code"] == -32602)
    }

    @Test func tokensAndFormattingComeInLSPShapes() throws {
        let s = try Session()
        s.call(1, "initialize", ["capabilities": [:]])
        let capabilities = try #require(try s.reply(1)?["result"]?["capabilities"])
        #expect(capabilities["semanticTokensProvider"]?["legend"]?["tokenTypes"]?.arrayValue?.first == "keyword")
        #expect(capabilities["documentFormattingProvider"] == true)
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": "from busybox\nrun a \\\n b\n"]])
        s.call(2, "textDocument/semanticTokens/full", ["textDocument": ["uri": .string(Self.uri)]])
        // from (keyword), busybox (class), run (keyword): relative lines and starts.
        #expect(try s.reply(2)?["result"]?["data"] == [0, 0, 4, 0, 0, 0, 5, 7, 4, 0, 1, 0, 3, 0, 0])
        s.call(3, "textDocument/formatting", ["textDocument": ["uri": .string(Self.uri)], "options": ["tabSize": 2, "insertSpaces": true]])
        let edits = try #require(try s.reply(3)?["result"]?.arrayValue)
        #expect(edits.compactMap { $0["newText"]?.stringValue } == ["FROM", "RUN", "  "])
    }

    @Test func theServerWatchesContextFilesAndAsksForFreshHints() throws {
        let s = try Session()
        s.call(1, "initialize", ["capabilities": ["workspace": ["didChangeWatchedFiles": ["dynamicRegistration": true], "inlayHint": ["refreshSupport": true]]]])
        _ = try s.reply(1)
        s.notify("initialized", [:])
        let register = try #require(try s.next())
        #expect(register["method"] == "client/registerCapability")
        #expect(register["params"]?["registrations"]?.arrayValue?.first?["method"] == "workspace/didChangeWatchedFiles")
        let id = try #require(register["id"])
        #expect(id.stringValue?.hasPrefix("estiba-") == true)
        s.send(["jsonrpc": "2.0", "id": id, "result": .null])
        s.notify("workspace/didChangeWatchedFiles", ["changes": [["uri": "file:///work/ctx/a.txt", "type": 2]]])
        let refresh = try #require(try s.next())
        #expect(refresh["method"] == "workspace/inlayHint/refresh")
        s.send(["jsonrpc": "2.0", "id": refresh["id"] ?? .null, "result": .null])
        // The server still answers (the client's replies were taken as answers, not requests).
        s.call(2, "shutdown")
        #expect(try s.reply(2)?["result"] == .null)
    }

    @Test func codeLensesBuildWithProgressAndAFailureLandsOnItsLine() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let context = base + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        let uri = "file://" + context + "/Dockerfile"
        let text = "FROM busybox AS one\nRUN echo one > /one\nFROM one AS two\nRUN cat /one\n"
        let s = try Session(root: cli.root)
        s.call(1, "initialize", ["capabilities": ["window": ["workDoneProgress": true]]])
        #expect(try s.reply(1)?["result"]?["capabilities"]?["executeCommandProvider"]?["commands"] == ["estiba.build", "estiba.run"])
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        s.call(2, "textDocument/codeLens", ["textDocument": ["uri": .string(uri)]])
        let lenses = try #require(try s.reply(2)?["result"]?.arrayValue)
        #expect(lenses.compactMap { $0["command"]?["title"]?.stringValue } == ["Build (0 of 2 steps cached)", "Build to this stage", "Run", "Build to this stage", "Run"])
        #expect(lenses[3]["range"]?["start"]?["line"] == 2 && lenses[3]["command"]?["arguments"] == [.string(uri), "two"])

        // Build to stage one: the client is asked to create a progress token, then gets begin, reports, end.
        s.call(3, "workspace/executeCommand", ["command": "estiba.build", "arguments": [.string(uri), "one"]])
        var request: JSONValue?
        while request == nil, let m = try s.next(timeout: 60) { if m["method"] == "window/workDoneProgress/create" { request = m } }
        let create = try #require(request)
        s.send(["jsonrpc": "2.0", "id": create["id"] ?? .null, "result": .null])
        var kinds: [String] = []
        var shown: String?
        var result: JSONValue?
        while result == nil, let m = try s.next(timeout: 120) {
            if m["method"] == "$/progress" { kinds.append(m["params"]?["value"]?["kind"]?.stringValue ?? "") }
            if m["method"] == "window/showMessage" { shown = m["params"]?["message"]?.stringValue }
            if m["id"] == 3 { result = m }
        }
        #expect(kinds.first == "begin" && kinds.last == "end" && kinds.contains("report"), "\(kinds)")
        let image = try #require(result?["result"]?["image"]?.stringValue)
        #expect(shown == "Built \(image.dropFirst(7).prefix(12))")

        // A failing step: the error comes back and lands on the RUN's line as a diagnostic.
        s.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": .string(uri), "version": 2], "contentChanges": [["text": "FROM busybox\nRUN exit 3\n"]]])
        _ = try s.diagnostics(uri)
        s.call(4, "workspace/executeCommand", ["command": "estiba.build", "arguments": [.string(uri)]])
        var failure: JSONValue?
        var published: JSONValue?
        while failure == nil || published == nil, let m = try s.next(timeout: 120) {
            if m["method"] == "window/workDoneProgress/create" { s.send(["jsonrpc": "2.0", "id": m["id"] ?? .null, "result": .null]) }
            if m["method"] == "textDocument/publishDiagnostics" { published = m["params"] }
            if m["id"] == 4 { failure = m }
        }
        #expect(failure?["error"] != nil)
        let diagnostic = try #require(published?["diagnostics"]?.arrayValue?.first { $0["code"] == "build-failed" })
        #expect(diagnostic["range"]?["start"]?["line"] == 1)
    }

    @Test func diagnosticsKnowTheContextAndTheStore() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let context = base + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try "x".write(toFile: context + "/present.txt", atomically: true, encoding: .utf8)
        try "x".write(toFile: context + "/secret.txt", atomically: true, encoding: .utf8)
        try "secret.txt\n".write(toFile: context + "/.dockerignore", atomically: true, encoding: .utf8)
        let uri = "file://" + context + "/Dockerfile"
        let text = "FROM busybox AS build\nCOPY present.txt missing.txt secret.txt /x/\nFROM nothere:1\nCOPY --from=buidl /a /b\n"
        let s = try Session(root: cli.root)
        s.call(1, "initialize", ["capabilities": ["textDocument": ["hover": ["contentFormat": ["markdown", "plaintext"]]]]])
        _ = try s.reply(1)
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        let published = try #require(try s.diagnostics(uri)?["diagnostics"]?.arrayValue)
        let found = published.map { "\($0["range"]?["start"]?["line"]?.intValue ?? -1):\($0["range"]?["start"]?["character"]?.intValue ?? -1) \($0["code"]?.stringValue ?? "")" }
        #expect(found == ["1:17 missing-source", "1:29 CopyIgnoredFile", "2:0 image-not-local", "3:12 unknown-stage"], "\(found)")
        let ignored = try #require(published.first { $0["code"] == "CopyIgnoredFile" })
        #expect(ignored["message"] == "Attempting to COPY file \"secret.txt\" that is excluded by .dockerignore")
        #expect(published.first { $0["code"] == "unknown-stage" }?["message"]?.stringValue?.contains("(did you mean build?)") == true)

        // Hover on a source: what it selects from the context, after .dockerignore.
        try FileManager.default.createDirectory(atPath: context + "/dir/sub", withIntermediateDirectories: true)
        try "abc".write(toFile: context + "/dir/a", atomically: true, encoding: .utf8)
        try "12345".write(toFile: context + "/dir/sub/b", atomically: true, encoding: .utf8)
        try "no".write(toFile: context + "/dir/skip.log", atomically: true, encoding: .utf8)
        try "secret.txt\ndir/*.log\n".write(toFile: context + "/.dockerignore", atomically: true, encoding: .utf8)
        s.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": .string(uri), "version": 2], "contentChanges": [["text": "FROM busybox\nCOPY present.txt dir secret.txt /x/\n"]]])
        func hover(_ id: Int64, _ character: Int) throws -> String {
            s.call(id, "textDocument/hover", ["textDocument": ["uri": .string(uri)], "position": ["line": 1, "character": .int(Int64(character))]])
            return try s.reply(id)?["result"]?["contents"]?["value"]?.stringValue ?? ""
        }
        #expect(try hover(2, 6) == "**present.txt**: 1 file, 1B")
        #expect(try hover(3, 18) == "**dir**: 2 files, 8B, after .dockerignore")
        #expect(try hover(4, 22) == "**secret.txt** is excluded by .dockerignore: COPY would not find it.")

        // Completion of a source: the context's paths, after .dockerignore, folders with a slash; inside a folder.
        func complete(_ id: Int64, _ line: String) throws -> [String] {
            s.notify(
                "textDocument/didChange",
                ["textDocument": ["uri": .string(uri), "version": .int(id + 10)], "contentChanges": [["text": .string("FROM busybox\n" + line + "\n")]]])
            s.call(id, "textDocument/completion", ["textDocument": ["uri": .string(uri)], "position": ["line": 1, "character": .int(Int64(line.utf16.count))]])
            let items = try s.reply(id)?["result"]?["items"]?.arrayValue ?? []
            return items.map { "\($0["label"]?.stringValue ?? "") \($0["kind"]?.intValue ?? 0)" }
        }
        let top = try complete(5, "COPY ")
        #expect(top == [".dockerignore 17", "dir/ 19", "present.txt 17"], "\(top)")
        #expect(try complete(6, "COPY ./dir/") == ["./dir/a 17", "./dir/sub/ 19"])
        #expect(try complete(7, "COPY --from=build ").isEmpty)
    }

    /// A FROM image the store lacks: its registry is asked (after the first publication), and an image it does not
    /// have becomes an error, one it has stays a hint.
    @Test func aBaseImageNoRegistryHasIsAnError() throws {
        let registry = try PullCommandTests.Registry()
        defer { registry.stop() }
        guard try PullCommandTests().seed(registry, "team/there:1") != nil else { return }
        let s = try Session()
        s.call(1, "initialize", ["capabilities": [:]])
        _ = try s.reply(1)
        let text = "FROM \(registry.host)/team/there:1\nFROM \(registry.host)/team/nothere:1\n"
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        let first = try #require(try s.diagnostics(Self.uri)?["diagnostics"]?.arrayValue)
        #expect(first.map { $0["code"]?.stringValue ?? "" } == ["image-not-local", "image-not-local"], "\(first)")
        let informed = try #require(try s.diagnostics(Self.uri))
        #expect(informed["version"] == 1)
        let found = informed["diagnostics"]?.arrayValue ?? []
        #expect(found.map { "\($0["range"]?["start"]?["line"]?.intValue ?? -1) \($0["code"]?.stringValue ?? "") \($0["severity"]?.intValue ?? 0)" } == ["0 image-not-local 4", "1 image-not-found 1"], "\(found)")
        #expect(found.last?["message"]?.stringValue?.hasPrefix("\(registry.host)/team/nothere:1 is neither in the store nor in its registry: ") == true, "\(found)")
    }

    /// BuildKit's InvalidBaseImagePlatform, which only the store can tell: a FROM whose image is for another
    /// platform than the build's.
    @Test func aBaseImageForAnotherPlatformIsFlagged() throws {
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let arch = try cli.run(["inspect", "-f", "{{.Architecture}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let other = arch == "arm64" ? "amd64" : "arm64"
        let s = try Session(root: cli.root)
        s.call(1, "initialize", ["capabilities": [:]])
        _ = try s.reply(1)
        let text = "FROM --platform=linux/\(other) busybox AS a\nFROM busybox\n"
        s.notify("textDocument/didOpen", ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": .string(text)]])
        let published = try #require(try s.diagnostics(Self.uri)?["diagnostics"]?.arrayValue)
        let flagged = published.filter { $0["code"] == "InvalidBaseImagePlatform" }
        #expect(flagged.count == 1 && flagged.first?["range"]?["start"]?["line"] == 0, "\(published)")
        #expect(
            flagged.first?["message"]?.stringValue == "Base image busybox was pulled with platform \"linux/\(arch)\", expected \"linux/\(other)\" for current build")
        // Skipped like any build check.
        s.notify(
            "textDocument/didChange",
            ["textDocument": ["uri": .string(Self.uri), "version": 2], "contentChanges": [["text": .string("# check=skip=InvalidBaseImagePlatform\n" + text)]]])
        #expect(!Self.codes(try s.diagnostics(Self.uri)).contains("InvalidBaseImagePlatform"))
    }

    @Test func asAUserWhoMayNotUseTheStoreTheDocumentFeaturesStillWork() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("this test runs the server as nobody: it needs root and setpriv") }
            return
        }
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A store only root may use.
        let root = dir.appendingPathComponent("store").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.estiba, "serve", "--stdio"]
        // No service to take over either.
        process.environment = ["ESTIBA_ROOT": root, "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "ESTIBA_HOST": "unix://" + dir.path + "/none.sock"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
        let reader = DescriptorReader(fd: output.fileHandleForReading.fileDescriptor)
        func send(_ m: JSONValue) {
            let body = String(decoding: m.encoded(), as: UTF8.self)
            writeAll(input.fileHandleForWriting.fileDescriptor, Array("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        }
        send(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["capabilities": [:]]])
        send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        send(["jsonrpc": "2.0", "method": "textDocument/didOpen", "params": ["textDocument": ["uri": .string(Self.uri), "languageId": "dockerfile", "version": 1, "text": "FROM busybox as base\n"]]])
        var shown: String?
        var diagnostics: [JSONValue]?
        while shown == nil || diagnostics == nil, let m = try reader.frame(timeout: 20) {
            if m["method"] == "window/showMessage" {
                #expect(shown == nil, "said once")
                shown = m["params"]?["message"]?.stringValue
            }
            if m["method"] == "textDocument/publishDiagnostics" { diagnostics = m["params"]?["diagnostics"]?.arrayValue }
        }
        #expect(shown?.hasPrefix("Estiba's store is out of reach, so image hover and completion, build-cache hints and the Build lenses are off") == true, "\(String(describing: shown))")
        #expect(shown?.contains("No service could take over either") == true && shown?.contains("estiba serve --socket-group GROUP") == true, "\(String(describing: shown))")
        #expect(diagnostics?.contains { $0["code"] == "FromAsCasing" } == true)
        send(["jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": ["textDocument": ["uri": .string(Self.uri)], "position": ["line": 0, "character": 1]]])
        var hover: JSONValue?
        while hover == nil, let m = try reader.frame(timeout: 20) { if m["id"] == 2 { hover = m } }
        // This client declared no Markdown: the hover is plain text.
        #expect(hover?["result"]?["contents"]?["kind"] == "plaintext")
        #expect(hover?["result"]?["contents"]?["value"]?.stringValue?.hasPrefix("FROM") == true, "\(String(describing: hover))")
    }
}
