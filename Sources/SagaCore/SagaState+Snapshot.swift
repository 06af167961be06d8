import ServiceModel
import SagaWire

/// A saga as JSON, for snapshots and `saga.GetSaga`, in the form every build has written:
/// `phase` (`forward` at a step, `completing` with the completion actions done, `compensating`
/// a step, or `finished`) and `succeeded` (how many steps succeeded), from which a chain's node
/// statuses are restored.
extension SagaState {
    /// The saga as JSON (snapshots and status queries).
    public var json: JSON {
        var members: [String: JSON] = [
            "saga_id": .string(id), "type": .string(type), "definition": .string(definition), "context": context,
            "status": .string(status.rawValue), "phase": .object(phaseJSON), "succeeded": .int(Int64(nodes(.succeeded).count)),
            "attempts": .object(attempts.mapValues { .int(Int64($0)) }), "round": .int(Int64(round)),
            "started_ms": .int(startedMs), "updated_ms": .int(updatedMs), "version": .int(version),
        ]
        if let failure { members["failure"] = .string(failure) }
        if let stuckReason { members["stuck_reason"] = .string(stuckReason) }
        return .object(members)
    }

    /// What the saga waits for, as the `phase` member names it.
    private var phaseJSON: [String: JSON] {
        if status == .completed || status == .compensated { return ["name": "finished"] }
        if let compensating = nodes(NodeStatus.Compensation.running).highest {
            return ["name": "compensating", "step": .int(Int64(compensating))]
        }
        if let running = nodes(NodeStatus.Action.running).highest { return ["name": "forward", "step": .int(Int64(running))] }
        if allSucceeded { return ["name": "completing", "done": .array(completionsDone.sorted().map { .int(Int64($0)) })] }
        return ["name": "finished"]
    }

    /// Restores a saga of `definition` from its snapshot.
    ///
    /// The snapshot names the step the saga is at and how many succeeded; in a chain that
    /// fixes every node's status that matters to what comes next: the steps before the
    /// succeeded count succeeded; going forward, the step it is at runs; compensating step
    /// `c`, every step below `c` with a compensation owes it and those above are done. What a
    /// failed step's action became (rejected or exhausted) is not in the form and changes
    /// nothing that follows; it reads as rejected unless its compensation is owed.
    public init(json: JSON, _ definition: SagaDefinition) throws(DomainError) {
        func string(_ key: String) throws(DomainError) -> String {
            guard let value = json[key]?.stringValue else { throw DomainError("saga snapshot: \(key) missing") }
            return value
        }
        func int(_ key: String) throws(DomainError) -> Int64 {
            guard let value = json[key]?.intValue else { throw DomainError("saga snapshot: \(key) missing") }
            return value
        }
        id = try string("saga_id")
        type = try string("type")
        self.definition = try string("definition")
        context = json["context"] ?? [:]
        guard let status = SagaStatus(rawValue: try string("status")) else { throw DomainError("saga snapshot: bad status") }
        self.status = status
        let graph = definition.graph
        let succeeded = Int(try int("succeeded"))
        guard succeeded >= 0 && succeeded <= graph.nodes.count else { throw DomainError("saga snapshot: bad succeeded count") }
        nodes = graph.nodes.indices.map { NodeStatus(action: $0 < succeeded ? .succeeded : .waiting) }
        completionsDone = []
        let phaseJSON = json["phase"] ?? [:]
        let step = Int(phaseJSON["step"]?.intValue ?? -1)
        switch phaseJSON["name"]?.stringValue {
        case "forward":
            guard step == succeeded, graph.nodes.indices.contains(step) else { throw DomainError("saga snapshot: bad phase") }
            nodes[step].action = .running
        case "completing":
            guard succeeded == graph.nodes.count else { throw DomainError("saga snapshot: bad phase") }
            completionsDone = Set((phaseJSON["done"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) })
        case "compensating":
            guard graph.node(step)?.isCompensable == true else { throw DomainError("saga snapshot: bad phase") }
            if succeeded < graph.nodes.count { nodes[succeeded].action = step >= succeeded ? .exhausted : .rejected }
            for index in graph.compensable {
                if index < step { nodes[index].compensation = .owed }
                if index > step && index < succeeded { nodes[index].compensation = .done }
            }
            nodes[step].compensation = .running
        case "finished":
            if status == .completed { completionsDone = Set(graph.completions.indices) }
        default:
            throw DomainError("saga snapshot: bad phase")
        }
        attempts = (json["attempts"]?.objectValue?.dictionary ?? [:]).compactMapValues { $0.intValue.map(Int.init) }
        round = Int(try int("round"))
        failure = json["failure"]?.stringValue
        stuckReason = json["stuck_reason"]?.stringValue
        startedMs = try int("started_ms")
        updatedMs = try int("updated_ms")
        version = try int("version")
        contentHash = sagaContentHash(type: type, context: context)
    }
}
