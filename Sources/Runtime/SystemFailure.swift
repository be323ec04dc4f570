import System

extension RuntimeError {
    /// "Cannot `what`: `the system's reason`.", then `advice` when given: a failed operating-system call said
    /// in the runtime's words.
    init(cannot what: String, _ error: SystemError, advice: String? = nil, stage: String? = nil) {
        self.init("Cannot \(what): \(SystemError.text(for: error.code)).\(advice.map { " " + $0 } ?? "")", stage: stage)
    }
}
