/// The stable error codes of the ZSaga protocol. Their raw values never change meaning.
public enum ErrorCode: String, Sendable, CaseIterable, Equatable {
    /// The frames or the envelope could not be understood: wrong frame count, not JSON,
    /// not an object, a required envelope field missing or of the wrong type.
    case malformed
    /// The envelope's `v` is not a protocol version this process speaks.
    case unsupportedVersion = "unsupported_version"
    /// The message kind, command type, query type or saga type is not known here.
    case unknownType = "unknown_type"
    /// A field of the body is missing, of the wrong type or out of bounds; `field` names it.
    case invalidArgument = "invalid_argument"
    /// The thing asked for (an order, a saga, a stream) does not exist.
    case notFound = "not_found"
    /// The request contradicts recorded state: an id reused with different content,
    /// or an optimistic-concurrency version conflict.
    case conflict
    /// A business rule refused the command; the refusal is recorded and final.
    case rejected
    /// The process cannot serve the request now (starting, stopping, a peer is down); retry later.
    case unavailable
    /// Too much work in flight or too many requests from this client; retry later.
    case overloaded
    /// The process does not allow this request (fault injection not enabled, say).
    case forbidden
    /// The message exceeds the size limit.
    case tooLarge = "too_large"
    /// The command belongs to a saga older than the retention window: its records may be gone,
    /// so it is refused rather than risk taking effect again. Final: retrying cannot help.
    case expired
    /// An unexpected failure inside the process (a storage error, say); the request had no effect.
    case `internal`
}

/// A protocol-level error: a stable code, a human message, and the offending field if any.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stable code.
    public var code: ErrorCode
    /// A message for people; not stable.
    public var message: String
    /// The dotted path of the offending field, such as `body.items[1].quantity`.
    public var field: String?

    public init(_ code: ErrorCode, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        if let field { return "\(code.rawValue): \(field): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
