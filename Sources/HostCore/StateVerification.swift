import EventLog
import SagaWire
import ServiceModel

/// Folds a process's whole log with a fresh state, strictly, and compares what it folds with
/// what the process stored from the same events: the snapshots at the checkpoint and the read
/// side (documents and counters) at the projection's position (``EventLog/projected``): a
/// position ahead of the rows, or a batch projected twice, shows as rows or counters that
/// differ from the fold. A snapshot or a read-side row that differs from
/// the fold of its events was not written from them: a process restarted on it would serve a
/// state its log does not bear out (`zsaga-log verify`; `--verify-snapshots` at start).
public enum StateVerification {
    /// What the fold found.
    public struct Report: Sendable {
        public var folded = 0
        public var snapshotsCompared = 0
        public var rowsCompared = 0
        public var countersCompared = 0
        /// The projection's position: the read side is compared with the fold of the events up
        /// to it.
        public var projectedThrough: Int64 = 0
        /// Whether the checkpoint's digest of the events it covers was compared.
        public var digestCompared = false
        /// What could not be compared, and why (retention removed the history it depends on).
        public var skipped: [String] = []
        public var problems: [String] = []
    }

    /// Folds `log` into `state` (fresh) and compares.
    public static func verify<State: EventSourced>(_ log: EventLog, _ state: State) throws -> Report {
        var state = state
        var report = Report()
        let snapshots = try log.snapshots()
        let checkpointSnapshot = snapshots.first { $0.stream == Checkpoints.checkpointStream }
        let checkpoint = checkpointSnapshot?.seq
        var digest = EventDigest()
        let retired = (log.retired?.events ?? 0) > 0
        var image = ReadSideImage()
        let projected = log.projected
        report.projectedThrough = projected
        var next: Int64 = 1
        var compared = checkpoint == nil
        func compareSnapshots() {
            compared = true
            compareDigest(checkpointSnapshot, live: digest, retired: log.retired, into: &report)
            for snapshot in snapshots where snapshot.stream != Checkpoints.checkpointStream {
                if retired && State.alwaysSnapshotted.contains(snapshot.stream) {
                    report.skipped.append("snapshot of \(snapshot.stream): it folds events retention removed")
                    continue
                }
                report.snapshotsCompared += 1
                guard let folded = state.snapshot(stream: snapshot.stream) else {
                    report.problems.append("snapshot of \(snapshot.stream) at seq \(snapshot.seq): the events leave no such state")
                    continue
                }
                if JSONWriter.canonical(folded) != JSONWriter.canonical(snapshot.data) {
                    report.problems.append("snapshot of \(snapshot.stream) differs from the fold of its events: "
                                           + "stored \(JSONWriter.encode(snapshot.data).prefix(300)), folded \(JSONWriter.encode(folded).prefix(300))")
                }
            }
        }
        fold: while true {
            let page = try log.read(from: next, limit: 2000)
            guard let last = page.last else { break }
            for event in page {
                if let checkpoint, !compared, event.seq > checkpoint { compareSnapshots() }
                next = event.seq + 1
                digest.add(event)
                guard event.stream != EventLog.retiredStream else { continue }
                do {
                    let writes = try state.replay(event, from: log)
                    // The read side shows the events up to the projection's position, no further.
                    if event.seq <= projected { image.apply(writes) }
                    report.folded += 1
                } catch {
                    report.problems.append("replay: event \(event.seq) (\(event.stream) v\(event.version) \(event.type)): \(error)")
                    break fold
                }
            }
            state.trim()
            next = last.seq + 1
        }
        if !compared { compareSnapshots() }
        try compareReadSide(log, image, retired: retired, into: &report)
        return report
    }

    /// The checkpoint's digest must be the live events it covers plus what retention removed.
    private static func compareDigest(_ checkpoint: Snapshot?, live: EventDigest, retired: RetiredHistory?,
                                      into report: inout Report) {
        guard let checkpoint else { return }
        guard let recorded = checkpoint.data["events_digest"]?.stringValue.flatMap(EventDigest.init(hex:)) else {
            report.skipped.append("the events' digest: the checkpoint predates digests")
            return
        }
        guard (retired?.digestThrough ?? 0) <= checkpoint.seq else {
            report.skipped.append("the events' digest: retention removed events after the checkpoint")
            return
        }
        var total = live
        if let retired { total.add(retired.digest) }
        report.digestCompared = true
        if total != recorded {
            report.problems.append("the events up to seq \(checkpoint.seq) are not the ones the checkpoint was written from "
                                   + "(digest \(total), recorded \(recorded))")
        }
    }

    private static func compareReadSide(_ log: EventLog, _ image: ReadSideImage, retired: Bool, into report: inout Report) throws {
        for (table, rows) in image.tables.sorted(by: { $0.key < $1.key }) {
            let stored = try log.documents(table)
            for (key, document) in rows.sorted(by: { $0.key < $1.key }) {
                report.rowsCompared += 1
                guard let storedDocument = stored[key] else {
                    report.problems.append("read side \(table)/\(key): missing, the events put it")
                    continue
                }
                if JSONWriter.canonical(storedDocument) != JSONWriter.canonical(document) {
                    report.problems.append("read side \(table)/\(key) differs from the fold of its events: "
                                           + "stored \(JSONWriter.encode(storedDocument).prefix(300)), folded \(JSONWriter.encode(document).prefix(300))")
                }
            }
            for key in stored.keys.sorted() where rows[key] == nil {
                report.problems.append("read side \(table)/\(key): no event puts it")
            }
        }
        guard !retired else {
            report.skipped.append("counters: they count events retention removed")
            return
        }
        let stored = try log.counters(prefix: "")
        for (name, value) in image.counters.sorted(by: { $0.key < $1.key }) {
            report.countersCompared += 1
            if stored[name, default: 0] != value {
                report.problems.append("counter \(name) is \(stored[name, default: 0]), the events count \(value)")
            }
        }
        for name in stored.keys.sorted() where image.counters[name] == nil && stored[name] != 0 {
            report.problems.append("counter \(name) is \(stored[name]!), no event counts it")
        }
    }
}

/// The read side a fold writes, kept in memory: the last document per key, and the counters.
package struct ReadSideImage: Sendable {
    package var tables: [String: [String: JSON]] = [:]
    package var counters: [String: Int64] = [:]

    package init() {}

    package mutating func apply(_ writes: [ReadWrite]) {
        for write in writes {
            switch write {
            case .put(let table, let key, _, let document): tables[table, default: [:]][key] = document
            case .delete(let table, let key): tables[table, default: [:]][key] = nil
            case .count(let name, let delta, let onCreate):
                if counters[name] == nil, let onCreate { counters[onCreate, default: 0] += 1 }
                counters[name, default: 0] += delta
            }
        }
    }
}
