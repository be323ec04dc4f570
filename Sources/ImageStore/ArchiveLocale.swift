import System

/// libarchive converts entry names through the C library's locale; under the default "C" locale non-ASCII
/// names cannot be converted (and some of its internal paths then crash). Estiba owns its process, so it
/// switches LC_CTYPE to UTF-8 once, before the first archive is read or written.
enum ArchiveLocale {
    static let ready: Void = { _ = ProcessLocale.setCharacterType(["C.UTF-8", "en_US.UTF-8"]) }()
}
