import Engine
import EstibaJSON
import JSONRPC
import System

extension EstibaService {
    /// The commands code lenses run: build the document (to a stage), or build it and run the result.
    static let buildCommand = "estiba.build"
    static let runCommand = "estiba.run"

    /// Code lenses and the commands they run, through `workspace/executeCommand`: "Build" at the top, "Build to
    /// this stage" and "Run" on each FROM, with work-done progress per step, the image shown on success and the
    /// failing line as a diagnostic on failure.
    static let buildCommandMethods: [ServiceMethod] = [
        ServiceMethod("textDocument/codeLens", params: ["textDocument"], acceptsUnknownParams: true) { service, p throws(RPCError) in
            let (uri, text) = try service.openDocument(p)
            let engine = service.engine
            let settings = service.languageSettings.get(p.context.connectionID)
            let context = settings.contextDirectory(for: uri)
            return .deferred { _ in
                // "Build" says how much of the build the cache would serve (from the same dry run as the hints).
                var title = "Build"
                if let context, engine.storeProblem() == nil {
                    let hints = await engine.cacheHints(text: text, contextDirectory: context, buildArgs: settings.buildArgs, target: settings.target)
                    if !hints.isEmpty { title += " (\(hints.filter { $0.label.hasPrefix("cached") }.count) of \(hints.count) steps cached)" }
                }
                var lenses: [JSONValue] = [lens(0, title, buildCommand, [.string(uri)])]
                for symbol in engine.outline(text: text) where symbol.kind == .stage {
                    let stage = JSONValue.string(symbol.name.hasPrefix("stage ") ? String(symbol.name.dropFirst(6)) : symbol.name)
                    lenses.append(lens(symbol.range.start.line, "Build to this stage", buildCommand, [.string(uri), stage]))
                    lenses.append(lens(symbol.range.start.line, "Run", runCommand, [.string(uri), stage]))
                }
                return .success(.array(lenses))
            }
        },
        ServiceMethod(
            "workspace/executeCommand", params: ["command", "arguments"], acceptsUnknownParams: true,
            notifications: ["$/progress", "window/showMessage", "window/logMessage", LanguageDiagnostics.method]
        ) { service, p throws(RPCError) in
            let command = try p.requiredString("command")
            guard command == buildCommand || command == runCommand else {
                throw RPCErrorCode.invalidParams("Unknown command \(command); the server runs \(buildCommand) and \(runCommand).", param: "command")
            }
            let arguments = try p.value("arguments", "an array")?.arrayValue ?? []
            guard let uri = arguments.first?.stringValue, let document = service.documents.document(uri, connection: p.context.connectionID) else {
                throw RPCErrorCode.invalidParams("\(command) takes the URI of an open document first.", param: "arguments")
            }
            let target = arguments.dropFirst().first?.stringValue
            let settings = service.languageSettings.get(p.context.connectionID)
            guard let contextDirectory = settings.contextDirectory(for: uri) else {
                throw RPCErrorCode.invalidParams("\(uri) is no local file: set the build context in initializationOptions.context.", param: "arguments")
            }
            var build = BuildOptions(contextDirectory: contextDirectory)
            build.dockerfileText = document.text
            build.buildArgs = settings.buildArgs
            build.target = target ?? settings.target
            let options = build
            let run = command == runCommand
            return .deferred { ctx in
                await service.runBuild(options, uri: uri, version: document.version, thenRun: run, ctx)
            }
        },
    ]

    /// The cache changed (a build) or the context did: the hints and the Build lens's count may have, so the
    /// client is asked to fetch them again, each when it can.
    func refreshCacheViews(_ ctx: RPCContext) async {
        let abilities = languageSettings.abilities(ctx.connectionID)
        if abilities.refreshesInlayHints { _ = await ctx.request(ServerRequest.inlayHintRefresh) }
        if abilities.refreshesCodeLenses { _ = await ctx.request(ServerRequest.codeLensRefresh) }
    }

    static func lens(_ line: Int, _ title: String, _ command: String, _ arguments: [JSONValue]) -> JSONValue {
        [
            "range": ["start": ["line": .int(Int64(line)), "character": 0], "end": ["line": .int(Int64(line)), "character": 0]],
            "command": ["title": .string(title), "command": .string(command), "arguments": .array(arguments)],
        ]
    }

    /// Builds (and with `thenRun`, runs the image detached), reporting work-done progress; the result names the
    /// image (and container). A failure is shown and becomes a diagnostic on its line.
    func runBuild(_ options: BuildOptions, uri: String, version: Int64, thenRun: Bool, _ ctx: RPCContext) async -> Result<JSONValue, RPCError> {
        let token = JSONValue.string("estiba-build-\(version)-\(ctx.requestID?.description ?? "")")
        let progress = await ctx.request(ServerRequest.createProgress, ["token": token])
        let reporting = (try? progress.get()) != nil
        if reporting { ctx.notify("$/progress", ["token": token, "value": ["kind": "begin", "title": "Building", "cancellable": false]]) }
        let onEvent: BuildEventHandler = { event in
            guard case .stepStarted(let s) = event else { return }
            // The build's steps in the editor's output (LSP's log messages, type 4).
            ctx.notify("window/logMessage", ["type": 4, "message": .string("Step \(s.step)/\(s.total) : \(s.instruction)")])
            guard reporting else { return }
            let percentage = s.total > 0 ? Int64(100 * (s.step - 1) / s.total) : 0
            ctx.notify(
                "$/progress",
                ["token": token, "value": ["kind": "report", "message": .string("Step \(s.step)/\(s.total): \(s.instruction)"), "percentage": .int(percentage)]])
        }
        func end(_ message: String) {
            if reporting { ctx.notify("$/progress", ["token": token, "value": ["kind": "end", "message": .string(message)]]) }
        }
        do throws(EstibaError) {
            let result = try await engine.build(options, tags: [], onEvent: onEvent)
            guard let image = result.imageID else { throw EstibaError(.internal, "The build made no image.") }
            var answer = JSONObject()
            answer.append("image", .string(image.description))
            var message = "Built \(image.short)"
            if thenRun {
                var run = RunOptions(image: image.description)
                run.detach = true
                run.remove = true
                let started = try await engine.run(run)
                answer.append("container", .string(started.containerID))
                message += "; started container \(started.containerID.prefix(12))"
            }
            end(message)
            ctx.notify("window/showMessage", ["type": 3, "message": .string(message)])
            ctx.notify("window/logMessage", ["type": 3, "message": .string(message)])
            // The cache changed: hints may have.
            await refreshCacheViews(ctx)
            return .success(.object(answer))
        } catch {
            end("Build failed")
            ctx.notify("window/showMessage", ["type": 1, "message": .string(error.message)])
            ctx.notify("window/logMessage", ["type": 1, "message": .string(error.message)])
            if let line = error.line, let text = options.dockerfileText {
                // The document's own diagnostics, and the failure on its line.
                var diagnostics = ((try? engine.parseNow(.text(text)))?.analysis.diagnostics ?? []).map(LanguageDiagnostics.encode)
                let l = JSONValue.int(Int64(max(line - 1, 0)))
                diagnostics.append([
                    "range": ["start": ["line": l, "character": 0], "end": ["line": l, "character": 1000]], "severity": 1, "code": "build-failed",
                    "source": "estiba", "message": .string(error.message),
                ])
                ctx.notify(LanguageDiagnostics.method, ["uri": .string(uri), "version": .int(version), "diagnostics": .array(diagnostics)])
            }
            return .failure(error.rpcError)
        }
    }
}
