import GRDB
import SagaWire
import ServiceModel

/// How a log's read-side writes reach it.
public enum ReadSideWrites: Sendable, Equatable {
    /// In the commit of the events they come from: the read side is always at the head (what
    /// the monitor and the tools do).
    case inCommit
    /// Later, in batches of their own (``EventLog/project(_:through:)``): a commit carries
    /// events, command records and offsets only, and the read side trails the head by the
    /// projection's lag (what the orchestrator and the services do).
    case projected
}

extension EventLog {
    /// Writes a batch of read-side writes, made by the events after ``projected`` up to
    /// `seq`, and moves ``projected`` to `seq`, in one transaction.
    ///
    /// - Throws: ``EventLogError/storage(_:)`` when `seq` is behind the position (a batch
    ///   projected twice would count its events twice) or beyond the head, or SQLite fails.
    ///
    /// - Parameter beforeCommitting: called inside the transaction once its writes are made;
    ///   an error it throws rolls the batch back (fault injection's `mid-projection`).
    public func project(_ batch: ReadSideBatch, through seq: Int64, beforeCommitting: () throws -> Void = {}) throws(EventLogError) {
        // Writes come from events after the position: a batch that does not move it past them
        // would count what is counted already.
        guard seq > projected || (seq == projected && batch.isEmpty) else {
            throw .storage("projecting through seq \(seq), but the read side is at \(projected) already")
        }
        guard seq <= head else { throw .storage("projecting through seq \(seq), beyond the head \(head)") }
        guard seq > projected else { return }
        let statements = readStatements
        let writes = batch.writes
        do {
            try database.write { db in
                try ReadSide.write(writes, in: db, using: statements)
                try Self.setProjected(seq, in: db)
                try beforeCommitting()
            }
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError(wrapping: error)
        }
        projected = seq
    }

    static func setProjected(_ seq: Int64, in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE projection SET seq = ? WHERE name = 'read_side'").execute(arguments: [seq])
    }
}
