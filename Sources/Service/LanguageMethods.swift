import Engine
import EstibaJSON
import JSONRPC

extension EstibaService {
    /// LSP's document features on open documents: hover, completion, quick fixes, the outline and folding.
    static let languageMethods: [ServiceMethod] = [
        ServiceMethod("textDocument/hover", params: positionParams, acceptsUnknownParams: true) { service, p throws(RPCError) in
            let (uri, text, position) = try service.documentAndPosition(p)
            let engine = service.engine
            let context = service.languageSettings.get(p.context.connectionID).contextDirectory(for: uri)
            let markdown = service.languageSettings.abilities(p.context.connectionID).markdownHover
            return .deferred { _ in
                guard let hover = await engine.hover(text: text, at: position, contextDirectory: context) else { return .success(.null) }
                return .success(["contents": LanguageEncoding.markup(hover.markdown, markdown: markdown), "range": LanguageDiagnostics.range(hover.range)])
            }
        },
        ServiceMethod("textDocument/completion", params: positionParams.union(["context"]), acceptsUnknownParams: true) {
            service, p throws(RPCError) in
            let (uri, text, position) = try service.documentAndPosition(p)
            let engine = service.engine
            let context = service.languageSettings.get(p.context.connectionID).contextDirectory(for: uri)
            let markdown = service.languageSettings.abilities(p.context.connectionID).markdownCompletion
            return .deferred { _ in
                let found = await engine.completions(text: text, at: position, contextDirectory: context)
                return .success(["isIncomplete": false, "items": .array(found.candidates.map { LanguageEncoding.completionItem($0, markdown: markdown) })])
            }
        },
        ServiceMethod("textDocument/codeAction", params: ["textDocument", "range", "context"], acceptsUnknownParams: true) {
            service, p throws(RPCError) in
            let (uri, text) = try service.openDocument(p)
            let diagnostics = try p.value("context", "an object")?["diagnostics"]?.arrayValue ?? []
            var actions: [JSONValue] = []
            for d in diagnostics {
                guard let code = d["code"]?.stringValue, let range = try? LanguageEncoding.range(d["range"]) else { continue }
                for fix in service.engine.fixes(text: text, code: code, range: range) {
                    actions.append(LanguageEncoding.codeAction(fix, uri: uri, diagnostic: d))
                }
            }
            return .done(.success(.array(actions)))
        },
        ServiceMethod("textDocument/inlayHint", params: ["textDocument", "range"], acceptsUnknownParams: true) { service, p throws(RPCError) in
            let (uri, text) = try service.openDocument(p)
            let settings = service.languageSettings.get(p.context.connectionID)
            guard let context = settings.contextDirectory(for: uri) else { return .done(.success([])) }
            let engine = service.engine
            // Work-done progress when the client gives a token (LSP's WorkDoneProgressParams): the dry run reads
            // the context and the cache.
            let token = p.object["workDoneToken"].flatMap { $0.stringValue != nil || $0.intValue != nil ? $0 : nil }
            return .deferred { ctx in
                if let token { ctx.notify("$/progress", ["token": token, "value": ["kind": "begin", "title": "Checking the build cache", "cancellable": false]]) }
                let hints = await engine.cacheHints(text: text, contextDirectory: context, buildArgs: settings.buildArgs, target: settings.target)
                if let token {
                    let cached = hints.filter { $0.label.hasPrefix("cached") }.count
                    ctx.notify("$/progress", ["token": token, "value": ["kind": "end", "message": .string("\(cached) of \(hints.count) steps cached")]])
                }
                let lineLengths = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.utf16.count }
                return .success(.array(hints.map { LanguageEncoding.inlayHint($0, lineLengths: lineLengths) }))
            }
        },
        ServiceMethod("workspace/didChangeConfiguration", params: ["settings"]) { service, p throws(RPCError) in
            if let settings = try p.value("settings", "an object")?["estiba"] {
                service.languageSettings.set(LanguageSettings(settings), connection: p.context.connectionID)
            }
            return .done(.success(.null))
        },
        ServiceMethod("textDocument/definition", params: positionParams, acceptsUnknownParams: true) { service, p throws(RPCError) in
            let (uri, text, position) = try service.documentAndPosition(p)
            guard let found = service.engine.navigation(text: text, at: position), let d = found.definition else { return .done(.success(.null)) }
            return .done(.success(["uri": .string(uri), "range": LanguageDiagnostics.range(d)]))
        },
        ServiceMethod("textDocument/references", params: positionParams.union(["context"]), acceptsUnknownParams: true) {
            service, p throws(RPCError) in
            let (uri, text, position) = try service.documentAndPosition(p)
            let withDeclaration = try p.value("context", "an object")?["includeDeclaration"]?.boolValue ?? true
            guard let found = service.engine.navigation(text: text, at: position) else { return .done(.success([])) }
            let ranges = found.occurrences.filter { withDeclaration || !found.declarations.contains($0) }
            return .done(.success(.array(ranges.map { ["uri": .string(uri), "range": LanguageDiagnostics.range($0)] })))
        },
        ServiceMethod("textDocument/documentHighlight", params: positionParams, acceptsUnknownParams: true) { service, p throws(RPCError) in
            let (_, text, position) = try service.documentAndPosition(p)
            guard let found = service.engine.navigation(text: text, at: position) else { return .done(.success([])) }
            // LSP's DocumentHighlightKind: 3 write (a declaration), 2 read.
            return .done(
                .success(.array(found.occurrences.map { ["range": LanguageDiagnostics.range($0), "kind": found.declarations.contains($0) ? 3 : 2] })))
        },
        ServiceMethod("textDocument/rename", params: positionParams.union(["newName"]), acceptsUnknownParams: true) { service, p throws(RPCError) in
            let (uri, text, position) = try service.documentAndPosition(p)
            let newName = try p.requiredString("newName")
            guard !newName.isEmpty, newName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }) else {
                throw RPCErrorCode.invalidParams("\"\(newName)\" is not a valid stage or variable name", param: "newName")
            }
            guard let found = service.engine.navigation(text: text, at: position) else {
                throw RPCErrorCode.invalidParams("There is no stage name or variable at that position to rename.", param: "position")
            }
            var changes = JSONObject()
            changes.append(uri, .array(found.occurrences.map { ["range": LanguageDiagnostics.range($0), "newText": .string(newName)] }))
            return .done(.success(["changes": .object(changes)]))
        },
        ServiceMethod("textDocument/semanticTokens/full", params: ["textDocument"], acceptsUnknownParams: true) { service, p throws(RPCError) in
            let text = try service.openDocument(p).text
            return .done(.success(["data": .array(LanguageEncoding.tokenData(service.engine.semanticTokens(text: text)))]))
        },
        ServiceMethod("textDocument/formatting", params: ["textDocument", "options"], acceptsUnknownParams: true) { service, p throws(RPCError) in
            let text = try service.openDocument(p).text
            let options = try p.value("options", "an object")
            let size = options?["tabSize"]?.intValue.flatMap { Int(exactly: $0) }.map { min(max($0, 1), 16) } ?? 4
            let indent = options?["insertSpaces"]?.boolValue == false ? "\t" : String(repeating: " ", count: size)
            let edits = service.engine.formattingEdits(text: text, indent: indent)
            return .done(.success(.array(edits.map { ["range": LanguageDiagnostics.range($0.range), "newText": .string($0.newText)] })))
        },
        ServiceMethod("textDocument/documentSymbol", params: ["textDocument"], acceptsUnknownParams: true) { service, p throws(RPCError) in
            let text = try service.openDocument(p).text
            return .done(.success(.array(service.engine.outline(text: text).map(LanguageEncoding.symbol))))
        },
        ServiceMethod("textDocument/foldingRange", params: ["textDocument"], acceptsUnknownParams: true) { service, p throws(RPCError) in
            let text = try service.openDocument(p).text
            return .done(.success(.array(service.engine.foldingRegions(text: text).map(LanguageEncoding.folding))))
        },
    ]

    static let positionParams: Set<String> = ["textDocument", "position"]

    /// The URI and text of the open document the params name.
    func openDocument(_ p: Params) throws(RPCError) -> (uri: String, text: String) {
        let uri = try DocumentParams.string(try DocumentParams.object(p, "textDocument"), "uri")
        guard let document = documents.document(uri, connection: p.context.connectionID) else {
            throw RPCErrorCode.invalidParams("\(uri) is not open; send textDocument/didOpen first", param: "textDocument")
        }
        return (uri, document.text)
    }

    /// The open document the params name, and the position in it.
    func documentAndPosition(_ p: Params) throws(RPCError) -> (uri: String, text: String, position: SourcePosition) {
        let (uri, text) = try openDocument(p)
        let position = try DocumentParams.position(try p.value("position", "an object"), param: "position")
        return (uri, text, SourcePosition(line: position.line, character: position.character))
    }
}

/// Engine's answers in LSP's shapes.
enum LanguageEncoding {
    /// LSP's CompletionItemKind: Keyword 14, Field 5, Reference 18, Variable 6, Module 9, File 17, Folder 19.
    static func completionItem(_ c: CompletionCandidate, markdown: Bool) -> JSONValue {
        let kind: Int64
        switch c.kind {
        case .keyword: kind = 14
        case .flag: kind = 5
        case .stage: kind = 18
        case .variable: kind = 6
        case .image: kind = 9
        case .file: kind = 17
        case .folder: kind = 19
        }
        var o = JSONObject()
        o.append("label", .string(c.label))
        o.append("kind", .int(kind))
        if let d = c.detail { o.append("detail", .string(d)) }
        if let d = c.documentation { o.append("documentation", markup(d, markdown: markdown)) }
        if let t = c.insertText { o.append("insertText", .string(t)) }
        return .object(o)
    }

    /// LSP's MarkupContent: the Markdown as it is, or as plain text for a client that shows no Markdown (without
    /// the emphasis and code marks, links as their text and address).
    static func markup(_ markdown: String, markdown shown: Bool) -> JSONValue {
        if shown { return ["kind": "markdown", "value": .string(markdown)] }
        let plain = markdown.replacing("**", with: "").replacing("`", with: "")
        // [text](address) → text (address)
        var out = ""
        var rest = plain[...]
        while let open = rest.firstIndex(of: "[") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "]"), rest.index(after: close) < rest.endIndex,
                rest[rest.index(after: close)] == "(", let end = rest[close...].firstIndex(of: ")")
            else {
                out.append("[")
                rest = rest[afterOpen...]
                continue
            }
            out += rest[afterOpen..<close] + " (" + rest[rest.index(close, offsetBy: 2)..<end] + ")"
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        return ["kind": "plaintext", "value": .string(out)]
    }

    /// LSP's SymbolKind: Namespace 3 for a stage, Function 12 for an instruction, Variable 13 for an ARG.
    static func symbol(_ s: OutlineSymbol) -> JSONValue {
        let kind: Int64
        switch s.kind {
        case .stage: kind = 3
        case .instruction: kind = 12
        case .variable: kind = 13
        }
        var o = JSONObject()
        o.append("name", .string(s.name))
        if let d = s.detail { o.append("detail", .string(d)) }
        o.append("kind", .int(kind))
        o.append("range", LanguageDiagnostics.range(s.range))
        o.append("selectionRange", LanguageDiagnostics.range(s.selectionRange))
        o.append("children", .array(s.children.map(symbol)))
        return .object(o)
    }

    /// A quick fix as LSP's CodeAction, with its edits for document `uri`.
    static func codeAction(_ fix: DocumentFix, uri: String, diagnostic: JSONValue) -> JSONValue {
        let edits: [JSONValue] = fix.edits.map { ["range": LanguageDiagnostics.range($0.range), "newText": .string($0.newText)] }
        var changes = JSONObject()
        changes.append(uri, .array(edits))
        return [
            "title": .string(fix.title), "kind": "quickfix", "diagnostics": [diagnostic], "isPreferred": .bool(fix.isPreferred),
            "edit": ["changes": .object(changes)],
        ]
    }

    /// An LSP range from a client.
    static func range(_ v: JSONValue?) throws(RPCError) -> SourceRange {
        let start = try DocumentParams.position(v?["start"], param: "context")
        let end = try DocumentParams.position(v?["end"], param: "context")
        return SourceRange(
            start: SourcePosition(line: start.line, character: start.character), end: SourcePosition(line: end.line, character: end.character))
    }

    /// A cache hint at the end of its line (`lineLengths`: the document's lines, in UTF-16 units).
    static func inlayHint(_ h: CacheHint, lineLengths: [Int]) -> JSONValue {
        let line = lineLengths.indices.contains(h.line) ? lineLengths[h.line] : 0
        var o = JSONObject()
        o.append("position", ["line": .int(Int64(h.line)), "character": .int(Int64(line))])
        o.append("label", .string(h.label))
        o.append("paddingLeft", true)
        if let t = h.tooltip { o.append("tooltip", .string(t)) }
        return .object(o)
    }

    /// The legend `semanticTokensProvider` announces.
    static let tokenLegend: JSONValue = [
        "tokenTypes": .array(SemanticToken.Kind.allCases.map { .string($0.name) }), "tokenModifiers": ["declaration"],
    ]

    /// Tokens as LSP's relative integers: line delta, start delta, length, type, modifiers.
    static func tokenData(_ tokens: [SemanticToken]) -> [JSONValue] {
        var data: [JSONValue] = []
        var line = 0
        var start = 0
        for t in tokens {
            let deltaLine = t.line - line
            let deltaStart = deltaLine == 0 ? t.start - start : t.start
            data += [.int(Int64(deltaLine)), .int(Int64(deltaStart)), .int(Int64(t.length)), .int(Int64(t.kind.rawValue)), .int(t.isDeclaration ? 1 : 0)]
            line = t.line
            start = t.start
        }
        return data
    }

    static func folding(_ f: FoldingRegion) -> JSONValue {
        ["startLine": .int(Int64(f.startLine)), "endLine": .int(Int64(f.endLine)), "kind": f.isComment ? "comment" : "region"]
    }
}
