import SagaWire
import ServiceModel

/// What the log recorded of a processed command: its reply, and its body's hash.
public struct StoredCommand: Sendable, Equatable {
    public var reply: [UInt8]
    public var bodyHash: Int64?

    public init(reply: [UInt8], bodyHash: Int64?) {
        self.reply = reply
        self.bodyHash = bodyHash
    }
}

/// A command id and the reply that was sent for it, recorded with the command's events.
public struct ProcessedCommand: Sendable, Equatable {
    /// The command id (the idempotency key).
    public var commandID: String
    /// The reply envelope, returned verbatim when the command arrives again.
    public var reply: [UInt8]
    /// When it was processed, in milliseconds since the Unix epoch.
    public var timeMs: Int64
    /// The command's ``SagaWire/Command/bodyHash``, so that a reuse of the id with another body
    /// is refused (`conflict`) instead of answered as a retry; `nil` for a record without one.
    public var bodyHash: Int64?

    public init(commandID: String, reply: [UInt8], timeMs: Int64, bodyHash: Int64? = nil) {
        self.commandID = commandID
        self.reply = reply
        self.timeMs = timeMs
        self.bodyHash = bodyHash
    }
}

/// A stream's state as of a version, so replay can start there instead of at the beginning.
public struct Snapshot: Sendable, Equatable {
    /// The stream id (or a process-wide key such as `$state`).
    public var stream: String
    /// The stream version the snapshot includes.
    public var version: Int64
    /// The log sequence number the snapshot includes.
    public var seq: Int64
    /// The state.
    public var data: JSON

    public init(stream: String, version: Int64, seq: Int64, data: JSON) {
        self.stream = stream
        self.version = version
        self.seq = seq
        self.data = data
    }
}

/// One atomic unit of writes: all of it is committed, or none of it.
public struct LogBatch: Sendable, Equatable {
    /// Appends to one or more streams.
    public var appends: [StreamAppend]
    /// Command ids processed by this unit, with their replies.
    public var commands: [ProcessedCommand]
    /// Snapshots to save (replacing earlier ones of the same stream).
    public var snapshots: [Snapshot]
    /// Consumer offsets to save, by consumer name.
    public var offsets: [String: Int64]
    /// Read-side writes that come with these events.
    public var writes: [ReadWrite]
    /// Streams whose snapshots are deleted (they left the working set).
    public var droppedSnapshots: [String]

    public init(appends: [StreamAppend] = [], commands: [ProcessedCommand] = [], snapshots: [Snapshot] = [],
                offsets: [String: Int64] = [:], writes: [ReadWrite] = [], droppedSnapshots: [String] = []) {
        self.appends = appends
        self.commands = commands
        self.snapshots = snapshots
        self.offsets = offsets
        self.writes = writes
        self.droppedSnapshots = droppedSnapshots
    }

    /// Whether the batch writes nothing.
    public var isEmpty: Bool {
        appends.allSatisfy { $0.events.isEmpty } && commands.isEmpty && snapshots.isEmpty && offsets.isEmpty && writes.isEmpty
            && droppedSnapshots.isEmpty
    }
}

/// Why the log refused or failed a write or a read.
public enum EventLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A stream was not at the expected version; nothing of the batch was written.
    case versionConflict(stream: String, expected: ExpectedVersion, actual: Int64)
    /// The command id was already recorded; nothing of the batch was written.
    case duplicateCommand(String)
    /// The database file belongs to another service.
    case wrongService(expected: String, found: String)
    /// SQLite failed (I/O error, disk full, corrupt file, busy…), with its result codes (primary
    /// and extended, as in `sqlite3.h`), its message and the statement, as GRDB reported them.
    case sqlite(code: Int32, extendedCode: Int32, message: String?, sql: String?)
    /// The log cannot be used for a reason of its own (no file, a bad name…); the message says what.
    case storage(String)
    /// A stored row could not be read back (invalid JSON in the data column, say).
    case corrupt(String)

    public var description: String {
        switch self {
        case .versionConflict(let stream, let expected, let actual):
            return "version conflict on stream \(stream): expected \(expected), stream is at \(actual)"
        case .duplicateCommand(let id): return "command \(id) was already processed"
        case .wrongService(let expected, let found): return "this log belongs to service \(found), not \(expected)"
        case .sqlite(let code, let extended, let message, let sql):
            return "SQLite error \(code) (extended \(extended)): \(message ?? "no message")" + (sql.map { " in `\($0)`" } ?? "")
        case .storage(let message): return "storage error: \(message)"
        case .corrupt(let message): return "corrupt log: \(message)"
        }
    }
}

/// What ``EventLog/verify()`` found.
public struct LogVerification: Sendable, Equatable {
    /// Number of events.
    public var events: Int64
    /// Highest sequence number.
    public var head: Int64
    /// Sequence numbers missing between 1 and the head.
    public var sequenceGaps: [ClosedRange<Int64>]
    /// Streams whose versions are not 1, 2, 3, … in log order.
    public var streamsOutOfOrder: [String]
    /// Number of recorded commands.
    public var commands: Int64
    /// Sequence numbers retention removed (not gaps: the last `HistoryRetired` names them).
    public var retired: Int64 = 0
    /// Live events whose sequence numbers retention says it removed.
    public var resurrected: [Int64] = []

    public init(events: Int64, head: Int64, sequenceGaps: [ClosedRange<Int64>], streamsOutOfOrder: [String], commands: Int64,
                retired: Int64 = 0, resurrected: [Int64] = []) {
        self.events = events
        self.head = head
        self.sequenceGaps = sequenceGaps
        self.streamsOutOfOrder = streamsOutOfOrder
        self.commands = commands
        self.retired = retired
        self.resurrected = resurrected
    }

    /// Whether the log is gap-free (retired sequence numbers aside) and every stream is in order.
    public var isClean: Bool { sequenceGaps.isEmpty && streamsOutOfOrder.isEmpty && resurrected.isEmpty }
}

/// A recorded command: its id, the reply it got (encoded as on the wire) and when.
public struct CommandRecord: Sendable, Equatable {
    public var id: String
    public var reply: [UInt8]
    public var timeMs: Int64

    public init(id: String, reply: [UInt8], timeMs: Int64) {
        self.id = id
        self.reply = reply
        self.timeMs = timeMs
    }
}
