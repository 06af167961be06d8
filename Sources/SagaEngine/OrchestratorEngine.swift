import SagaCore
import EventLog
import ServiceModel
import Logging
import SagaWire
import HostCore

/// The saga orchestrator without its sockets: the saga book and its log, the timers, the
/// waiting clients, recovery, and one batch per reactor iteration.
///
/// Each ``handle(_:)`` takes what an iteration gathered (API requests, the services' replies
/// and events) plus the timers now due; the pure ``SagaMachine`` turns each into events and
/// effects; the batch is committed at once; only then are commands sent, clients answered and
/// saga events published (the next step's action alone may go ahead of the commit).
///
/// ``OrchestratorHost`` drives it from a ZeroMQ reactor. Because the engine reaches the world
/// only through an ``OrchestratorIO`` and a ``HostClock``, tests and the seeded simulation
/// drive the same code in process, on virtual time, and crash it at every crash point.
package final class OrchestratorEngine {
    let config: EngineConfiguration
    let logger: Logger
    let log: EventLog
    let clock: any HostClock
    let io: any OrchestratorIO
    var book = SagaBook()
    var committer: Committer
    let system: SystemQueries
    /// The definition new sagas of each type run.
    var current: [String: SagaDefinition] = [:]
    var timers = TimerQueue<TimerKind>()
    var waiters: [String: [(route: [[UInt8]], requestID: String)]] = [:]
    var random: SplitMix64
    /// The checks of the context rules the saga types use, by rule and settings (the order
    /// rule's item check, per stock service).
    var contextChecks: [ContextCheckKey: any ContextCheck] = [:]
    /// The positions of the services' streams last saved, and when.
    var savedPositions: [String: Int64] = [:]
    var lastOffsetSave: Int64 = 0
    /// The faults this engine injects; the simulation sets them directly.
    package var faults: FaultInjector
    let observer: OrchestratorObserver
    var retainer: Retainer
    let archive: ArchiveWriter?

    enum TimerKind {
        case send(sagaID: String, SagaCommand, attempt: Int)
        case timeout(commandID: String, attempt: Int)
    }

    /// The services' stream positions recovered from the log: where the host's subscriber
    /// resumes each stream.
    package private(set) var recoveredPositions: [String: Int64] = [:]
    /// What recovery found.
    package private(set) var recovery: (snapshots: Int, replayed: Int, resumed: Int, projected: Int, ms: Int64) = (0, 0, 0, 0, 0)

    /// Rebuilds every saga from `log`, registers the configured definitions and re-sends what
    /// every running or compensating saga waits for, with the same command ids.
    package init(config: EngineConfiguration, log: EventLog, clock: any HostClock, io: any OrchestratorIO,
                 metrics: HostMetrics = HostMetrics(service: "saga"), logger: Logger) throws {
        self.config = config
        observer = OrchestratorObserver(metrics: metrics)
        self.log = log
        self.clock = clock
        self.io = io
        self.logger = logger
        system = SystemQueries(service: "saga", startedMs: clock.wallClockMs())
        committer = Committer(log: log, metrics: metrics, snapshotEvery: config.snapshotEvery, verifySnapshots: config.verifySnapshots,
                              clock: clock)
        retainer = Retainer(settings: config.retention, rules: SagaBook.retentionRules)
        archive = try config.retention.archiveDirectory.map { try ArchiveWriter(directory: $0, service: "saga") }
        random = SplitMix64(seed: config.seed)
        faults = FaultInjector(config.faults)
        try recover()
    }

    /// The sequence number of the log's last event.
    package var head: Int64 { log.head }
    /// The saga log (for tests and the simulation's checks: the engine is its only writer).
    package var eventLog: EventLog { log }
    /// Sagas running or compensating.
    package var inFlight: Int { book.inFlight }
    /// When the next timer is due (monotonic ms), if any; with retention on, the next retirement
    /// batch's time when that is sooner (at once while a backlog lasts, else within a second).
    package var nextTimerDue: Int64? {
        let due = [timers.nextDue, committer.projectionDueMs].compactMap { $0 }.min()
        guard config.retention.window.isOn else { return due }
        return retainer.wake(by: due ?? .max)
    }
    /// The working set: definitions and the sagas that can still move.
    package var sagas: SagaBook { book }

    /// A saga's summary: from the working set when it can still move, else from the read side
    /// (as the projection will leave it: a saga settled by a commit is known before its row is
    /// written).
    package func summary(of sagaID: String) throws(WireError) -> SagaSummary? {
        if let state = book.active[sagaID] { return SagaSummary(state) }
        if let pending = committer.pendingDocument(SagaBook.summaryTable, key: sagaID) { return pending.flatMap(SagaSummary.init(json:)) }
        return try log.document(SagaBook.summaryTable, key: sagaID).flatMap(SagaSummary.init(json:))
    }

    private func recover() throws {
        let started = clock.monotonicMs()
        let report = try committer.recover(&book)
        var registrations: [StreamAppend] = []
        for definition in config.definitions {
            current[definition.type] = definition
            let key = ContextCheckKey(definition)
            if contextChecks[key] == nil { contextChecks[key] = key.makeCheck() }
            if book.definitions[definition.fingerprint] == nil {
                registrations.append(StreamAppend(stream: SagaBook.definitionStream(definition.fingerprint),
                                                  expectedVersion: .noStream,
                                                  events: [SagaBook.registration(definition, now: clock.wallClockMs())]))
            }
        }
        if !registrations.isEmpty {
            let events = try log.commit(LogBatch(appends: registrations))
            for event in events { _ = try book.apply(event) }
            var noFaults = FaultInjector()
            try committer.committed(events, of: book, faults: &noFaults, logger: logger) { _ in }
        }
        let offsets = try log.offsets()
        for service in config.services {
            if let position = offsets[Self.offsetKey(service)] { recoveredPositions[service] = position }
        }
        savedPositions = recoveredPositions
        // Resume every saga that can move: re-send what it waits for, with the same ids.
        let now = clock.monotonicMs()
        var resumed = 0
        for id in book.active.keys.sorted() {
            guard var state = book.active[id], state.status == .running || state.status == .compensating,
                  let definition = book.definition(of: state) else { continue }
            let effects = SagaMachine.recover(&state, definition)
            book.update(state)
            perform(effects, sagaID: id, now: now)
            resumed += 1
        }
        recovery = (report.snapshots, report.replayed, resumed, report.projected, clock.monotonicMs() - started)
    }

    static func offsetKey(_ service: String) -> String { "orchestrator/\(service)" }

    // MARK: One batch

    /// Handles one iteration's inputs and the timers due now as one batch: decides, commits
    /// once, then carries out the effects.
    ///
    /// - Throws: ``InjectedCrash`` at an injected crash point, ``HostError/fatalStorage(_:)``
    ///   when the log fails (the engine's memory is then ahead of its log: stop, and let a
    ///   restart rebuild from the log).
    package func handle(_ inputs: OrchestratorInputs) throws {
        let now = clock.monotonicMs()
        var batch = OrchestratorBatch()
        for request in inputs.requests { take(request, &batch) }
        for (service, message) in inputs.replies { take(message, from: service, &batch, now: now) }
        for event in inputs.events { take(event, &batch, now: now) }
        saveOffsets(inputs.positions, &batch)
        for timer in timers.popDue(now) {
            switch timer {
            case .send(let sagaID, let command, let attempt):
                // Scheduled by a committed transition: send now if the saga still waits for it.
                if let state = book.active[sagaID], state.attempts[command.command.id] == attempt {
                    send(command, attempt: attempt, now: now)
                }
            case .timeout(let commandID, let attempt):
                handle(commandID: commandID, outcome: .timedOut, attempt: attempt, &batch, now: now)
            }
        }
        for key in contextChecks.keys {
            if let (service, query) = contextChecks[key]?.requestIfDue(now: now) { io.send(query, to: service) }
        }
        if !batch.isEmpty {
            try finish(batch, now: now)
            observer.batchDone(inFlight: book.inFlight, timers: timers.count)
        }
        try committer.projectIfDue(now: clock.monotonicMs(), faults: &faults)
        committer.recordLag(now: clock.monotonicMs())
        let budget = clock.monotonicMs() + Retainer.iterationBudgetMs
        while retainer.isDue(now: clock.monotonicMs()) && clock.monotonicMs() < budget { try retire() }
    }

    /// One retention batch: settled sagas whose last change is older than the window, with
    /// their events (archived first when configured) and summary rows; what they counted goes
    /// into the log's `HistoryRetired` summary.
    private func retire() throws {
        // Retention chooses from the read side, which must show every event first.
        try committer.project(faults: &faults)
        let started = clock.monotonicMs()
        let through = config.retention.window.start(at: clock.wallClockMs())
        let candidates: [Retainer.Candidate]
        do { candidates = try retainer.candidates(log, through: through) } catch { throw HostError.fatalStorage("retention", cause: error) }
        guard !candidates.isEmpty else {
            retainer.ran(retired: 0, moreCommands: false, started: started, now: clock.monotonicMs())
            return
        }
        var retirement = Retirement()
        retirement.streams = candidates.map(\.stream)
        retirement.writes = candidates.map { .delete(table: $0.table, key: $0.key) }
        retirement.throughMs = through
        let events = try log.events(of: retirement, withSummary: archive != nil)
        var fold = book
        var writes: [ReadWrite] = []
        for event in events where event.stream != EventLog.retiredStream { writes += try fold.apply(event) }
        retirement.totals = Retainer.totals(of: writes)
        try committer.checkpoint(before: events, snapshot: book.snapshot(stream:), logger: logger)
        try archive?.write(events)
        let summary = try log.retire(retirement, removing: events, now: clock.wallClockMs())
        retainer.ran(retired: candidates.count, moreCommands: false, started: started, now: clock.monotonicMs())
        try committer.committed([summary], of: book, faults: &faults, logger: logger) { io.publish($0) }
    }

    /// Saves where each stream was consumed up to, riding on a commit the iteration makes
    /// anyway, or on its own at most once a second. A position saved a little late only means
    /// a few events are replayed again after a crash, and replayed outcomes of settled commands
    /// change nothing.
    private func saveOffsets(_ positions: [String: Int64], _ batch: inout OrchestratorBatch) {
        let due = clock.monotonicMs() - lastOffsetSave >= 1000
        guard !batch.units.isEmpty || due else { return }
        var offsets: [String: Int64] = [:]
        for (service, position) in positions where savedPositions[service] != position {
            offsets[Self.offsetKey(service)] = position
            savedPositions[service] = position
        }
        if !offsets.isEmpty {
            batch.units.append(LogBatch(offsets: offsets))
            lastOffsetSave = clock.monotonicMs()
        }
    }

    /// Sends what may go ahead of the log, commits the batch, then carries out the other
    /// effects, the answers and the publications.
    private func finish(_ batch: OrchestratorBatch, now: Int64) throws {
        // The next steps' actions: their services work while this commit syncs.
        for (sagaID, effects, ahead) in batch.effects where ahead { perform(effects, sagaID: sagaID, now: now) }
        if !batch.sentAhead.isEmpty && faults.crashes(at: .afterSendAhead) { throw InjectedCrash(point: .afterSendAhead) }
        // (A crash at before-commit leaves sent-ahead actions the log does not show yet; recovery
        // handles it. One at after-commit leaves a logged batch with nothing else sent.)
        let committed = try committer.commit(batch.units, faults: &faults).flatMap { $0 }
        for (sagaID, effects, ahead) in batch.effects where !ahead {
            perform(effects, sagaID: sagaID, now: now, settled: batch.settled[sagaID])
        }
        for (route, message) in batch.replies where !faults.dropsReply() { io.reply(route: route, message) }
        // A query sees every command replied to before it arrived: the read side is projected
        // up to the head first.
        if !batch.queries.isEmpty { try committer.project(faults: &faults) }
        for (query, route) in batch.queries { answer(query, route: route) }
        try committer.committed(committed, of: book, faults: &faults, logger: logger) { io.publish($0) }
    }

    /// Carries out a saga's effects; `settled` is its summary when they settle it and the batch
    /// wrote it.
    func perform(_ effects: [SagaEffect], sagaID: String, now: Int64, settled: SagaSummary? = nil) {
        for effect in effects {
            switch effect {
            case .send(let command, let attempt, let delay):
                if delay <= 0 {
                    send(command, attempt: attempt, now: now)
                } else {
                    timers.schedule(at: now + delay, .send(sagaID: sagaID, command, attempt: attempt))
                }
            case .settled:
                notifyWaiters(sagaID, settled: settled)
            }
        }
    }

    private func send(_ command: SagaCommand, attempt: Int, now: Int64) {
        timers.schedule(at: now + command.retry.timeoutMs, .timeout(commandID: command.command.id, attempt: attempt))
        io.send(observer.spans.traced(command.command, attempt: attempt), to: command.service)
    }
}
