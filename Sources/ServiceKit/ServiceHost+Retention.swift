import EventLog
import SagaWire
import ServiceModel

/// The service host's retention: one batch at a time, between the reactor's other batches.
extension ServiceHost {
    /// One retention batch: the settled aggregates older than the window, with their events
    /// (archived first when configured), read rows and the command records older than the
    /// window; what they counted goes into the log's `HistoryRetired` summary.
    func retire() throws {
        // Retention chooses from the read side, which must show every event first.
        var noFaults = FaultInjector()
        try committer.project(faults: &noFaults)
        let started = monotonicMs()
        let now = wallClockMs()
        let through = config.retention.window.start(at: now)
        let candidates: [Retainer.Candidate]
        do { candidates = try retainer.candidates(log, through: through) } catch { throw HostError.fatalStorage("retention", cause: error) }
        var retirement = Retirement()
        retirement.streams = candidates.map(\.stream)
        retirement.writes = candidates.map { .delete(table: $0.table, key: $0.key) }
        retirement.commandsBeforeMs = through
        retirement.throughMs = through
        let events = try log.events(of: retirement, withSummary: archive != nil)
        // What the retired events counted: their fold's counter writes, from nothing.
        var fold = core.retirementFold
        var writes: [ReadWrite] = []
        for stream in retirement.streams {
            fold.forget(stream)
            try fold.load(stream, events: [])
        }
        for event in events where event.stream != EventLog.retiredStream { writes += try fold.apply(event) }
        retirement.totals = Retainer.totals(of: writes)
        let commandsBefore = log.retired?.commands ?? 0
        let staleCommands = try log.oldestCommand().map { $0 < through } ?? false
        guard !candidates.isEmpty || staleCommands else {
            retainer.ran(retired: 0, moreCommands: false, started: started, now: monotonicMs())
            return
        }
        try committer.checkpoint(before: events, snapshot: core.snapshot(stream:), logger: logger)
        try archive?.write(events)
        let summary = try log.retire(retirement, removing: events, now: now)
        for stream in retirement.streams { core.forget(stream) }
        let removedCommands = (log.retired?.commands ?? 0) - commandsBefore
        retainer.ran(retired: candidates.count, moreCommands: removedCommands >= Int64(retirement.commandLimit), started: started,
                      now: monotonicMs())
        logger.debug("retired", metadata: ["streams": "\(candidates.count)", "events": "\(events.count)",
                                           "commands": "\(removedCommands)", "through_ms": "\(through)"])
        try committer.committed([summary], of: core, faults: &noFaults, logger: logger) { publisher.publish($0) }
    }
}
