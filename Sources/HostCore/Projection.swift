import EventLog
import SagaWire
import ServiceModel

/// The read-side writes of committed events not yet written: a host's projection of its log
/// onto its read side, off the commit path.
///
/// A commit carries events, command records and offsets; the folds' read-side writes wait here,
/// reduced as they come (``ReadSideBatch``), and are written in a transaction of their own
/// with the log's projection position (``EventLog/project(_:through:)``) when the oldest has
/// waited ``maxDelayMs``, when ``maxWrites`` are waiting, and before anything reads the read
/// side (a query, retention, a checkpoint). So many group commits share one projection batch,
/// a row written twice in between is written once, and a query still sees every command
/// replied to before it arrived.
package struct Projection {
    /// The writes waiting, and the last sequence number they cover.
    package private(set) var pending = ReadSideBatch()
    package private(set) var through: Int64
    /// When (monotonic ms) the oldest committed event not yet projected was committed.
    package private(set) var oldestMs: Int64?
    /// How long the oldest waiting write may wait (ms); a batch holds SQLite's write lock for
    /// about a millisecond per thousand writes, so a batch stays short.
    package var maxDelayMs: Int64 = 100
    /// How many waiting writes (before reducing) make a batch due at once.
    package var maxWrites = 4000
    /// Batches written, writes written (after reducing) and what they took.
    package private(set) var batches = 0
    package private(set) var rowsWritten = 0
    package private(set) var writesAdded = 0
    package private(set) var lastBatchMicros: Int64 = 0
    package private(set) var longestBatchMicros: Int64 = 0

    package init(through: Int64) { self.through = through }

    /// Notes a commit whose last event is `seq`, made at `now` (monotonic ms), and its writes.
    package mutating func committed(_ writes: [ReadWrite], through seq: Int64, now: Int64) {
        guard seq > through else { return }
        pending.add(writes)
        through = seq
        if oldestMs == nil { oldestMs = now }
    }

    /// Whether anything committed is not projected.
    package var isBehind: Bool { oldestMs != nil }

    /// When a batch is due (monotonic ms): `nil` when nothing waits.
    package var dueMs: Int64? {
        guard let oldestMs else { return nil }
        return pending.added >= maxWrites ? oldestMs : oldestMs + maxDelayMs
    }

    /// The age of the oldest committed event not yet projected (ms; 0 when none).
    package func lagMs(now: Int64) -> Int64 { oldestMs.map { max(0, now - $0) } ?? 0 }

    /// Takes the waiting writes for a batch, and what it covers.
    package mutating func take() -> (batch: ReadSideBatch, through: Int64) {
        // A fresh batch, not `removeAll(keepingCapacity:)`: the taken one shares its storage, and
        // keeping the capacity would copy every waiting write.
        let taken = pending
        pending = ReadSideBatch()
        oldestMs = nil
        return (taken, through)
    }

    /// Notes a batch written.
    package mutating func wrote(_ batch: ReadSideBatch, micros: Int64) {
        batches += 1
        rowsWritten += batch.reducedCount
        writesAdded += batch.added
        lastBatchMicros = micros
        longestBatchMicros = max(longestBatchMicros, micros)
    }

    /// What `sys.Ping` says of it.
    package func json(log: EventLog, now: Int64) -> JSON {
        ["projected": .int(log.projected), "head": .int(log.head), "lag_ms": .int(lagMs(now: now)),
         "waiting_writes": .int(Int64(pending.added)), "batches": .int(Int64(batches)),
         "writes": .int(Int64(writesAdded)), "rows_written": .int(Int64(rowsWritten)),
         "last_batch_ms": .double(Double(lastBatchMicros) / 1000), "longest_batch_ms": .double(Double(longestBatchMicros) / 1000),
         "max_delay_ms": .int(maxDelayMs)]
    }
}
