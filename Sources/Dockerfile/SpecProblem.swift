/// Why a value an instruction gives is not valid: a sentence for the user.
public struct SpecProblem: Error, Sendable, Equatable {
    public var message: String

    public init(_ message: String) { self.message = message }
}
