extension String {
    /// The text without leading and trailing blanks (space, tab, carriage return, line feed).
    public var trimmedBlanks: String {
        var t = Substring(self)
        while let f = t.first, f == " " || f == "\t" || f == "\n" || f == "\r" { t = t.dropFirst() }
        while let l = t.last, l == " " || l == "\t" || l == "\n" || l == "\r" { t = t.dropLast() }
        return String(t)
    }
}
