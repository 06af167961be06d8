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

/// State that is a fold of a log, kept as a working set.
///
/// What decisions need all the time (stock per item, sagas that can still move) is held in
/// memory and saved in snapshots, stream by stream. Everything else is loaded on demand: the
/// host reads a stream's events from the log and folds them with ``load(_:events:)`` before it
/// applies or decides anything on that stream, and the state may forget such streams again
/// (``trim()``). History itself lives in the read side, written in the same commit as the
/// events (``apply(_:)`` returns the writes).
public protocol EventSourced: Sendable {
    /// Applies a recorded event (new, or replayed at start) and returns the read-side writes it
    /// makes (the host discards them on replay: they were committed with the event). The
    /// event's stream is loaded (``holds(_:)``) when this is called.
    mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite]

    /// Whether the state of `stream` is in memory; when not, the host loads it first.
    func holds(_ stream: String) -> Bool

    /// Folds all of a stream's recorded events (in order; none for a stream never written)
    /// into memory.
    mutating func load(_ stream: String, events: [Event]) throws(DomainError)

    /// Forgets loaded streams that the working set does not need, beyond the state's bound.
    mutating func trim()

    /// The state of one stream of the working set, for a snapshot; `nil` when the stream is
    /// not part of the working set (its snapshot, if any, is then deleted).
    func snapshot(stream: String) -> JSON?

    /// Restores one stream's state from a snapshot.
    mutating func restore(stream: String, snapshot: JSON) throws(DomainError)

    /// Pseudo-streams snapshotted at every snapshot, whatever changed: state that events of
    /// other streams change (inventory's stock, which reservations move).
    static var alwaysSnapshotted: [String] { get }

    /// Forgets a stream retention removed from the log.
    mutating func forget(_ stream: String)

    /// A state to fold the streams retention removes on, by themselves: retention folds their
    /// events on it to count what they counted (the log keeps those counts as running totals).
    /// The default is this state (the host forgets the removed streams in its copy first, which
    /// copies every aggregate it holds); a core returns itself without its aggregates, and with
    /// checks that read other streams' state (inventory's stock rules) left to the live fold.
    var retirementFold: Self { get }
}

extension EventSourced {
    public func holds(_ stream: String) -> Bool { true }
    public mutating func load(_ stream: String, events: [Event]) throws(DomainError) {}
    public mutating func trim() {}
    public static var alwaysSnapshotted: [String] { [] }
    public mutating func forget(_ stream: String) {}
    public var retirementFold: Self { self }
}

/// The pure core of a service: its aggregates, its decisions, and its read side.
///
/// `decide` never changes state; the host applies the decided events with `apply` (both when
/// they are new and when replaying the log at start), so state is always a fold of the log.
/// Before deciding, the host loads the streams a command touches (``streams(for:)``), as
/// Eventuate's and Axon's repositories load aggregates. No sockets, clocks or files: time comes
/// in as `now` (milliseconds since the epoch), and queries read the read side through a
/// ``ReadModelReader``.
public protocol ServiceCore: EventSourced {
    /// The service's name: the prefix of its command and query types and of its PUB topics.
    static var serviceName: String { get }
    /// The command types this core handles, e.g. `order.CreateOrder`: the host answers any other
    /// with `unknown_type` before the core decides.
    static var commandTypes: [String] { get }
    /// The query types this core answers, e.g. `order.GetOrder` (any other: `unknown_type`).
    static var queryTypes: [String] { get }
    /// The tables of its read side.
    static var readModel: ReadModelSchema { get }

    /// The streams a command's decision reads; the host loads those the core does not hold.
    func streams(for command: Command) throws(WireError) -> [String]

    /// Decides what a command does. Throws ``WireError`` (`invalid_argument`, `unknown_type`…)
    /// for input that is refused before anything is recorded.
    func decide(_ command: Command, now: Int64) throws(WireError) -> Decision

    /// Answers a query from the read side (and the working set).
    func query(_ query: Query, reader: some ReadModelReader, now: Int64) throws(WireError) -> JSON

    /// Events to append when the service starts (initial stock, say), given the restored state.
    func bootstrap(now: Int64) -> [StreamAppend]

    /// What retention may retire: settled aggregates, found in the read side.
    static var retentionRules: [RetentionRule] { get }

    /// The configuration the core was started with that its log must bear out (inventory's
    /// starting stock), reported by `sys.Ping` as `configuration` for checkers.
    var configuration: JSON { get }
}

extension ServiceCore {
    public func bootstrap(now: Int64) -> [StreamAppend] { [] }
    public static var retentionRules: [RetentionRule] { [] }
    public var configuration: JSON { [:] }
}

/// How retention finds what a process may retire: the rows of a read-side table in a settled
/// status whose `timeColumn` (by default `updated_ms`) is older than the window; with no
/// statuses, every row whose `timeColumn` is set. Each row goes with its stream
/// (`streamPrefix` + the row's key), whole. The table needs an index on `status, updated_ms`
/// (or on the time column).
public struct RetentionRule: Sendable, Equatable {
    public let table: String
    /// The statuses in which an aggregate no longer changes (as far as a saga in the window can tell).
    public let settledStatuses: [String]
    /// The stream of a row: this prefix and its key.
    public let streamPrefix: String
    /// The column of the time of the row's last change.
    public let timeColumn: String

    public init(table: String, settledStatuses: [String], streamPrefix: String, timeColumn: String = "updated_ms") {
        self.table = table
        self.settledStatuses = settledStatuses
        self.streamPrefix = streamPrefix
        self.timeColumn = timeColumn
    }
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
