import ImageStore
import System

extension UserResolver {
    /// The largest /etc/passwd or /etc/group read from an image.
    public static let fileLimit = 4 << 20

    /// Resolves `spec` against the image whose layers (overlay lower directories, top first) are `layers`: links
    /// resolve inside the image, only regular files up to `fileLimit` bytes are read.
    public static func resolve(_ spec: String, layers: [String]) throws(EstibaError) -> Resolved {
        try resolve(spec) { (path: String) throws(EstibaError) -> [UInt8]? in try imageFile(path, layers: layers) }
    }

    /// The contents of the image's regular file `path` (nil when it has none), read as `resolve` reads them.
    public static func imageFile(_ path: String, layers: [String]) throws(EstibaError) -> [UInt8]? {
        do { return try LayerStackFile.read(path, layers: layers, limit: fileLimit) } catch {
            throw error.recoded(.launchFailed).adding(["stage": "user"])
        }
    }
}
