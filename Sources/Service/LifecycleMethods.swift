import Engine
import EstibaJSON
import JSONRPC

extension EstibaService {
    /// `initialize`, `shutdown` and `exit`: the handshake and the orderly stop, as in LSP, per client: on a socket
    /// one client's shutdown and exit end its own connection.
    static let lifecycleMethods: [ServiceMethod] = [
        ServiceMethod("initialize", params: ["clientInfo"], acceptsUnknownParams: true) { service, p in
            // An editor's build settings for the language server (context, buildArgs, target).
            if let options = p.object["initializationOptions"] {
                service.languageSettings.set(LanguageSettings(options), connection: p.context.connectionID)
            }
            service.languageSettings.setAbilities(ClientAbilities(p.object["capabilities"]), connection: p.context.connectionID)
            return .doneEncoded(initializeText)
        },
        ServiceMethod("shutdown") { service, p in
            service.shutDown.mark(p.context.connectionID)
            return .done(.success(.null))
        },
        ServiceMethod("exit") { service, p in
            let clean = service.shutDown.contains(p.context.connectionID)
            p.context.stopService(exitCode: clean ? 0 : 1)
            return .done(.success(.null))
        },
    ]

    /// Constant for the life of the process, so encoded once.
    static let initializeText = JSONText(initializeResult)

    static let initializeResult: JSONValue = [
        "name": .string(Engine.name), "version": .string(Engine.version),
        "protocolVersion": .string(protocolVersion),
        "methods": JSONValue(methods + ["$/cancelRequest"]),
        "notifications": JSONValue(notifications),
        "serverInfo": ["name": .string(Engine.name), "version": .string(Engine.version)],
        // LSP's capabilities, with Estiba's own beside them (LSP clients ignore what they do not know).
        "capabilities": [
            "positionEncoding": "utf-16",
            "textDocumentSync": ["openClose": true, "change": 2, "save": ["includeText": false]],
            "hoverProvider": true,
            "completionProvider": ["triggerCharacters": ["-", "=", "$", "{"]],
            "documentSymbolProvider": true,
            "codeActionProvider": ["codeActionKinds": ["quickfix"]],
            "foldingRangeProvider": true,
            "inlayHintProvider": true,
            "definitionProvider": true,
            "referencesProvider": true,
            "documentHighlightProvider": true,
            "renameProvider": true,
            "semanticTokensProvider": ["legend": LanguageEncoding.tokenLegend, "full": true],
            "documentFormattingProvider": true,
            "codeLensProvider": ["resolveProvider": false],
            "executeCommandProvider": ["commands": [.string(buildCommand), .string(runCommand)]],
            "framing": ["content-length", "newline"],
            "maxMessageSize": .int(64 << 20),
            "concurrentRequests": true,
            "cancellation": true,
        ],
    ]
}
