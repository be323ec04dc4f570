import Glibc

/// Terminals: whether a descriptor is one, raw mode, window size.
public enum Terminal {
    /// A terminal's settings, to restore later.
    public struct Settings: @unchecked Sendable {
        fileprivate var value: termios
    }

    public static func isTerminal(_ descriptor: FileDescriptor) -> Bool { isatty(descriptor.rawValue) == 1 }

    /// Puts the terminal in raw mode (no echo, no line editing, no signals from keys); returns the settings
    /// it had, for `restore`.
    public static func makeRaw(_ descriptor: FileDescriptor) throws(EstibaError) -> Settings {
        var saved = termios()
        guard tcgetattr(descriptor.rawValue, &saved) == 0 else { throw .last("read the terminal settings of", path: descriptor.path) }
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(descriptor.rawValue, TCSANOW, &raw) == 0 else { throw .last("set the terminal settings of", path: descriptor.path) }
        return Settings(value: saved)
    }

    public static func restore(_ descriptor: FileDescriptor, _ settings: Settings) throws(EstibaError) {
        var value = settings.value
        guard tcsetattr(descriptor.rawValue, TCSANOW, &value) == 0 else { throw .last("set the terminal settings of", path: descriptor.path) }
    }

    /// The window size in characters.
    public static func windowSize(_ descriptor: FileDescriptor) throws(EstibaError) -> (rows: UInt16, columns: UInt16) {
        var size = winsize()
        guard ioctl(descriptor.rawValue, UInt(TIOCGWINSZ), &size) == 0 else { throw .last("read the window size of", path: descriptor.path) }
        return (size.ws_row, size.ws_col)
    }

    public static func setWindowSize(_ descriptor: FileDescriptor, rows: UInt16, columns: UInt16) throws(EstibaError) {
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(descriptor.rawValue, UInt(TIOCSWINSZ), &size) == 0 else { throw .last("resize the terminal", path: descriptor.path) }
    }
}
