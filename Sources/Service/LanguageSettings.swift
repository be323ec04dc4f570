import EstibaJSON
import Synchronization

/// The build settings an editor gives the language server (`initializationOptions`, or the `estiba` section of
/// `workspace/didChangeConfiguration`): the context directory (default: the Dockerfile's directory), build args
/// and the target stage, per connection.
struct LanguageSettings: Sendable, Equatable {
    var context: String?
    var buildArgs: [String: String] = [:]
    var target: String?

    /// Reads the settings object; members it does not know or of the wrong type are left at their defaults.
    init(_ v: JSONValue?) {
        context = v?["context"]?.stringValue
        target = v?["target"]?.stringValue
        if let args = v?["buildArgs"]?.objectValue {
            for (k, value) in args { if let s = value.stringValue { buildArgs[k] = s } }
        }
    }

    /// The context directory for the document at `uri`.
    func contextDirectory(for uri: String) -> String? {
        if let context { return context }
        guard let path = Self.path(of: uri), let slash = path.lastIndex(of: "/") else { return nil }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The local path of a `file://` URI (percent-decoded); nil for other schemes.
    static func path(of uri: String) -> String? {
        guard uri.hasPrefix("file://") else { return nil }
        var bytes: [UInt8] = []
        var units = Array(uri.utf8.dropFirst(7))
        // file://host/path: only the local host.
        if units.first != UInt8(ascii: "/") {
            guard let slash = units.firstIndex(of: UInt8(ascii: "/")) else { return nil }
            guard String(decoding: units[..<slash], as: UTF8.self) == "localhost" else { return nil }
            units = Array(units[slash...])
        }
        var i = 0
        while i < units.count {
            if units[i] == UInt8(ascii: "%"), i + 2 < units.count, let v = UInt8(String(decoding: units[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                bytes.append(v)
                i += 3
            } else {
                bytes.append(units[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// What an editor said it can do (from `initialize`'s `capabilities`), as far as the server asks.
struct ClientAbilities: Sendable, Equatable {
    /// It takes `client/registerCapability` for `workspace/didChangeWatchedFiles`.
    var watchesFiles = false
    /// It takes `workspace/inlayHint/refresh`.
    var refreshesInlayHints = false
    /// It takes `workspace/codeLens/refresh`.
    var refreshesCodeLenses = false
    /// It shows Markdown in hovers, and in completion items' documentation (otherwise they get plain text).
    var markdownHover = false
    var markdownCompletion = false

    init(_ capabilities: JSONValue?) {
        let workspace = capabilities?["workspace"]
        watchesFiles = workspace?["didChangeWatchedFiles"]?["dynamicRegistration"]?.boolValue ?? false
        refreshesInlayHints = workspace?["inlayHint"]?["refreshSupport"]?.boolValue ?? false
        refreshesCodeLenses = workspace?["codeLens"]?["refreshSupport"]?.boolValue ?? false
        let document = capabilities?["textDocument"]
        // LSP: without contentFormat a client takes plain text; most editors list markdown.
        markdownHover = document?["hover"]?["contentFormat"]?.arrayValue?.contains("markdown") ?? false
        markdownCompletion = document?["completion"]?["completionItem"]?["documentationFormat"]?.arrayValue?.contains("markdown") ?? false
    }
}

/// Each connection's settings and client abilities.
final class LanguageSettingsTable: Sendable {
    private let table = Mutex<[Int: LanguageSettings]>([:])
    private let abilities = Mutex<[Int: ClientAbilities]>([:])

    func set(_ settings: LanguageSettings, connection: Int) { table.withLock { $0[connection] = settings } }
    func get(_ connection: Int) -> LanguageSettings { table.withLock { $0[connection] } ?? LanguageSettings(nil) }
    func setAbilities(_ a: ClientAbilities, connection: Int) { abilities.withLock { $0[connection] = a } }
    func abilities(_ connection: Int) -> ClientAbilities { abilities.withLock { $0[connection] } ?? ClientAbilities(nil) }
    func remove(_ connection: Int) {
        _ = table.withLock { $0.removeValue(forKey: connection) }
        _ = abilities.withLock { $0.removeValue(forKey: connection) }
    }
}
