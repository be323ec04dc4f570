/// C strings and arrays handed to C calls, all released together when this goes (after the call).
final class CMemory {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A NUL-terminated copy of `s`.
    func string(_ s: String) -> UnsafePointer<CChar> {
        let bytes = Array(s.utf8CString)
        return array(bytes)
    }

    func string(_ s: String?) -> UnsafePointer<CChar>? { s.map { string($0) } }

    /// A NULL-terminated array of copies of `strings` (`const char *const *`).
    func strings(_ strings: [String]) -> UnsafePointer<UnsafePointer<CChar>?> {
        array(strings.map { Optional(string($0)) } + [nil])
    }

    /// A copy of `values` (of a plain C type), valid while this lives.
    func array<T>(_ values: [T]) -> UnsafePointer<T> {
        let buffer = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
        buffer.initialize(from: values, count: values.count)
        blocks.append(UnsafeMutableRawPointer(buffer))
        return UnsafePointer(buffer)
    }

    deinit {
        for b in blocks { b.deallocate() }
    }
}

import CLauncher

extension CMemory {
    /// A device node as the launcher takes it.
    func node(_ d: DeviceNode) -> estiba_device_node {
        estiba_device_node(
            path: string(d.path), type: CChar(UInt8(ascii: d.type == "b" ? "b" : "c")), major: d.major, minor: d.minor, mode: d.mode,
            uid: d.uid, gid: d.gid)
    }
}
