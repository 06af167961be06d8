import EventLog
import SagaWire

/// One page of a process's log: the live events from a sequence number on, the ranges retention
/// removed among them, and the log's head.
public struct LogPage: Sendable {
    public var events: [Event]
    public var retired: [ClosedRange<Int64>]
    public var head: Int64

    public init(events: [Event], retired: [ClosedRange<Int64>], head: Int64) {
        self.events = events
        self.retired = retired
        self.head = head
    }
}

/// A command as its owner recorded it: the outcome of its reply and the events it appended.
public struct RecordedCommand: Sendable, Equatable {
    public var id: String
    /// `ok`, `rejected`, or `unreadable` for a record that is not a reply.
    public var outcome: String
    public var reason: String?
    /// Sequence numbers of the events the command appended.
    public var events: [Int64]
    public var timeMs: Int64

    public init(id: String, outcome: String, reason: String?, events: [Int64], timeMs: Int64) {
        self.id = id
        self.outcome = outcome
        self.reason = reason
        self.events = events
        self.timeMs = timeMs
    }

    /// A command record read from a log file.
    public init(_ record: CommandRecord) {
        if case .reply(let reply)? = try? WireCodec.decode(record.reply) {
            self.init(id: record.id, outcome: reply.outcome.rawValue, reason: reply.reason, events: reply.events, timeMs: record.timeMs)
        } else {
            self.init(id: record.id, outcome: "unreadable", reason: nil, events: [], timeMs: record.timeMs)
        }
    }
}

/// Where a checker reads the logs: a running cluster's processes (`sys.Replay`,
/// `sys.Commands`) or their log files (offline). Nothing but the logs themselves: no state a
/// process rebuilt, no read model, no snapshot stands between the checker and the events.
public protocol LogSource {
    /// Live events of `process`'s log from `seq`, at most `limit`.
    func page(of process: String, from seq: Int64, limit: Int) throws -> LogPage
    /// Recorded commands of `process` in id order after `id`, with the id to continue after
    /// (`nil`: that was the last page).
    func commands(of process: String, after id: String?, limit: Int) throws -> (records: [RecordedCommand], next: String?)
    /// Whether an error of ``page(of:from:limit:)`` or ``commands(of:after:limit:)`` says the
    /// process does not serve that request at all (a participant without a log or command
    /// records), rather than that reading failed.
    func isUnsupported(_ error: any Error) -> Bool
    /// The orchestrator's saga counters as its read side shows them, at their position, to be
    /// checked against the saga log (`nil`: the source has none to offer).
    func sagaCounters() throws -> SagaCounters?
}

/// The orchestrator's saga counters as its read side shows them, and the log position they
/// reflect (`as_of_seq`): every event up to it, none after.
public struct SagaCounters: Sendable, Equatable {
    public var asOf: Int64
    /// By counter name: `sagas.total`, `sagas.status.<status>`, `sagas.completed_cents`.
    public var counters: [String: Int64]

    public init(asOf: Int64, counters: [String: Int64]) {
        self.asOf = asOf
        self.counters = counters
    }
}

extension LogSource {
    public func isUnsupported(_ error: any Error) -> Bool { false }
    /// The saga counters to check against the saga log (`nil`: the source has none).
    public func sagaCounters() throws -> SagaCounters? { nil }
}

/// Why logs could not be read.
public enum LogCheckError: Error, CustomStringConvertible {
    /// A process's log file is not where it should be.
    case missingLog(process: String, path: String)
    /// Reading a log failed.
    case unreadable(process: String, cause: any Error)

    public var description: String {
        switch self {
        case .missingLog(let process, let path): return "no log for \(process) at \(path)"
        case .unreadable(let process, let cause): return "reading \(process)'s log failed: \(cause)"
        }
    }
}
