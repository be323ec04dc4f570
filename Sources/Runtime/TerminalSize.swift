/// A terminal's window size in character cells, as `TIOCSWINSZ` takes it.
public struct TerminalSize: Sendable, Equatable {
    public var rows: UInt16
    public var columns: UInt16

    public init(rows: UInt16, columns: UInt16) {
        self.rows = rows
        self.columns = columns
    }

    /// A size a terminal can have: neither side is zero (a 0x0 terminal is one whose size is unknown).
    public var isKnown: Bool { rows > 0 && columns > 0 }
}
