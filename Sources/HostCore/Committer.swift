import EventLog
import CoreMetrics
import Logging
import SagaWire
import ServiceModel

/// The one commit path of every ZSaga host: the orchestrator, the services and the monitor.
///
/// A batch's units (events, command records, read-side writes, offsets) go into one
/// transaction with its crash points around it, its figures (commit stats and metrics), and
/// after it the publication of the committed events (less those the faults drop) and the
/// checkpoint when one is due. Nothing is published before it is committed.
package struct Committer {
    package let log: EventLog
    package private(set) var stats = CommitStats()
    private let metrics: HostMetrics
    private var checkpoints: Checkpoints

    /// - Parameter alwaysSnapshot: streams written at every snapshot (a process-wide working set).
    /// Whether recovery first folds the whole log and compares it with the snapshots and the
    /// read side (`--verify-snapshots`).
    private let verifySnapshots: Bool
    /// The read-side writes committed and not yet projected (`nil`: they go in the commit).
    package private(set) var projection: Projection?
    private let lagGauge: Gauge
    /// The clock the projection's delays run on (virtual in the simulation).
    private let clock: any HostClock

    /// - Parameter projecting: whether the read side is a projection written after the commits
    ///   (``Projection``) rather than in them.
    package init(log: EventLog, metrics: HostMetrics, snapshotEvery: Int, alwaysSnapshot: [String] = [], verifySnapshots: Bool = false,
                 projecting: Bool = true, clock: any HostClock = SystemClock()) {
        self.log = log
        self.clock = clock
        self.metrics = metrics
        self.verifySnapshots = verifySnapshots
        checkpoints = Checkpoints(every: snapshotEvery, always: alwaysSnapshot)
        lagGauge = metrics.gauge("zsaga_projection_lag_ms")
        if projecting {
            log.readSideWrites = .projected
            projection = Projection(through: log.projected)
        }
    }

    /// Rebuilds `state` from the log (see ``Checkpoints/recover(_:from:rebuildReadSide:)``),
    /// rebuilding the read side too when the log's is new. With `verifySnapshots`, `state` (as
    /// yet empty) is first folded from the log's first event and compared with the snapshots and
    /// the read side (``StateVerification``): a process whose stored state its events do not
    /// bear out refuses to start.
    package mutating func recover<State: EventSourced>(_ state: inout State) throws -> Checkpoints.Report {
        if verifySnapshots && !log.readSideIsNew {
            let report: StateVerification.Report
            do { report = try StateVerification.verify(log, state) } catch { throw HostError.recovery("verifying the snapshots", cause: error) }
            guard report.problems.isEmpty else {
                throw HostError.recovery("the stored state differs from the fold of the log (\(report.problems.count) problems): "
                                         + report.problems.prefix(3).joined(separator: "; "))
            }
        }
        let report = try checkpoints.recover(&state, from: log)
        if projection != nil { projection = Projection(through: log.projected) }
        return report
    }

    /// Commits `units` in one transaction, crashing at `before-commit` and `after-commit` when
    /// the faults say so. Returns each unit's events, in order.
    ///
    /// - Throws: ``InjectedCrash`` at a crash point; ``HostError/fatalStorage(_:)`` when the log
    ///   fails or refuses a unit (the host's memory is then ahead of its log: stop, and let a
    ///   restart rebuild from the log).
    package mutating func commit(_ units: [LogBatch], faults: inout FaultInjector) throws -> [[Event]] {
        guard !units.isEmpty else { return [] }
        if faults.crashes(at: .beforeCommit) { throw InjectedCrash(point: .beforeCommit) }
        let started = monotonicMicros()
        let results: [Result<[Event], EventLogError>]
        var writes: [ReadWrite] = []
        var committing = units
        if projection != nil {
            for index in committing.indices where !committing[index].writes.isEmpty {
                writes += committing[index].writes
                committing[index].writes = []
            }
        }
        do { results = try log.commit(group: committing) } catch { throw HostError.fatalStorage("the log failed", cause: error) }
        let elapsed = monotonicMicros() - started
        var committed: [[Event]] = []
        committed.reserveCapacity(results.count)
        for result in results {
            do { committed.append(try result.get()) } catch { throw HostError.fatalStorage("a batch was refused", cause: error) }
        }
        stats.record(units: units.count, events: committed.reduce(0) { $0 + $1.count }, micros: elapsed)
        metrics.commit(units: units.count, micros: elapsed)
        let head = log.head, now = clock.monotonicMs()
        projection?.committed(writes, through: head, now: now)
        // Committed, nothing replied, published or sent yet.
        if faults.crashes(at: .afterCommit) { throw InjectedCrash(point: .afterCommit) }
        return committed
    }

    /// After a commit: publishes its events (less those the faults drop), notes them for the
    /// next snapshot, and writes that snapshot of `state` when it is due.
    package mutating func committed<State: EventSourced>(_ events: [Event], of state: State, faults: inout FaultInjector,
                                                          logger: Logger, publish: ([Event]) -> Void) throws {
        try committed(events, snapshot: state.snapshot(stream:), faults: &faults, logger: logger, publish: publish)
    }

    /// Makes sure a checkpoint covers the events a retirement is about to remove, writing one
    /// of `snapshot` now if needed. State that those events moved (stock, say) must be in a
    /// snapshot before they leave the log, or a replay from an older checkpoint would miss them.
    ///
    /// The previous `HistoryRetired` among them is not state: the log reads it, nothing replays
    /// it. It is always the newest event there, so counting it would write a checkpoint (the
    /// monitor's is most of a megabyte) before every batch; the retired events themselves are
    /// older than the window, and the periodic checkpoints have long covered them.
    package mutating func checkpoint(before removing: [Event], snapshot: (String) -> JSON?, logger: Logger) throws {
        guard let seq = removing.last(where: { $0.stream != EventLog.retiredStream })?.seq, seq > checkpoints.covered else { return }
        try writeCheckpoint(snapshot, logger: logger)
    }

    /// The same, with the working set's snapshots from `snapshot`.
    package mutating func committed(_ events: [Event], snapshot: (String) -> JSON?, faults: inout FaultInjector,
                                    logger: Logger, publish: ([Event]) -> Void) throws {
        guard !events.isEmpty else { return }
        publish(events.filter { _ in !faults.dropsPublish() })
        checkpoints.committed(events)
        if checkpoints.isDue { try writeCheckpoint(snapshot, logger: logger) }
    }

    /// Writes a checkpoint of the working set; the read side is projected up to the head
    /// first, so that a recovery from the checkpoint never needs the writes of events before it.
    private mutating func writeCheckpoint(_ snapshot: (String) -> JSON?, logger: Logger) throws {
        var noFaults = FaultInjector()
        try project(faults: &noFaults)
        try checkpoints.write(snapshot, to: log, logger: logger)
    }

    // MARK: The projection

    /// A read-side row as the projection will leave it: its waiting put's document, `.some(nil)`
    /// for a waiting delete, `nil` when nothing waits for it (the read side has it as it is).
    package func pendingDocument(_ table: String, key: String) -> JSON?? {
        projection?.pending.document(table, key: key)
    }

    /// When the next projection batch is due (monotonic ms), if one waits.
    package var projectionDueMs: Int64? { projection?.dueMs }

    /// Writes the waiting read-side writes when they are due at `now` (monotonic ms).
    package mutating func projectIfDue(now: Int64, faults: inout FaultInjector) throws {
        guard let due = projection?.dueMs, due <= now else { return }
        try project(faults: &faults)
    }

    /// Writes every waiting read-side write now: before anything reads the read side (a query,
    /// retention), so that it shows every event committed so far.
    ///
    /// - Throws: ``InjectedCrash`` at `mid-projection`; ``HostError/fatalStorage(_:)`` when the
    ///   log fails.
    package mutating func project(faults: inout FaultInjector) throws {
        guard var projection, projection.isBehind else { return }
        let (batch, through) = projection.take()
        let started = monotonicMicros()
        let crash = faults.crashes(at: .midProjection)
        do {
            try log.project(batch, through: through) {
                if crash { throw InjectedCrash(point: .midProjection) }
            }
        } catch {
            if crash { throw InjectedCrash(point: .midProjection) }
            throw HostError.fatalStorage("projecting the read side", cause: error)
        }
        projection.wrote(batch, micros: monotonicMicros() - started)
        self.projection = projection
        lagGauge.record(0)
    }

    /// Records the projection's lag (`zsaga_projection_lag_ms`) at `now` (monotonic ms).
    package func recordLag(now: Int64) { lagGauge.record(projection?.lagMs(now: now) ?? 0) }

    /// What `sys.Ping` says of the projection.
    package func projectionJSON(now: Int64) -> JSON {
        projection?.json(log: log, now: now) ?? ["projected": .int(log.projected), "head": .int(log.head), "lag_ms": 0, "in_commit": true]
    }
}

/// A host reached an injected crash point (`crash=POINT:RATE`). A process aborts
/// (``crashNow(_:process:)``); an embedded host or a simulation drops its state, as a crash
/// would, and starts again on the log.
package struct InjectedCrash: Error, Sendable, Equatable {
    /// Where it happened.
    package var point: FaultSpec.CrashPoint
    package init(point: FaultSpec.CrashPoint) { self.point = point }
}
