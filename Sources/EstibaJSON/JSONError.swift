/// A JSON text could not be decoded.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// 1-based line and column, and 0-based byte offset, where jansson stopped.
    public let line: Int
    public let column: Int
    public let position: Int

    public init(message: String, line: Int = 0, column: Int = 0, position: Int = 0) {
        self.message = message
        self.line = line
        self.column = column
        self.position = position
    }

    public var description: String {
        line > 0 ? "\(message) (line \(line), column \(column))" : message
    }
}
