import Glibc

enum FileDescriptorOutput {
    static func stderr(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }

    static func stdout(_ s: String) {
        let bytes = Array(s.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(1, $0.baseAddress.map { $0 + off }, $0.count - off) }
            if n <= 0 { if n < 0, errno == EINTR { continue }; return }
            off += n
        }
    }
}
