import EventLog
import SagaCore
import SagaWire
import ServiceModel

/// What one saga's stream in the orchestrator's log says happened.
struct SagaRecord {
    /// What the orchestrator recorded about one of the saga's commands.
    struct Claim {
        enum Kind: String { case succeeded, failed, compensated, completed }
        var kind: Kind
        var commandID: String
        var service: String
        var exhausted = false
        /// For a failure: the step compensation starts from (and goes down to the first).
        var compensateFrom: Int?
    }

    var id: String
    var type: String
    var orderID: String?
    var amountCents: Int64
    var status = SagaStatus.running
    var startedMs: Int64
    var lastSeq: Int64 = 0
    var claims: [Claim] = []
    /// The steps of its definition that have a compensation (`nil`: the definition is unknown).
    var compensable: Set<Int>?
}

/// The orchestrator's log read as facts: every saga with its claims, each saga's stream folded
/// strictly (``SagaBook``) so an impossible history is a violation.
struct SagaFacts {
    var sagas: [String: SagaRecord] = [:]
    var problems: [Violation] = []
    private var book = SagaBook()
    private var definitions: [String: SagaDefinition] = [:]
    /// The definition fingerprint each saga runs.
    private var definitionOf: [String: String] = [:]
    /// Streams whose strict fold failed: later events of them are not folded again.
    private var broken: Set<String> = []
    /// What the fold counts (the counters its read-side writes move) of the events up to
    /// ``countsThrough``: to compare with the read side's counters at that position.
    var countsThrough: Int64 = .max
    private(set) var counted: [String: Int64] = [:]

    mutating func read(_ event: Event) {
        let move = try? SagaEvent(event)
        if case .definitionRegistered(let registered)? = move {
            definitions[registered.fingerprint] = try? SagaDefinition.parse(registered.definition, path: "definition")
        }
        if !broken.contains(event.stream) {
            do {
                let writes = try book.apply(event)
                if event.seq <= countsThrough {
                    for case .count(let name, let delta, _) in writes { counted[name, default: 0] += delta }
                }
            } catch {
                broken.insert(event.stream)
                problems.append(Violation(sagaID: SagaStream.sagaID(in: event.stream), check: "replay_strict", detail: "saga log: \(error)"))
            }
        }
        guard let id = SagaStream.sagaID(in: event.stream), let move else { return }
        if case .sagaStarted(let started) = move {
            let context = started.context
            sagas[id] = SagaRecord(id: id, type: started.type, orderID: context["order_id"]?.stringValue,
                                   amountCents: context["amount_cents"]?.intValue ?? 0, startedMs: event.metadata.timeMs,
                                   lastSeq: event.seq)
            definitionOf[id] = started.definition
            if let definition = definitions[started.definition] {
                sagas[id]?.compensable = Set(definition.graph.compensable)
            }
            return
        }
        guard var saga = sagas[id] else { return }
        saga.lastSeq = event.seq
        switch move {
        case .stepSucceeded(let e): saga.claims.append(claim(.succeeded, e.commandID, id))
        case .stepFailed(let e):
            saga.status = .compensating
            var failed = claim(.failed, e.commandID, id)
            failed.exhausted = e.exhausted
            if case .action? = SagaCommandID(parsing: e.commandID)?.role { failed.compensateFrom = e.compensationStart }
            saga.claims.append(failed)
        case .compensationSucceeded(let e): saga.claims.append(claim(.compensated, e.commandID, id))
        case .completionSucceeded(let e): saga.claims.append(claim(.completed, e.commandID, id))
        case .sagaCompleted: saga.status = .completed
        case .sagaCompensated: saga.status = .compensated
        case .sagaStuck: saga.status = .stuck
        case .sagaResumed: saga.status = saga.claims.contains { $0.kind == .failed } ? .compensating : .running
        case .definitionRegistered, .sagaStarted, .stepRetrying: break
        }
        sagas[id] = saga
    }

    /// Forgets the sagas retention removed while the log was read.
    mutating func dropRetired(_ history: RetiredHistory) {
        guard history.events > 0 else { return }
        sagas = sagas.filter { !history.contains($0.value.lastSeq) }
    }

    /// A claim about a command, with the service that owns it (from the saga's definition).
    private func claim(_ kind: SagaRecord.Claim.Kind, _ commandID: String, _ sagaID: String) -> SagaRecord.Claim {
        var service = "?"
        if let parsed = SagaCommandID(parsing: commandID), let definition = definitionOf[sagaID].flatMap({ definitions[$0] }) {
            switch parsed.role {
            case .action(let index), .compensation(let index):
                if let node = definition.graph.node(index) { service = node.step.service }
            case .completion(let index):
                if definition.graph.completions.indices.contains(index) { service = definition.graph.completions[index].service }
            }
        }
        return SagaRecord.Claim(kind: kind, commandID: commandID, service: service)
    }
}
