import Glibc

/// Advisory whole-file locks (flock): held by the open file, released by `unlock()` or when it closes.
extension FileDescriptor {
    /// Takes the lock, exclusive or shared; with `wait` false, returns false at once when another holds it.
    @discardableResult
    public func lock(exclusive: Bool = true, wait: Bool = true) throws(EstibaError) -> Bool {
        let operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB)
        while flock(rawValue, operation) != 0 {
            if errno == EINTR { continue }
            if !wait, errno == EWOULDBLOCK { return false }
            throw .last("lock", path: path)
        }
        return true
    }

    public func unlock() {
        _ = flock(rawValue, LOCK_UN)
    }
}
