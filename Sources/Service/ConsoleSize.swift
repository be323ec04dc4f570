import Engine
import EstibaJSON
import JSONRPC

extension Params {
    /// `consoleSize`: the size of the container's terminal from the start, `{"rows": R, "cols": C}` (the names
    /// `resize` takes), each an integer from 1 to 65535; it goes with `tty`.
    func consoleSize(_ key: String, tty: Bool) throws(RPCError) -> TerminalSize? {
        let expected = "{\"rows\": R, \"cols\": C} with R and C integers from 1 to 65535"
        guard let v = try value(key, expected) else { return nil }
        guard let object = v.objectValue else { throw consoleSizeError(key, expected, shown: v.typeName) }
        for name in object.keys where name != "rows" && name != "cols" {
            throw consoleSizeError(key, expected, shown: "an object with \"\(name)\"")
        }
        let rows = try side(key, "rows", of: object, expected)
        let columns = try side(key, "cols", of: object, expected)
        guard tty else {
            throw RPCErrorCode.invalidParams("\"\(key)\" of \(method) sizes the container's terminal: give it with \"tty\": true.", param: key)
        }
        return TerminalSize(rows: rows, columns: columns)
    }

    /// One side of the size: an integer from 1 to 65535.
    private func side(_ key: String, _ name: String, of object: JSONObject, _ expected: String) throws(RPCError) -> UInt16 {
        guard let v = object[name] else { throw consoleSizeError(key, expected, shown: "an object without \"\(name)\"") }
        guard let n = v.intValue, n >= 1, let side = UInt16(exactly: n) else {
            let shown = String(decoding: v.encoded(), as: UTF8.self)
            throw consoleSizeError(key, expected, shown: "\"\(name)\": \(shown.count > 20 ? String(shown.prefix(20)) + "…" : shown)")
        }
        return side
    }

    private func consoleSizeError(_ key: String, _ expected: String, shown: String) -> RPCError {
        RPCErrorCode.invalidParams("\"\(key)\" of \(method) must be \(expected), not \(shown).", param: key)
    }
}
