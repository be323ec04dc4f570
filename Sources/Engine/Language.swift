import Dispatch
import Dockerfile
import Synchronization
import ImageStore
import System

/// What an editor shows on hover: Markdown about the range under the pointer.
public struct HoverInfo: Sendable, Equatable {
    public var markdown: String
    public var range: SourceRange
}

/// Completions at a position: the partial word typed so far and what may replace it.
public struct Completions: Sendable, Equatable {
    public var prefix: String
    public var candidates: [CompletionCandidate]
}

extension Engine {
    /// The questions an editor asks of a Dockerfile's text, on its analysis.
    static func query(_ text: String) -> DocumentQuery {
        if let known = recentQueries.withLock({ $0.first { $0.text == text }?.query }) { return known }
        let query = DocumentQuery(text: text, analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
        let evicted = recentQueries.withLock { recent -> (text: String, query: DocumentQuery)? in
            recent.removeAll { $0.text == text }
            recent.insert((text, query), at: 0)
            return recent.count > 4 ? recent.removeLast() : nil
        }
        // Freeing a large document's tree takes a while: not on the way to the answer.
        if let evicted { DispatchQueue.global(qos: .utility).async { withExtendedLifetime(evicted) {} } }
        return query
    }

    /// The last few texts asked about, parsed: an editor asks several questions of each version of a document
    /// (diagnostics, its registries, hints, lenses, hover), and a text is parsed once for all of them.
    private static let recentQueries = Mutex<[(text: String, query: DocumentQuery)]>([])

    /// The ignore file a build of the document being edited (given as text) applies, if it reads.
    static func dockerignore(_ contextDirectory: String) -> Dockerignore? {
        try? Dockerignore.forBuild(contextDirectory: contextDirectory, dockerfilePath: nil, textOnly: true)
    }

    /// Explains what `position` of a Dockerfile's `text` is on: an instruction or flag, a variable's value at that
    /// point, FROM's image as the store has it (or that it would be pulled), a stage.
    public func hover(text: String, at position: SourcePosition, contextDirectory: String? = nil) async -> HoverInfo? {
        let query = Self.query(text)
        guard let target = query.target(at: position) else { return nil }
        switch target {
        case .keyword(let k, let r):
            return HoverInfo(markdown: "**\(k.name)**\n\n\(InstructionHelp.summary(k))\n\n[Dockerfile reference](\(InstructionHelp.link(k)))", range: r)
        case .flag(let name, let k, let r):
            let text = InstructionHelp.flag(name, of: k) ?? "\(k.name) takes no flag --\(name)."
            return HoverInfo(markdown: "**--\(name)** (\(k.name))\n\n\(text)\n\n[Dockerfile reference](\(InstructionHelp.link(k)))", range: r)
        case .variable(let name, let i, let r):
            guard let v = query.variables(at: i).first(where: { $0.name == name }) else {
                return HoverInfo(markdown: "**\(name)** is not set at this point (no ARG or ENV declares it before this line).", range: r)
            }
            let value = v.value.map { "`\($0)`" } ?? "no default (set it with `--build-arg \(name)=…`)"
            return HoverInfo(markdown: "**\(name)** = \(value)\n\nset by \(v.keyword.name) on line \(v.line + 1)", range: r)
        case .stage(let name, let r):
            guard let stage = query.analysis.stages.first(where: { $0.name == name }) else {
                return HoverInfo(markdown: "No stage is named **\(name)** before this line.", range: r)
            }
            let line = query.analysis.parsed.ranges[stage.firstInstruction].start.line + 1
            return HoverInfo(markdown: "Stage **\(name)**: `FROM \(stage.baseImage)`, line \(line)", range: r)
        case .baseImage(let reference, let r):
            return HoverInfo(markdown: await imageHover(reference), range: r)
        case .contextSource(let path, let keyword, let r):
            guard let contextDirectory else { return nil }
            return HoverInfo(markdown: Self.sourceHover(path, keyword: keyword, contextDirectory: contextDirectory), range: r)
        }
    }

    /// What a COPY/ADD source selects from the context: its files (honouring `.dockerignore`) and their size.
    static func sourceHover(_ path: String, keyword: InstructionKeyword, contextDirectory: String) -> String {
        let ignore = Self.dockerignore(contextDirectory)
        let relative = String(PathClean.clean(path).drop { $0 == "/" })
        let name = relative.isEmpty ? "." : relative
        if name != ".", ignore?.excludes(name) == true { return "**\(path)** is excluded by .dockerignore: \(keyword.name) would not find it." }
        guard let status = try? Files.status(contextDirectory + "/" + name, followLinks: false) else {
            return "**\(path)** is not in the build context \(contextDirectory)."
        }
        guard status.kind == .directory else { return "**\(path)**: 1 file, \(readableSize(status.size))" }
        // A walk of the directory, bounded so a huge tree does not hold up the editor.
        var files = 0
        var bytes: Int64 = 0
        var pending = [name]
        var visited = 0
        while let dir = pending.popLast(), visited < 100_000 {
            guard let entries = try? FileDescriptor.open(contextDirectory + "/" + dir, .directory).entries() else { continue }
            for entry in entries {
                visited += 1
                let child = dir == "." ? entry.name : dir + "/" + entry.name
                if ignore?.excludes(child) == true { continue }
                guard let s = try? Files.status(contextDirectory + "/" + child, followLinks: false) else { continue }
                if s.kind == .directory { pending.append(child) } else {
                    files += 1
                    bytes += s.size
                }
            }
        }
        let more = visited >= 100_000 ? " (counted in the first 100,000 entries)" : ""
        return "**\(path)**: \(files) file\(files == 1 ? "" : "s"), \(readableSize(bytes))\(more), after .dockerignore"
    }

    /// What the store says of `reference` (a FROM image), in Markdown.
    func imageHover(_ reference: String) async -> String {
        if reference == "scratch" { return "**scratch**: an empty image, the start of a base image." }
        let image: ImageRecord
        do { image = try await inspectImage(reference) } catch {
            if error.code == .notFound { return "**\(reference)**: not in the store; a build would need it pulled first." }
            return "**\(reference)**: the store cannot tell (\(error.message))"
        }
        var lines = ["**\(reference)**", "", "- ID: `\(image.id.short)`", "- size: \(Self.readableSize(image.size)), \(image.chainIDs.count) layers"]
        if let created = image.config.created { lines.append("- created: \(created.rfc3339)") }
        lines.append("- platform: \(image.config.os)/\(image.config.architecture)")
        for (k, v) in image.config.config.labels.sorted(by: { $0.key < $1.key }) { lines.append("- label `\(k)`: \(v)") }
        return lines.joined(separator: "\n")
    }

    /// `bytes` as Docker shows sizes (decimal units, one decimal place: "1.9MB").
    static func readableSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var unit = 0
        var scaled = bytes
        var tenths: Int64 = 0
        while scaled >= 1000, unit < units.count - 1 {
            tenths = (scaled % 1000) / 100
            scaled /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes)B" : "\(scaled).\(tenths)\(units[unit])"
    }

    /// What may be typed at `position` of `text`: instructions, flags, stages, variables, the store's image names
    /// where FROM or `COPY --from=` take an image, and the paths of the build context at `contextDirectory` where
    /// COPY or ADD take a source.
    public func completions(text: String, at position: SourcePosition, contextDirectory: String? = nil) async -> Completions {
        let query = Self.query(text)
        let context = query.completions(at: position)
        var candidates = context.candidates
        if context.wantsContextPaths, let contextDirectory {
            candidates += Self.contextPaths(contextDirectory, prefix: context.prefix)
        }
        if context.wantsImages, let images = try? await images() {
            var seen: Set<String> = []
            for summary in images {
                for ref in summary.image.references where seen.insert(ref.description).inserted {
                    candidates.append(
                        CompletionCandidate(label: ref.description, kind: .image, detail: "image " + summary.image.id.short, documentation: nil, insertText: nil))
                }
            }
        }
        return Completions(prefix: context.prefix, candidates: candidates)
    }

    /// The entries of the context directory that `prefix` is in (`src/ma` → those of `src/`), but for what
    /// `.dockerignore` excludes: files, and directories with a trailing `/` so that completion goes on inside.
    static func contextPaths(_ contextDirectory: String, prefix: String) -> [CompletionCandidate] {
        var typed = prefix
        while typed.hasPrefix("./") { typed.removeFirst(2) }
        let folder = typed.lastIndex(of: "/").map { String(typed[...$0]) } ?? ""
        let cleanFolder = PathClean.clean(folder).drop { $0 == "/" }
        guard !cleanFolder.hasPrefix("..") else { return [] }
        let directory = contextDirectory + (cleanFolder.isEmpty || cleanFolder == "." ? "" : "/" + cleanFolder)
        guard let entries = try? FileDescriptor.open(directory, .directory).entries() else { return [] }
        let ignore = dockerignore(contextDirectory)
        let written = String(prefix.dropLast(typed.count - folder.count))
        var out: [CompletionCandidate] = []
        for entry in entries {
            let name = entry.name
            let relative = (cleanFolder.isEmpty || cleanFolder == "." ? "" : cleanFolder + "/") + name
            if let ignore, ignore.excludes(relative) { continue }
            let kind = entry.kind ?? (try? Files.status(directory + "/" + name).kind)
            let isFolder = kind == .directory
            let label = written + name + (isFolder ? "/" : "")
            out.append(CompletionCandidate(label: label, kind: isFolder ? .folder : .file, detail: isFolder ? "directory in the build context" : "file in the build context"))
        }
        return out
    }

    /// The outline of `text`: stages and their instructions.
    public func outline(text: String) -> [OutlineSymbol] {
        Self.query(text).outline()
    }

    /// The foldable regions of `text`.
    public func foldingRegions(text: String) -> [FoldingRegion] {
        Self.query(text).foldingRegions()
    }
}

extension Engine {
    /// The quick fixes for diagnostic `code` at `range` of `text` (see `DocumentQuery.fixes`).
    public func fixes(text: String, code: String, range: SourceRange) -> [DocumentFix] {
        Self.query(text).fixes(code: code, range: range)
    }
}

extension Engine {
    /// The stage name or variable at `position` of `text`, where it is declared, and every place it appears.
    public func navigation(text: String, at position: SourcePosition) -> (definition: SourceRange?, occurrences: [SourceRange], declarations: [SourceRange])? {
        let query = Self.query(text)
        guard let symbol = query.symbol(at: position) else { return nil }
        let all = query.occurrences(of: symbol)
        return (query.definition(of: symbol), all.map(\.range), all.filter(\.isDeclaration).map(\.range))
    }
}

extension Engine {
    /// The semantic tokens of `text` (see `DocumentQuery.semanticTokens`).
    public func semanticTokens(text: String) -> [SemanticToken] {
        Self.query(text).semanticTokens()
    }

    /// The edits that format `text`, one indentation level being `indent`.
    public func formattingEdits(text: String, indent: String) -> [DocumentFix.Edit] {
        Self.query(text).formattingEdits(indent: indent)
    }
}

extension Engine {
    /// Why the store cannot be used by this process (nil when it can): what an editor's user is told when the
    /// store-backed features (image hover and completion, cache hints, build lenses) are off.
    public func storeProblem() -> String? {
        do {
            _ = try store()
            return nil
        } catch {
            return error.message
        }
    }
}
