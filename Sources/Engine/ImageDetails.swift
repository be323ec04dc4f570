import ImageStore
import System

/// An image as `inspect` describes it: its record, and where its layers are unpacked in the store.
public struct ImageDetails: Sendable {
    public var image: ImageRecord
    /// The unpacked layer trees, top layer first (Docker's `GraphDriver.Data.LowerDir`).
    public var layerDirectories: [String]
}

extension Engine {
    /// The image `spec` names, with its layer directories.
    public func imageDetails(_ spec: String) async throws(EstibaError) -> ImageDetails {
        details(of: try await inspectImage(spec))
    }

    /// An image record's details.
    public func details(of image: ImageRecord) -> ImageDetails {
        let layout = StoreLayout(root: configuration.root)
        return ImageDetails(image: image, layerDirectories: image.chainIDs.reversed().map(layout.snapshotTree))
    }
}
