import Dockerfile
import ImageStore
import Registry
import System

extension Engine {
    /// The diagnostics of a Dockerfile being edited: the parser's and the build checks, and what only its context
    /// and the store can tell: a COPY/ADD source missing from the context or excluded by `.dockerignore` (the
    /// build would fail there), `COPY --from` naming no earlier stage (it would be taken as an image), and FROM
    /// images the store does not have: a hint (the build pulls them), an error when their registry said lately
    /// that it has no such image, a warning when it refused (`askRegistries`).
    public func documentDiagnostics(text: String, contextDirectory: String?) async -> [Diagnostic] {
        let query = Self.query(text)
        let analysis = query.analysis
        var out = analysis.diagnostics
        out += query.stageReferenceDiagnostics()
        if let contextDirectory { out += Self.contextDiagnostics(query, contextDirectory: contextDirectory) }
        for stage in Self.imageStages(query) {
            let image = stage.baseImage
            do {
                let record = try await inspectImage(image)
                // The platform the build wants: FROM --platform when it is a constant, else this machine's.
                let host = PullPlatform.host
                let wanted = stage.platform.flatMap { $0.contains("$") ? nil : try? PullPlatform(parsing: $0) } ?? host
                let found = PullPlatform(os: record.config.os.lowercased(), architecture: record.config.architecture.lowercased())
                if found.os != wanted.os || found.architecture != wanted.architecture,
                    let d = analysis.invalidBaseImagePlatform(
                        at: stage.firstInstruction, image: image, platform: found.os + "/" + found.architecture,
                        expected: wanted.os + "/" + wanted.architecture)
                {
                    out.append(d)
                }
            } catch {
                guard error.code == .notFound else { continue }
                let r = analysis.parsed.ranges[stage.firstInstruction]
                // What its registry said lately (see askRegistries): a build would fail on an image it does not
                // have; offline, or not asked yet, it is only a hint.
                let (severity, code, message): (DiagnosticSeverity, String, String)
                switch RegistryAnswers.answer(image) {
                case .missing(let why)?:
                    (severity, code, message) = (.error, "image-not-found", "\(image) is neither in the store nor in its registry: \(why)")
                case .denied(let why)?:
                    (severity, code, message) = (.warning, "image-not-pullable", "\(image) is not in the store, and its registry would not give it: \(why)")
                default:
                    (severity, code, message) = (.hint, "image-not-local", "\(image) is not in the store; a build pulls it (estiba pull \(image) fetches it now).")
                }
                out.append(Diagnostic(severity: severity, range: r, code: code, message: message, startLine: r.start.line + 1, endLine: r.end.line + 1))
            }
        }
        return out.sorted { $0.range.start < $1.range.start }
    }

    /// The stages whose FROM names an image a build would take from the store or a registry: not `scratch`, not
    /// an earlier stage, not a reference with a variable (only the build resolves those).
    static func imageStages(_ query: DocumentQuery) -> [Stage] {
        query.analysis.stages.filter { stage in
            let image = stage.baseImage
            return image != "scratch" && !image.contains("$") && !query.stageNames(before: stage.firstInstruction).contains(image.lowercased())
        }
    }

    /// Missing and ignored COPY/ADD sources of the context at `contextDirectory`.
    static func contextDiagnostics(_ query: DocumentQuery, contextDirectory: String) -> [Diagnostic] {
        let ignore = dockerignore(contextDirectory)
        var out: [Diagnostic] = []
        for source in query.contextSources() {
            let relative = PathClean.clean(source.path).drop { $0 == "/" }
            let name = relative.isEmpty ? "." : String(relative)
            let r = source.range
            if name != ".", let ignore, ignore.excludes(name) {
                out.append(
                    Diagnostic(
                        severity: .error, range: r, code: "CopyIgnoredFile",
                        message: "Attempting to \(source.keyword.name) file \(GoText.quote(source.path)) that is excluded by .dockerignore",
                        startLine: r.start.line + 1, endLine: r.end.line + 1))
            } else if !Files.exists(contextDirectory + "/" + name) {
                out.append(
                    Diagnostic(
                        severity: .error, range: r, code: "missing-source",
                        message: "\(source.keyword.name) source \(source.path) is not in the build context \(contextDirectory); check the path, relative to the context.",
                        startLine: r.start.line + 1, endLine: r.end.line + 1))
            }
        }
        return out
    }
}
