import Domain
import SagaWire

/// Proves the order saga's invariants from the logs themselves: every process's log is read
/// event by event (``LogSource``), each aggregate and saga folded strictly, and the checks are
/// made on those facts and the owners' command records, never on state a process rebuilt or a
/// snapshot it loaded (docs/FAULTS.md, "The check"):
///
/// - every log is gap-free (retention's removals named), and a command's events are one run;
/// - replay is strict: no event is impossible in the state before it (`replay_strict`);
/// - every saga settled; a completed one has its order confirmed, its stock committed, its
///   charge equal to the order's total and a live shipment; a compensated one has none of them;
/// - money: charges − refunds = the totals of confirmed orders = the amounts of completed
///   sagas, over the whole history (the retired part through its running totals);
/// - stock: the initial stock is the configured one; committed units are the units confirmed
///   orders bought; nothing is reserved for a settled saga; no rejection for insufficient stock
///   was false, and no reservation took more than was available;
/// - at most one command takes effect per saga step, whatever its id;
/// - recorded totals equal the lines;
/// - every claim the orchestrator recorded about a command is confirmed by the owning
///   service's record of it.
///
/// Participants a topology adds are checked by what holds for any service: their logs are
/// gap-free, no command took effect twice, and the orchestrator's claims about their commands
/// are confirmed by their records. A participant that keeps no log or records no commands it
/// serves (`sys.Replay`, `sys.Commands` are optional to a participant) is named in the figures
/// (`unchecked_logs`, `unchecked_commands`), not taken as a violation.
public struct LogChecker {
    /// The processes whose logs are read, the orchestrator's first.
    public static let processes = ["saga", "order", "inventory", "payment", "shipping"]
    private let source: LogSource
    private let stock: [String: Int64]?
    private let participants: [String]
    /// Violations beyond this many are counted but not listed.
    public var maxListed = 1000

    /// - Parameters:
    ///   - stock: the starting stock the inventory service was configured with (`nil`: not
    ///     compared).
    ///   - participants: the services beyond the order saga's four whose logs and command
    ///     records are checked too.
    public init(source: LogSource, stock: [String: Int64]?, participants: [String] = []) {
        self.source = source
        self.stock = stock
        self.participants = participants.filter { !Self.processes.contains($0) }
    }

    public func run() throws -> CheckReport {
        var found: [Violation] = []
        // The command records first: retention may go on removing while the logs are read, and
        // whatever it removed before this listing shows in the retirements the logs then name.
        let commands = try recordedCommands()
        var scans: [String: LogScan] = [:]
        var sagaFacts = SagaFacts()
        // The read side's counters first, at their position: the log read after them holds every
        // event up to it.
        let sagaCounters = try source.sagaCounters()
        if let sagaCounters { sagaFacts.countsThrough = sagaCounters.asOf }
        scans["saga"] = try LogScan.read(source, "saga") { sagaFacts.read($0) }
        sagaFacts.dropRetired(scans["saga"]!.history)
        var facts: [String: ServiceFacts] = [:]
        for service in Self.processes.dropFirst() {
            var serviceFacts = ServiceFacts(service: service)
            let scan = try LogScan.read(source, service) { serviceFacts.read($0) }
            serviceFacts.dropRetired(scan.history)
            scans[service] = scan
            facts[service] = serviceFacts
        }
        for (name, scan) in scans.sorted(by: { $0.key < $1.key }) {
            for gap in scan.gaps { found.append(Violation(sagaID: nil, check: "log_gap_free", detail: "\(name) log: \(gap)")) }
            guard name != "saga" else { continue }
            for command in scan.repeatedCommands {
                found.append(Violation(sagaID: SagaCommandID(parsing: command)?.sagaID, check: "applied_once",
                                       detail: "\(name): command \(command) took effect in more than one commit"))
            }
        }
        found += sagaFacts.problems
        if let sagaCounters { found += Self.compare(sagaCounters, counted: sagaFacts.counted, retired: scans["saga"]!.history.totals) }
        var timelineChecked = true
        for service in Self.processes.dropFirst() {
            found += facts[service]!.problems
            // Stock followed through time is right only in a whole log.
            if scans[service]!.history.events == 0 { found += facts[service]!.timelineProblems } else { timelineChecked = false }
        }

        var unread: [String] = []
        for participant in participants {
            do {
                scans[participant] = try LogScan.read(source, participant) { _ in }
            } catch where source.isUnsupported(error) {
                unread.append(participant)
            }
        }

        var check = Checks(sagas: sagaFacts.sagas, facts: facts, scans: scans, commands: commands, stock: stock)
        check.sagasSettledAsTheyClaim()
        check.claimsConfirmed()
        check.compensatedInReverse()
        check.money()
        check.stockAccounts()
        found += check.found

        var report = CheckReport()
        report.sagas = sagaFacts.sagas.count
        for saga in sagaFacts.sagas.values { report.byStatus[saga.status.rawValue, default: 0] += 1 }
        report.figures = check.figures
        report.figures["stock_timeline_checked"] = .bool(timelineChecked)
        report.figures["logs"] = .object(JSONObject(Dictionary(uniqueKeysWithValues: scans.map { name, scan in
            (name, JSON.object(["events": .int(scan.events), "head": .int(scan.head), "retired": .int(scan.retiredEvents)]))
        })))
        if !participants.isEmpty {
            report.figures["participants"] = .array(participants.map { .string($0) })
            report.figures["unchecked_logs"] = .array(unread.map { .string($0) })
            report.figures["unchecked_commands"] = .array(participants.filter { commands[$0] == nil }.map { .string($0) })
        }
        report.figures["violations_found"] = .int(Int64(found.count))
        report.violations = Array(found.prefix(maxListed))
        return report
    }

    /// The read side's saga counters against what the saga log's events up to their position
    /// count, plus what retention removed (its running totals): a counter projected twice, or
    /// ahead of the events, shows.
    static func compare(_ stored: SagaCounters, counted: [String: Int64], retired: [String: Int64]) -> [Violation] {
        stored.counters.keys.sorted().compactMap { name in
            let expected = counted[name, default: 0] + retired[name, default: 0]
            guard stored.counters[name] != expected else { return nil }
            return Violation(sagaID: nil, check: "read_side_counters", detail:
                "saga \(name) is \(stored.counters[name] ?? 0) as of seq \(stored.asOf); the events up to it count \(expected)")
        }
    }

    /// Every service's recorded commands, by service and id (none for a participant that does
    /// not serve them).
    private func recordedCommands() throws -> [String: [String: RecordedCommand]] {
        var all: [String: [String: RecordedCommand]] = [:]
        for service in Self.processes.dropFirst() { all[service] = try recordedCommands(of: service) }
        for participant in participants {
            do { all[participant] = try recordedCommands(of: participant) } catch where source.isUnsupported(error) { continue }
        }
        return all
    }

    private func recordedCommands(of service: String) throws -> [String: RecordedCommand] {
        var records: [String: RecordedCommand] = [:]
        var after: String?
        repeat {
            let page = try source.commands(of: service, after: after, limit: 1000)
            for record in page.records { records[record.id] = record }
            after = page.next
        } while after != nil
        return records
    }
}
