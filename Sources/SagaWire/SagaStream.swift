/// A stream of the orchestrator's log, typed: built and read back here and nowhere else.
public enum SagaStream: Sendable, Hashable, CustomStringConvertible {
    /// A saga's events: `saga-<id>`.
    case saga(String)
    /// A definition's registration: `definition-<fingerprint>`.
    case definition(String)

    private static let sagaPrefix = "saga-"
    private static let definitionPrefix = "definition-"

    /// Reads a stream name; `nil` for a stream the orchestrator does not write (retention's, say).
    public init?(_ name: String) {
        if name.hasPrefix(Self.sagaPrefix) {
            self = .saga(String(name.utf8.dropFirst(Self.sagaPrefix.utf8.count))!)
        } else if name.hasPrefix(Self.definitionPrefix) {
            self = .definition(String(name.utf8.dropFirst(Self.definitionPrefix.utf8.count))!)
        } else {
            return nil
        }
    }

    /// The stream's name in the log.
    public var description: String {
        switch self {
        case .saga(let id): return Self.sagaPrefix + id
        case .definition(let fingerprint): return Self.definitionPrefix + fingerprint
        }
    }

    /// The saga a stream name is of, or `nil` when it is not a saga's stream.
    public static func sagaID(in name: String) -> String? {
        if case .saga(let id)? = SagaStream(name) { return id }
        return nil
    }

    /// The prefix every saga's stream starts with (retention finds a saga's events by it).
    public static var sagaStreamPrefix: String { sagaPrefix }
}
