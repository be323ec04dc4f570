/// The requests the language server sends to the editor (LSP's server-to-client requests), named once; the
/// protocol document lists them under `x-server-requests`.
enum ServerRequest {
    static let registerCapability = "client/registerCapability"
    static let inlayHintRefresh = "workspace/inlayHint/refresh"
    static let codeLensRefresh = "workspace/codeLens/refresh"
    static let createProgress = "window/workDoneProgress/create"

    static let all = [registerCapability, inlayHintRefresh, codeLensRefresh, createProgress]
}

extension EstibaService {
    /// The requests the service may send its clients.
    public static var serverRequests: [String] { ServerRequest.all }
}
