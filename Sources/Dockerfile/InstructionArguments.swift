/// A command as an instruction gives it: exec form (a JSON array) or shell form (one text for the shell).
public enum CommandForm: Sendable, Equatable {
    case exec([String])
    case shell(String)
}

/// A `name value` pair of ENV or LABEL, both as written.
public struct KeyValue: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// One `name[=default]` of ARG; the default as written.
public struct ArgDeclaration: Sendable, Equatable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// FROM: the base image as written, the stage name (lower case) and `--platform`.
public struct FromArguments: Sendable, Equatable {
    public var image: String
    public var stageName: String?
    public var platform: String?
}

/// RUN's `--network` values other than the build's own (`default`).
public enum RunNetwork: String, Sendable {
    case none, host
}

/// RUN: the command (here-documents folded into the shell text) and its network.
public struct RunArguments: Sendable, Equatable {
    public var command: CommandForm
    /// nil: the build's network.
    public var network: RunNetwork?
}

/// COPY and ADD: sources and destination as written, here-documents, and the flags.
public struct CopyArguments: Sendable, Equatable {
    /// Source paths, URLs and patterns (here-document markers excluded).
    public var sources: [String]
    /// Here-documents given as sources, in order; each becomes a file named after its delimiter.
    public var heredocs: [Heredoc]
    public var destination: String
    /// `--from` (COPY only): a stage name or index, or an image.
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link = false
}

/// HEALTHCHECK: the test (`["NONE"]`, `["CMD", …]` or `["CMD-SHELL", text]`) and its settings; durations in
/// nanoseconds, zero when not given.
public struct HealthcheckArguments: Sendable, Equatable {
    public var test: [String]
    public var interval: Int64 = 0
    public var timeout: Int64 = 0
    public var startPeriod: Int64 = 0
    public var startInterval: Int64 = 0
    public var retries = 0
}

/// ONBUILD: the instruction to run when a build starts from this image, as written after the keyword.
public struct OnbuildTrigger: Sendable, Equatable {
    public var expression: String
}
