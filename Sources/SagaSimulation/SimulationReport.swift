import SagaWire

/// What one simulation run (or many) did and found.
package struct SimulationReport: Sendable {
    /// Runs folded into this report.
    package var runs = 0
    package var sagas = 0
    package var completed = 0
    package var compensated = 0
    /// Batches the engine handled, and how many committed.
    package var batches = 0
    /// Crashes, by crash point (`kill` for a kill between batches).
    package var crashes: [String: Int] = [:]
    /// Engine starts after the first.
    package var restarts = 0
    /// Services frozen longer than a step's whole retry budget.
    package var longFreezes = 0
    /// How often each recovery path ran, read from the saga logs: `exhausted` (a step ran out
    /// of attempts), `compensate_from` (one that also compensated the step that may have gone
    /// ahead), `compensation_retry`, `step_retry`, `rejected`.
    package var paths: [String: Int] = [:]
    /// Broken invariants, each naming its seed.
    package var violations: [String] = []
    /// Virtual time simulated, in ms.
    package var virtualMs: Int64 = 0
    /// The saga logs the runs wrote, to the byte: the wrapping sum over every event of a hash of
    /// its sequence number, stream, version, type, data as stored (members in their order),
    /// correlation, causation and time. Two builds that give the same digest for the same seeds
    /// wrote the same logs.
    package var logDigest: UInt64 = 0

    package init() {}

    /// Adds another run's figures.
    package mutating func merge(_ other: SimulationReport) {
        runs += other.runs
        sagas += other.sagas
        completed += other.completed
        compensated += other.compensated
        batches += other.batches
        crashes.merge(other.crashes, uniquingKeysWith: +)
        restarts += other.restarts
        longFreezes += other.longFreezes
        paths.merge(other.paths, uniquingKeysWith: +)
        violations += other.violations
        virtualMs += other.virtualMs
        logDigest &+= other.logDigest
    }

    /// Adds one event of a run's saga log to ``logDigest``.
    package mutating func digest(_ event: Event) {
        var hash = FNV1a()
        hash.addField(String(event.seq))
        hash.addField(event.stream)
        hash.addField(String(event.version))
        hash.addField(event.type)
        hash.addField(JSONWriter.encode(event.data))
        hash.addField((event.metadata.correlationID ?? ""))
        hash.addField((event.metadata.causationID ?? ""))
        hash.addField(String(event.metadata.timeMs))
        logDigest &+= hash.value
    }

    package var json: JSON {
        ["runs": .int(Int64(runs)), "sagas": .int(Int64(sagas)), "completed": .int(Int64(completed)),
         "compensated": .int(Int64(compensated)), "batches": .int(Int64(batches)), "restarts": .int(Int64(restarts)),
         "long_freezes": .int(Int64(longFreezes)),
         "crashes": .object(JSONObject(crashes.mapValues { .int(Int64($0)) })),
         "paths": .object(JSONObject(paths.mapValues { .int(Int64($0)) })),
         "violations": .array(violations.prefix(100).map { .string($0) }), "violation_count": .int(Int64(violations.count)),
         "virtual_s": .double(Double(virtualMs) / 1000), "log_digest": .string(FNV1a.hex(logDigest))]
    }
}
