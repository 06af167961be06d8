/// Why an event could not be read as a ``SagaEvent``.
public enum SagaEventError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The orchestrator writes no event of this type.
    case unknownType(String)
    /// The payload is not a JSON object.
    case notAnObject
    /// A member the payload must have is missing.
    case missing(String)
    /// A member is not of the kind the payload holds there.
    case wrongKind(String, expected: String)

    public var description: String {
        switch self {
        case .unknownType(let type): return "the orchestrator has no event type \(type)"
        case .notAnObject: return "the payload is not an object"
        case .missing(let key): return "\(key) missing"
        case .wrongKind(let key, let expected): return "\(key) must be \(expected)"
        }
    }
}
