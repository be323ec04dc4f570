import EstibaJSON
import ImageStore
import System

/// What a manifest document fetched from a registry is.
enum ManifestKind: Equatable {
    case index
    case image

    /// The kind of a document by its media type (the `Content-Type`, else its `mediaType` field); schema 1,
    /// artifacts and unknown types are refused with a sentence naming them.
    static func of(_ bytes: [UInt8], contentType: String?, reference: String) throws(EstibaError) -> ManifestKind {
        let doc = try? JSONValue.parse(bytes)
        let declared = doc?["mediaType"]?.stringValue
        let header = contentType.map { String($0.split(separator: ";").first ?? "").trimmingCharacters(in: " ") }
        var type = declared ?? header ?? ""
        if type.isEmpty || type == "application/json" || type == "text/plain" {
            // An OCI document may leave out its media type: tell by its shape.
            type = doc?["manifests"] != nil ? MediaType.imageIndex : (doc?["config"] != nil ? MediaType.imageManifest : type)
        }
        if doc?["schemaVersion"]?.intValue == 1 || type.hasPrefix("application/vnd.docker.distribution.manifest.v1") {
            throw EstibaError(
                .failedPrecondition,
                "\(reference) is a Docker schema 1 image, a format registries and Estiba no longer support; push it again with a current tool.",
                context: ["reference": reference])
        }
        switch type {
        case MediaType.imageIndex, MediaType.dockerManifestList: return .index
        case MediaType.imageManifest, MediaType.dockerManifest: return .image
        default:
            throw EstibaError(
                .failedPrecondition, "\(reference) is not a container image (its manifest has media type \(type.isEmpty ? "none" : type)).",
                context: ["reference": reference])
        }
    }

    /// Media types a manifest's config may have.
    static let configTypes: Set<String> = [MediaType.imageConfig, MediaType.dockerConfig]

    /// Foreign and non-distributable layers, which live outside the registry.
    static func isForeign(_ mediaType: String) -> Bool {
        mediaType.contains("foreign") || mediaType.contains("nondistributable")
    }
}

extension String {
    fileprivate func trimmingCharacters(in blank: Character) -> String {
        var s = Substring(self)
        while s.first == blank { s.removeFirst() }
        while s.last == blank { s.removeLast() }
        return String(s)
    }
}
