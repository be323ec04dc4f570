import System

/// Text to the CLI's standard output and error (a closed pipe ends the output quietly).
enum FileDescriptorOutput {
    static func stderr(_ s: String) { try? FileDescriptor.standardError.writeAll(s) }

    static func stdout(_ s: String) { try? FileDescriptor.standardOutput.writeAll(s) }

    static func stdout(_ bytes: [UInt8]) { try? FileDescriptor.standardOutput.writeAll(bytes) }
}
