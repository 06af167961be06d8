/// An event to append: the log assigns its sequence number, version and service.
public struct NewEvent: Sendable, Equatable {
    /// The event type, e.g. `OrderCreated`.
    public var type: String
    /// The event's data (an object).
    public var data: JSON
    /// The saga (business transaction) id.
    public var correlationID: String?
    /// The id of the command that produced it.
    public var causationID: String?
    /// When it happened, in milliseconds since the Unix epoch (passed in, never read from a clock here).
    public var timeMs: Int64

    public init(type: String, data: JSON, correlationID: String? = nil, causationID: String? = nil, timeMs: Int64) {
        self.type = type
        self.data = data
        self.correlationID = correlationID
        self.causationID = causationID
        self.timeMs = timeMs
    }
}

/// The version a stream must be at for an append to go through (optimistic concurrency).
public enum ExpectedVersion: Sendable, Equatable {
    /// No check.
    case any
    /// The stream must not exist yet.
    case noStream
    /// The stream's last event must have exactly this version.
    case exact(Int64)

    /// Whether a stream at version `actual` satisfies the expectation.
    public func admits(_ actual: Int64) -> Bool {
        switch self {
        case .any: return true
        case .noStream: return actual == 0
        case .exact(let expected): return actual == expected
        }
    }
}

/// Events for one stream, appended only if the stream is at the expected version.
public struct StreamAppend: Sendable, Equatable {
    /// The stream (aggregate) id.
    public var stream: String
    /// The version the stream must be at.
    public var expectedVersion: ExpectedVersion
    /// The events, in order.
    public var events: [NewEvent]
    /// The version of the first event, when it is not the stream's next one: the events of a
    /// copy that keeps its source's numbering (the monitor's log: version = the source's
    /// sequence number, which may skip what the source retired). It must be above the
    /// stream's version.
    public var firstVersion: Int64?

    public init(stream: String, expectedVersion: ExpectedVersion, events: [NewEvent], firstVersion: Int64? = nil) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
        self.firstVersion = firstVersion
    }
}
