import Foundation
import LogCheck
import SagaClient
import SagaWire

/// A running cluster's logs, read through the processes' own APIs: `sys.Replay` for the
/// events and `sys.Commands` for the command records.
public struct ReplayLogs: LogSource {
    private let client: ClusterClient
    private let endpoints: ClusterEndpoints

    public init(client: ClusterClient, endpoints: ClusterEndpoints) {
        self.client = client
        self.endpoints = endpoints
    }

    private func router(_ process: String) throws -> String {
        guard let router = endpoints.routers[process] else { throw ClientError.unexpected("no endpoint for process \(process)") }
        return router
    }

    public func page(of process: String, from seq: Int64, limit: Int) throws -> LogPage {
        let page = try client.query(router(process), "sys.Replay", ["from": .int(seq), "limit": .int(Int64(limit))])
        var events: [Event] = []
        for envelope in page["events"]?.arrayValue ?? [] {
            guard case .event(let event) = try WireCodec.decode(envelope: envelope) else { continue }
            events.append(event)
        }
        let retired = page["retired"]?.sequenceRanges ?? []
        return LogPage(events: events, retired: retired, head: page["head"]?.intValue ?? 0)
    }

    public func commands(of process: String, after id: String?, limit: Int) throws -> (records: [RecordedCommand], next: String?) {
        var body: [String: JSON] = ["limit": .int(Int64(limit))]
        if let id { body["after"] = .string(id) }
        let page = try client.query(router(process), "sys.Commands", .object(JSONObject(body)))
        let records = (page["commands"]?.arrayValue ?? []).compactMap { entry -> RecordedCommand? in
            guard let id = entry["command_id"]?.stringValue else { return nil }
            return RecordedCommand(id: id, outcome: entry["outcome"]?.stringValue ?? "unreadable", reason: entry["reason"]?.stringValue,
                                   events: (entry["events"]?.arrayValue ?? []).compactMap(\.intValue),
                                   timeMs: entry["time_ms"]?.intValue ?? 0)
        }
        return (records, page["next"]?.stringValue)
    }

    /// `saga.Stats` as counters, at its `as_of_seq` (`nil` from an orchestrator that does not
    /// say where its answer stands).
    public func sagaCounters() throws -> SagaCounters? {
        let stats = try client.query(router("saga"), "saga.Stats")
        guard let asOf = stats["as_of_seq"]?.intValue else { return nil }
        var counters: [String: Int64] = ["sagas.total": stats["total"]?.intValue ?? 0,
                                         "sagas.completed_cents": stats["completed_cents"]?.intValue ?? 0]
        for (status, count) in stats["by_status"]?.objectValue?.dictionary ?? [:] { counters["sagas.status.\(status)"] = count.intValue ?? 0 }
        return SagaCounters(asOf: asOf, counters: counters)
    }

    /// A participant that answers `unknown_type` does not serve the request.
    public func isUnsupported(_ error: any Error) -> Bool {
        if case .refused(let reply) = error as? ClientError { return reply.code == .unknownType }
        return false
    }
}

/// `sagactl check` against a running cluster: the log-based proof (``LogChecker``) over its
/// processes' logs, read through their APIs, with the starting stock the inventory service
/// reports it was configured with (or the one given).
public struct Checker {
    private let client: ClusterClient
    private let endpoints: ClusterEndpoints
    private let stock: [String: Int64]?
    /// Violations beyond this many are counted but not listed.
    public var maxListed = 1000

    private let participants: [String]

    /// - Parameter participants: the services whose logs and command records are checked
    ///   beyond the order saga's four (a topology's services; the four are left out).
    public init(client: ClusterClient, endpoints: ClusterEndpoints, stock: [String: Int64]? = nil, participants: [String] = []) {
        self.client = client
        self.endpoints = endpoints
        self.stock = stock
        self.participants = participants
    }

    public func run() throws -> CheckReport {
        var configured = stock
        if configured == nil, let router = endpoints.routers["inventory"] {
            let reported = try client.query(router, "sys.Ping")["configuration"]?["stock"]?.objectValue?.dictionary
            configured = reported?.compactMapValues(\.intValue)
        }
        var checker = LogChecker(source: ReplayLogs(client: client, endpoints: endpoints), stock: configured, participants: participants)
        checker.maxListed = maxListed
        return try checker.run()
    }
}
