import Domain
import EventLog
import Logging
import SagaWire

/// Rebuilds event-sourced state from a log (snapshots plus the events after them) and writes
/// incremental snapshots: the streams changed since the last one, and a checkpoint recording
/// the sequence number up to which the snapshots are complete.
public struct Checkpoints {
    /// The pseudo-stream whose snapshot holds the checkpoint sequence number.
    public static let checkpointStream = "$checkpoint"

    /// A snapshot is written after this many events (0: never).
    public let every: Int
    private var dirty: Set<String> = []
    private var eventsSince = 0

    public init(every: Int) {
        self.every = every
    }

    /// What a rebuild did.
    public struct Report: Sendable {
        public var snapshots = 0
        public var checkpoint: Int64 = 0
        public var replayed = 0
    }

    /// Restores every snapshot, then applies the events after the checkpoint.
    public mutating func recover<State: EventSourced>(_ state: inout State, from log: EventLog) throws -> Report {
        var report = Report()
        for snapshot in try log.snapshots() {
            if snapshot.stream == Self.checkpointStream {
                report.checkpoint = snapshot.seq
                continue
            }
            do { try state.restore(stream: snapshot.stream, snapshot: snapshot.data) } catch {
                throw HostError.recovery("snapshot of \(snapshot.stream): \(error)")
            }
            report.snapshots += 1
        }
        var failure: HostError?
        try log.forEachEvent(from: report.checkpoint + 1) { event in
            guard failure == nil else { return }
            do { try state.apply(event) } catch {
                failure = HostError.recovery("event \(event.seq) (\(event.type)): \(error)")
                return
            }
            // Replayed events come after the checkpoint: the next snapshot must include their
            // streams, or a later recovery would start from a checkpoint that lacks them.
            dirty.insert(event.stream)
            report.replayed += 1
        }
        if let failure { throw failure }
        eventsSince = report.replayed
        return report
    }

    /// Notes committed events; their streams go into the next snapshot.
    public mutating func committed(_ events: [Event]) {
        for event in events { dirty.insert(event.stream) }
        eventsSince += events.count
    }

    /// Whether enough events passed since the last snapshot.
    public var isDue: Bool { every > 0 && eventsSince >= every }

    /// Saves the changed streams and the checkpoint in one commit.
    public mutating func write<State: EventSourced>(_ state: State, to log: EventLog, logger: Logger) throws {
        let head = log.head
        var snapshots: [Snapshot] = []
        for stream in dirty.sorted() {
            guard let data = state.snapshot(stream: stream) else { continue }
            snapshots.append(Snapshot(stream: stream, version: data["version"]?.intValue ?? 0, seq: head, data: data))
        }
        snapshots.append(Snapshot(stream: Self.checkpointStream, version: 0, seq: head, data: [:]))
        do { try log.commit(LogBatch(snapshots: snapshots)) } catch { throw HostError.fatalStorage("snapshot: \(error)") }
        logger.debug("snapshot written", metadata: ["streams": "\(snapshots.count - 1)", "seq": "\(head)"])
        dirty.removeAll(keepingCapacity: true)
        eventsSince = 0
    }
}
