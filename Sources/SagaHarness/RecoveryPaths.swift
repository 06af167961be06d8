import SagaClient
import SagaWire

/// How often each recovery path ran in a cluster, counted from the orchestrator's own log (read
/// through `sys.Replay`): a fault-injection run proves only the paths it reached.
public struct RecoveryPaths: Sendable, Equatable {
    /// Steps that ran out of attempts (`StepFailed` with `exhausted`).
    public var exhausted = 0
    /// Of those, the ones that also compensated the step after them, which may have gone ahead
    /// of the log before a restart (`compensate_from` past the failed step).
    public var compensateFrom = 0
    /// Retries of compensations and completion actions.
    public var compensationRetries = 0
    /// Retries of actions.
    public var stepRetries = 0
    /// Actions refused by a business rule or by their service.
    public var rejected = 0

    public init() {}

    /// Counts the paths in the saga log at `endpoint` (the orchestrator's ROUTER).
    public static func read(_ client: ClusterClient, orchestrator endpoint: String) throws -> RecoveryPaths {
        var paths = RecoveryPaths()
        var from: Int64 = 1
        while true {
            let page = try client.query(endpoint, "sys.Replay", ["from": .int(from), "limit": 1000])
            let events = page["events"]?.arrayValue ?? []
            guard let last = events.last?["seq"]?.intValue else { break }
            for event in events { paths.count(event) }
            from = last + 1
        }
        return paths
    }

    private mutating func count(_ event: JSON) {
        guard let type = event["type"]?.stringValue.flatMap(SagaEventType.init(rawValue:)),
              let move = try? SagaEvent(type: type, data: event["data"] ?? .null) else { return }
        count(move)
    }

    /// Counts the path one of the orchestrator's events shows, if any.
    public mutating func count(_ move: SagaEvent) {
        switch move {
        case .stepFailed(let e):
            if e.exhausted {
                exhausted += 1
                if e.compensationStart > e.step { compensateFrom += 1 }
            } else {
                rejected += 1
            }
        case .stepRetrying(let e):
            if case .action = e.role { stepRetries += 1 } else { compensationRetries += 1 }
        default:
            break
        }
    }

    public var json: JSON {
        ["exhausted": .int(Int64(exhausted)), "compensate_from": .int(Int64(compensateFrom)),
         "compensation_retries": .int(Int64(compensationRetries)), "step_retries": .int(Int64(stepRetries)),
         "rejected": .int(Int64(rejected))]
    }
}
