import EventLog
import SagaWire
import ServiceModel

/// Plans and paces a process's retention: small batches of settled aggregates older than the
/// window, found through the read side's `status, updated_ms` indexes, run between the
/// reactor's other batches so that none holds it for long.
///
/// A batch that found a full load is followed by the next one at once, within the host's
/// ``iterationBudgetMs`` per reactor iteration (so that retirement keeps pace with a process
/// that settles sagas faster than one batch per iteration removes them); an idle one waits a
/// second.
///
/// A batch is at most ``batchLimit`` aggregates (100; the monitor, on no saga's path and with
/// the most to remove, takes 400 rows): small enough that what waits behind it (a
/// query, a reply) waits tens of milliseconds, large enough that its fixed costs (the
/// candidates' queries, the `HistoryRetired` summary) stay small beside the removal. (A size
/// adapted to each batch's wall time was tried: on a saturated machine preemption inflates
/// the times, the batches shrink to a few aggregates, their fixed costs take over and the
/// throughput halves.) How long batches take is reported in `sys.Ping`.
package struct Retainer {
    package let settings: RetentionSettings
    private let rules: [RetentionRule]
    /// Most aggregates a batch retires.
    package var batchLimit = 100
    /// How long a host may spend on retirement batches in one reactor iteration (ms).
    package static let iterationBudgetMs: Int64 = 50
    private var nextRun: Int64 = 0
    /// Retirement batches run so far, and what they removed.
    package private(set) var batches = 0
    package private(set) var retiredStreams = 0
    /// How long the last batch that removed something took, and the longest one (ms).
    package private(set) var lastBatchMs: Int64 = 0
    package private(set) var longestBatchMs: Int64 = 0

    package init(settings: RetentionSettings, rules: [RetentionRule]) {
        self.settings = settings
        self.rules = rules
    }

    /// Whether a batch is due at `now` (monotonic ms).
    package func isDue(now: Int64) -> Bool { settings.window.isOn && now >= nextRun }

    /// When the reactor's poll must return by (monotonic ms): `deadline`, or the next batch's
    /// time if that is sooner. A batch that is due (a backlog to retire) does not wait for a
    /// message to wake the reactor: with none coming, a poll would hold it back until its
    /// timeout and let the backlog grow.
    package func wake(by deadline: Int64) -> Int64 { settings.window.isOn ? min(deadline, nextRun) : deadline }

    /// A settled row older than the window: its table, key and stream.
    package struct Candidate: Sendable, Equatable {
        package var table: String
        package var key: String
        package var stream: String
        package var document: JSON
    }

    /// The settled rows last updated before `through` (ms since the epoch), oldest first, at
    /// most ``batchLimit`` in all.
    ///
    /// Oldest first over every table and settled status together, not status by status: a
    /// batch that took one status's rows first would run ahead in time through it while the
    /// others' (compensated sagas, say) waited, and their events, left between the removed
    /// ones, would split the log's removed sequence numbers into ever more ranges.
    package func candidates(_ reader: some ReadModelReader, through: Int64, statusColumn: String = "status") throws(WireError) -> [Candidate] {
        var found: [(updated: Int64, candidate: Candidate)] = []
        for rule in rules {
            let filters: [[String: ReadValue]] = rule.settledStatuses.isEmpty ? [[:]] : rule.settledStatuses.map { [statusColumn: .text($0)] }
            for filter in filters {
                let rows = try reader.rows(ReadQuery(table: rule.table, filter: filter, order: rule.timeColumn, limit: batchLimit, nonNull: true))
                for row in rows {
                    guard case .int(let updated) = row.orderValue, updated < through else { break }
                    found.append((updated, Candidate(table: rule.table, key: row.key, stream: rule.streamPrefix + row.key, document: row.document)))
                }
            }
        }
        return found.sorted { $0.updated < $1.updated }.prefix(batchLimit).map(\.candidate)
    }

    /// Notes a batch that began at `started` and retired `count` aggregates (and whether
    /// command records were left over) at `now` (monotonic ms), and paces the next.
    package mutating func ran(retired count: Int, moreCommands: Bool, started: Int64, now: Int64) {
        batches += 1
        retiredStreams += count
        if count > 0 || moreCommands {
            lastBatchMs = max(0, now - started)
            longestBatchMs = max(longestBatchMs, lastBatchMs)
        }
        nextRun = count >= batchLimit || moreCommands ? now : now + 1000
    }

    /// What `sys.Ping` says of retention: the window, the batches run, and what the log's
    /// `HistoryRetired` summary holds (removed events, ranges, totals, the window's last start).
    package func json(_ log: EventLog) -> JSON {
        var members: [String: JSON] = ["window_ms": .int(settings.window.milliseconds), "window": .string(settings.window.description),
                                       "batches": .int(Int64(batches)), "batch_limit": .int(Int64(batchLimit)),
                                       "last_batch_ms": .int(lastBatchMs), "longest_batch_ms": .int(longestBatchMs), "archive": settings.archiveDirectory.map(JSON.string) ?? .null]
        if let retired = log.retired { members["retired"] = retired.json }
        return .object(JSONObject(members))
    }

    /// The counters a batch of events counted: the sum of the `.count` writes their fold makes.
    package static func totals(of writes: [ReadWrite]) -> [String: Int64] {
        var totals: [String: Int64] = [:]
        for case .count(let name, let delta, _) in writes { totals[name, default: 0] += delta }
        return totals.filter { $0.value != 0 }
    }
}
