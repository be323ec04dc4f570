import EstibaJSON
import System

/// OCI and Docker media types.
public enum MediaType {
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageConfig = "application/vnd.oci.image.config.v1+json"
    public static let layer = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    public static let layerTypes: Set<String> = [layer, layerGzip, layerZstd, dockerLayer, dockerLayerGzip]
}

/// Annotation keys.
public enum Annotation {
    public static let refName = "org.opencontainers.image.ref.name"
    public static let created = "org.opencontainers.image.created"
}

/// The platform of a manifest in an index.
public struct Platform: Sendable, Equatable {
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    var json: JSONValue {
        var o: JSONObject = ["architecture": .string(architecture), "os": .string(os)]
        if let variant { o.append("variant", .string(variant)) }
        return .object(o)
    }
}

/// An OCI content descriptor.
public struct Descriptor: Sendable, Equatable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var annotations: [(String, String)]
    public var platform: Platform?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [(String, String)] = [], platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }

    public static func == (a: Descriptor, b: Descriptor) -> Bool {
        a.mediaType == b.mediaType && a.digest == b.digest && a.size == b.size && a.platform == b.platform
            && a.annotations.map(\.0) == b.annotations.map(\.0) && a.annotations.map(\.1) == b.annotations.map(\.1)
    }

    public func annotation(_ key: String) -> String? { annotations.first { $0.0 == key }?.1 }

    var json: JSONValue {
        var o: JSONObject = [
            "mediaType": .string(mediaType), "digest": .string(digest.description), "size": .int(size),
        ]
        if !annotations.isEmpty { o.append("annotations", .object(.sortedStrings(annotations))) }
        if let platform { o.append("platform", platform.json) }
        return .object(o)
    }

    init(json: JSONValue, document: String) throws(EstibaError) {
        let f = try JSONFields(json, document: document)
        let d = try f.string("digest")
        guard let digest = Digest(d) else {
            throw EstibaError(.badInput, "\(document) names an unsupported digest \(d) (only sha256 is supported).")
        }
        self.mediaType = try f.string("mediaType")
        self.digest = digest
        self.size = try f.int("size")
        self.annotations = try f.stringMap("annotations")
        if let p = try f.optionalObject("platform") {
            let pf = try JSONFields(.object(p), document: document + " platform")
            platform = Platform(
                architecture: try pf.string("architecture"), os: try pf.string("os"), variant: try pf.optionalString("variant"))
        }
    }
}

/// An image manifest: a config and layers, base first.
public struct Manifest: Sendable, Equatable {
    public var mediaType: String
    public var config: Descriptor
    public var layers: [Descriptor]

    public init(config: Descriptor, layers: [Descriptor], mediaType: String = MediaType.imageManifest) {
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }

    public var json: JSONValue {
        [
            "schemaVersion": 2, "mediaType": .string(mediaType), "config": config.json,
            "layers": .array(layers.map(\.json)),
        ]
    }

    public init(bytes: [UInt8], document: String = "the manifest") throws(EstibaError) {
        let f = try JSONFields(try JSONFields.parse(bytes, document: document), document: document)
        mediaType = try f.optionalString("mediaType") ?? MediaType.imageManifest
        guard let c = f.object["config"] else { throw f.missing("config") }
        config = try Descriptor(json: c, document: document + " config")
        guard let ls = f.object["layers"]?.arrayValue else { throw f.missing("layers") }
        var out: [Descriptor] = []
        for (i, l) in ls.enumerated() { out.append(try Descriptor(json: l, document: "\(document) layer \(i)")) }
        layers = out
    }
}

/// An image index (what `index.json` of an OCI layout holds).
public struct ImageIndex: Sendable, Equatable {
    public var manifests: [Descriptor]

    public init(manifests: [Descriptor] = []) { self.manifests = manifests }

    public var json: JSONValue {
        ["schemaVersion": 2, "mediaType": .string(MediaType.imageIndex), "manifests": .array(manifests.map(\.json))]
    }

    public init(bytes: [UInt8], document: String = "index.json") throws(EstibaError) {
        let f = try JSONFields(try JSONFields.parse(bytes, document: document), document: document)
        guard let ms = f.object["manifests"]?.arrayValue else { throw f.missing("manifests") }
        var out: [Descriptor] = []
        for (i, m) in ms.enumerated() { out.append(try Descriptor(json: m, document: "\(document) manifest \(i)")) }
        manifests = out
    }
}
