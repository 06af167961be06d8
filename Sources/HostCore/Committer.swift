import EventLog
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

    package init(log: EventLog, metrics: HostMetrics, snapshotEvery: Int, alwaysSnapshot: [String] = [], verifySnapshots: Bool = false) {
        self.log = log
        self.metrics = metrics
        self.verifySnapshots = verifySnapshots
        checkpoints = Checkpoints(every: snapshotEvery, always: alwaysSnapshot)
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
        return try checkpoints.recover(&state, from: log, rebuildReadSide: log.readSideIsNew)
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
        do { results = try log.commit(group: units) } catch { throw HostError.fatalStorage("the log failed", cause: error) }
        let elapsed = monotonicMicros() - started
        var committed: [[Event]] = []
        committed.reserveCapacity(results.count)
        for result in results {
            do { committed.append(try result.get()) } catch { throw HostError.fatalStorage("a batch was refused", cause: error) }
        }
        stats.record(units: units.count, events: committed.reduce(0) { $0 + $1.count }, micros: elapsed)
        metrics.commit(units: units.count, micros: elapsed)
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
        try checkpoints.write(snapshot, to: log, logger: logger)
    }

    /// The same, with the working set's snapshots from `snapshot`.
    package mutating func committed(_ events: [Event], snapshot: (String) -> JSON?, faults: inout FaultInjector,
                                    logger: Logger, publish: ([Event]) -> Void) throws {
        guard !events.isEmpty else { return }
        publish(events.filter { _ in !faults.dropsPublish() })
        checkpoints.committed(events)
        if checkpoints.isDue { try checkpoints.write(snapshot, to: log, logger: logger) }
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
