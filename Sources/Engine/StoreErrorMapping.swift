import ImageStore
import System

extension EstibaError {
    init(_ e: StoreError) {
        let code: Code
        switch e.code {
        case .notFound: code = .notFound
        case .invalidArgument: code = .invalidArgument
        case .unsafeEntry, .corrupt: code = .badInput
        case .io: code = .io
        case .conflict: code = .conflict
        }
        self.init(code, e.message, context: e.context)
    }
}
