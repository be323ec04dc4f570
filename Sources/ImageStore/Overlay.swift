/// How overlayfs marks a layer's directories.
enum Overlay {
    /// The attribute of an opaque directory (one that hides what lower layers have there).
    static let opaqueAttribute = "trusted.overlay.opaque"
    /// Its value when set.
    static let opaqueValue: [UInt8] = Array("y".utf8)
}
