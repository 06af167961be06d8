import EventLog
import Logging
import SagaWire
import ServiceModel

/// Rebuilds event-sourced state from a log (the working set's snapshots plus the events after
/// them) and writes incremental snapshots: the streams changed since the last one, and a
/// checkpoint recording the sequence number up to which the snapshots are complete.
///
/// Only the working set is snapshotted (``EventSourced/snapshot(stream:)``); a stream that left
/// it has its snapshot deleted, so the snapshots stay as large as the work in flight, whatever
/// the history.
public struct Checkpoints {
    /// The pseudo-stream whose snapshot holds the checkpoint sequence number.
    public static let checkpointStream = "$checkpoint"
    /// The snapshot format this build writes. A checkpoint of another format (an earlier build's,
    /// which snapshotted every stream) is not trusted: the state is rebuilt from the whole log,
    /// once, and snapshotted anew.
    public static let format: Int64 = 2

    /// A snapshot is written after this many events (0: never).
    public let every: Int
    /// Streams written at every snapshot, whatever changed (a process-wide working set).
    public let always: [String]
    private var dirty: Set<String> = []
    private var eventsSince = 0
    /// Streams that have a snapshot in the log now.
    private var stored: Set<String> = []
    /// The sequence number the last checkpoint covers (0: none).
    public private(set) var covered: Int64 = 0
    /// The digest of every event up to the head (``EventDigest``), which each checkpoint
    /// records; `nil` when the log's checkpoint predates digests (until the log is replayed
    /// whole).
    public private(set) var digest: EventDigest? = EventDigest()

    public init(every: Int, always: [String] = []) {
        self.every = every
        self.always = always
    }

    /// What a rebuild did.
    public struct Report: Sendable {
        public var snapshots = 0
        public var checkpoint: Int64 = 0
        public var replayed = 0
        /// Whether the snapshots were of another format, so the whole log was replayed.
        public var reformatted = false
        /// Whether the read side was rebuilt from the whole log (it was new).
        public var rebuiltReadSide = false
        /// Where the read side's projection stood, and how many events recovery projected
        /// (those the process committed but had not projected when it stopped).
        public var projectedAtStart: Int64 = 0
        public var projected = 0
    }

    /// How many read-side writes recovery gathers before writing them.
    static let recoveryProjectionChunk = 20_000

    /// Restores the working set's snapshots, then applies the events after the checkpoint,
    /// loading each stream that is not held first (as it stood before the event), and projects
    /// the read-side writes of those after the log's projection position (``EventLog/projected``),
    /// in chunks, so that the read side is at the head when it returns.
    ///
    /// The whole log is replayed instead when the snapshots are of another format, when
    /// `rebuildReadSide` is set, or when the projection is behind the checkpoint (a read side
    /// new over an existing log: its writes must come from the events' first fold).
    public mutating func recover<State: EventSourced>(_ state: inout State, from log: EventLog,
                                                      rebuildReadSide: Bool = false) throws -> Report {
        var report = Report()
        let snapshots = try log.snapshots()
        let checkpoint = snapshots.first { $0.stream == Self.checkpointStream }
        let projected = log.projected
        report.projectedAtStart = projected
        stored = Set(snapshots.map(\.stream))
        if let checkpoint, checkpoint.data["format"]?.intValue == Self.format, !rebuildReadSide, projected >= checkpoint.seq {
            report.checkpoint = checkpoint.seq
            covered = checkpoint.seq
            digest = checkpoint.data["events_digest"]?.stringValue.flatMap(EventDigest.init(hex:))
            for snapshot in snapshots where snapshot.stream != Self.checkpointStream {
                do { try state.restore(stream: snapshot.stream, snapshot: snapshot.data) } catch {
                    throw HostError.recovery("snapshot of \(snapshot.stream)", cause: error)
                }
                report.snapshots += 1
            }
        } else {
            // Every stream snapshotted so far is rewritten or deleted at the next snapshot.
            report.reformatted = checkpoint != nil && checkpoint?.data["format"]?.intValue != Self.format
            report.rebuiltReadSide = projected == 0 && log.head > 0
            dirty.formUnion(stored)
            // The whole live log is replayed; what retention removed is in its digest.
            digest = log.retired?.digest ?? EventDigest()
        }
        var pending = ReadSideBatch()
        var pendingThrough = projected
        func project() throws {
            do { try log.project(pending, through: pendingThrough) } catch { throw HostError.fatalStorage("projecting the read side", cause: error) }
            pending.removeAll()
        }
        // Page by page: loading a stream reads the log, which cannot happen inside a read of it.
        var next = report.checkpoint + 1
        while true {
            let page = try log.read(from: next, limit: 2000)
            guard let last = page.last else { break }
            // Retention's summaries are the log's, not the state's.
            for event in page where event.stream != EventLog.retiredStream {
                do {
                    let writes = try state.replay(event, from: log)
                    if event.seq > projected {
                        pending.add(writes)
                        report.projected += 1
                    }
                } catch {
                    throw HostError.recovery("event \(event.seq) (\(event.stream) v\(event.version) \(event.type))", cause: error)
                }
                // Replayed events come after the checkpoint: the next snapshot must include their
                // streams, or a later recovery would start from a checkpoint that lacks them.
                dirty.insert(event.stream)
                digest?.add(event)
                report.replayed += 1
            }
            pendingThrough = max(pendingThrough, last.seq)
            if pending.added >= Self.recoveryProjectionChunk { try project() }
            state.trim()
            next = last.seq + 1
        }
        if log.projected < log.head { try project() }
        state.trim()
        eventsSince = report.checkpoint == 0 && report.replayed > 0 ? max(report.replayed, every) : report.replayed
        return report
    }

    /// Notes committed events; their streams go into the next snapshot.
    public mutating func committed(_ events: [Event]) {
        for event in events {
            dirty.insert(event.stream)
            digest?.add(event)
        }
        eventsSince += events.count
    }

    /// Whether enough events passed since the last snapshot.
    public var isDue: Bool { every > 0 && eventsSince >= every }

    /// Saves the changed streams of the working set, deletes the snapshots of those that left
    /// it, and writes the checkpoint, in one commit.
    public mutating func write<State: EventSourced>(_ state: State, to log: EventLog, logger: Logger) throws {
        try write(state.snapshot(stream:), to: log, logger: logger)
    }

    /// The same, with the working set's snapshots from `snapshot` (`nil`: not in the working set).
    public mutating func write(_ snapshot: (String) -> JSON?, to log: EventLog, logger: Logger) throws {
        let head = log.head
        var snapshots: [Snapshot] = []
        var dropped: [String] = []
        for stream in dirty.union(always).sorted() where stream != Self.checkpointStream {
            if let data = snapshot(stream) {
                snapshots.append(Snapshot(stream: stream, version: data["version"]?.intValue ?? 0, seq: head, data: data))
                stored.insert(stream)
            } else if stored.remove(stream) != nil {
                dropped.append(stream)
            }
        }
        var checkpoint: JSONObject = ["format": .int(Self.format)]
        if let digest { checkpoint["events_digest"] = .string(digest.description) }
        snapshots.append(Snapshot(stream: Self.checkpointStream, version: 0, seq: head, data: .object(checkpoint)))
        stored.insert(Self.checkpointStream)
        do { try log.commit(LogBatch(snapshots: snapshots, droppedSnapshots: dropped)) } catch {
            throw HostError.fatalStorage("snapshot", cause: error)
        }
        logger.debug("snapshot written", metadata: ["streams": "\(snapshots.count - 1)", "dropped": "\(dropped.count)", "seq": "\(head)"])
        dirty.removeAll(keepingCapacity: true)
        eventsSince = 0
        covered = head
    }
}

extension EventSourced {
    /// Applies a logged event as recovery does: a stream the state does not hold is loaded
    /// first, as it stood before the event.
    package mutating func replay(_ event: Event, from log: EventLog) throws -> [ReadWrite] {
        if !holds(event.stream) {
            try load(event.stream, events: log.read(streams: [event.stream], beforeSeq: event.seq)[event.stream] ?? [])
        }
        return try apply(event)
    }
}
