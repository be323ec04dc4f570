import Glibc

extension Files {
    /// Creates a new directory with a unique name `prefix` + 6 characters in `directory`; returns its path.
    public static func makeTemporaryDirectory(in directory: String, prefix: String = "tmp-") throws(EstibaError) -> String {
        var template = Array("\(directory)/\(prefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { b in b.baseAddress.flatMap { mkdtemp($0) } != nil }
        guard made else { throw .last("create a temporary directory in", path: directory) }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates a new empty file (mode 0600) with a unique name `prefix` + 6 characters in `directory`.
    public static func makeTemporaryFile(in directory: String, prefix: String = "tmp-")
        throws(EstibaError) -> (descriptor: FileDescriptor, path: String)
    {
        var template = Array("\(directory)/\(prefix)XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { b in b.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw .last("create a temporary file in", path: directory) }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let descriptor = FileDescriptor(adopting: fd, path: path)
        try descriptor.setInheritable(false)
        return (descriptor, path)
    }
}
