import SagaWire

/// What a service decided about one command: the reply's outcome and the events to append.
///
/// A decision is pure data; the service host commits the appends together with the command
/// id and the reply, and only then replies and publishes.
public struct Decision: Sendable, Equatable {
    /// `ok` when the command took effect (or was a recorded no-op), `rejected` when a business
    /// rule refused it.
    public var outcome: ReplyOutcome
    /// The stable reason code of a rejection.
    public var reason: String?
    /// A message for people, for a rejection.
    public var message: String?
    /// Result data for the reply.
    public var body: JSON
    /// The events to append, per stream, with the version each stream must be at.
    public var appends: [StreamAppend]

    public init(outcome: ReplyOutcome, reason: String? = nil, message: String? = nil, body: JSON = [:],
                appends: [StreamAppend] = []) {
        self.outcome = outcome
        self.reason = reason
        self.message = message
        self.body = body
        self.appends = appends
    }

    /// The command took effect, with these appends.
    public static func ok(_ body: JSON = [:], _ appends: [StreamAppend] = []) -> Decision {
        Decision(outcome: .ok, body: body, appends: appends)
    }

    /// A business rule refused the command.
    public static func rejected(_ reason: String, _ message: String, body: JSON = [:], _ appends: [StreamAppend] = []) -> Decision {
        Decision(outcome: .rejected, reason: reason, message: message, body: body, appends: appends)
    }
}

/// A failure to rebuild state: an event or snapshot the core cannot apply.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// State that is a fold of a log: events apply to it, and each stream's part can be saved in a
/// snapshot and restored from one.
public protocol EventSourced: Sendable {
    /// Applies a recorded event to the state.
    mutating func apply(_ event: Event) throws(DomainError)

    /// The state of one stream, for a snapshot; `nil` when there is none for it.
    func snapshot(stream: String) -> JSON?

    /// Restores one stream's state from a snapshot.
    mutating func restore(stream: String, snapshot: JSON) throws(DomainError)
}

/// The pure core of a service: its aggregates and read models.
///
/// `decide` never changes state; the host applies the decided events with `apply` (both when
/// they are new and when replaying the log at start), so state is always a fold of the log.
/// No sockets, clocks or files: time comes in as `now` (milliseconds since the epoch).
public protocol ServiceCore: EventSourced {
    /// The service's name: the prefix of its command and query types and of its PUB topics.
    static var serviceName: String { get }
    /// The command types this core handles, e.g. `order.CreateOrder`.
    static var commandTypes: [String] { get }
    /// The query types this core answers, e.g. `order.GetOrder`.
    static var queryTypes: [String] { get }

    /// Decides what a command does. Throws ``WireError`` (`invalid_argument`, `unknown_type`…)
    /// for input that is refused before anything is recorded.
    func decide(_ command: Command, now: Int64) throws(WireError) -> Decision

    /// Answers a query from the read models.
    func query(_ query: Query, now: Int64) throws(WireError) -> JSON

    /// Events to append when the service starts (initial stock, say), given the restored state.
    func bootstrap(now: Int64) -> [StreamAppend]
}

extension ServiceCore {
    public func bootstrap(now: Int64) -> [StreamAppend] { [] }
}

extension Command {
    /// A new event caused by this command: correlated with its saga, caused by its id.
    public func event(_ type: String, _ data: JSON, at now: Int64) -> NewEvent {
        NewEvent(type: type, data: data, correlationID: correlationID, causationID: id, timeMs: now)
    }

    /// The command's body read as fields, with paths starting at `body`.
    public func fields() throws(WireError) -> Fields {
        try Fields(body, path: "body")
    }
}

/// One append of events to a stream at an expected version.
public func append(_ stream: String, at version: Int64, _ events: NewEvent...) -> StreamAppend {
    StreamAppend(stream: stream, expectedVersion: version == 0 ? .noStream : .exact(version), events: events)
}

/// The error for a command or query type a core does not serve.
public func unknownType(_ type: String, service: String) -> WireError {
    WireError(.unknownType, "\(service)-service does not handle \(type)", field: "type")
}
