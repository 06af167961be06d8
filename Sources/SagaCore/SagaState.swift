import ServiceModel
import SagaWire

/// A command a saga sends, with how it is retried.
public struct SagaCommand: Sendable, Equatable {
    public var role: CommandRole
    public var command: Command
    public var service: String
    public var retry: RetryPolicy
}

/// One saga instance: a fold of its events in the orchestrator's log (stream `saga-<id>`).
///
/// Where the saga stands is a status per node of its definition's graph (``NodeStatus``), and
/// the completion actions done. What it waits for follows from them: the running actions, the
/// completion actions not done once every node succeeded, or the running compensations.
public struct SagaState: Sendable, Equatable {
    public var id: String
    public var type: String
    /// The fingerprint of the definition it runs.
    public var definition: String
    public var context: JSON
    public var status: SagaStatus
    /// Each node's status, by node index.
    public var nodes: [NodeStatus]
    /// The completion actions that succeeded, by index in the completion group.
    public var completionsDone: Set<Int>
    /// The attempt number of each command the saga is waiting for.
    public var attempts: [String: Int]
    /// Operator retries so far; commands of later rounds get fresh ids.
    public var round: Int
    /// What started compensation.
    public var failure: String?
    /// Why the saga is stuck.
    public var stuckReason: String?
    public var startedMs: Int64
    public var updatedMs: Int64
    /// The version of the saga's stream.
    public var version: Int64
    /// A hash of the saga's type and context (``sagaContentHash(type:context:)``), to tell a
    /// repeated start from a conflicting one; computed once.
    public var contentHash: UInt64
    /// The recovery fence: the nodes whose actions an earlier incarnation may have sent ahead of
    /// its log (``Transition/sendsAhead``), set by ``SagaMachine/recover(_:_:)`` for each running
    /// action: the nodes its success would have made ready. Should that action now run out of
    /// attempts, they are compensated too. Never recorded: every recovery sets it anew, and any
    /// move but a retry clears it.
    public var mayHaveRunAhead = NodeSet()

    /// The stream of a saga's events.
    public static func stream(_ sagaID: String) -> String { SagaStream.saga(sagaID).description }

    /// The id of a command of this saga, in its current round (see ``SagaCommandID``).
    public func commandID(_ role: CommandRole) -> String {
        SagaCommandID(sagaID: id, role: role, round: round).description
    }

    // MARK: Sets of nodes

    /// The nodes whose action is `action`.
    public func nodes(_ action: NodeStatus.Action) -> NodeSet {
        var set = NodeSet()
        for (index, node) in nodes.enumerated() where node.action == action { set.insert(index) }
        return set
    }

    /// The nodes whose compensation is `compensation`.
    public func nodes(_ compensation: NodeStatus.Compensation) -> NodeSet {
        var set = NodeSet()
        for (index, node) in nodes.enumerated() where node.compensation == compensation { set.insert(index) }
        return set
    }

    /// Whether every node's action succeeded: the saga is at its completion group (or done).
    public var allSucceeded: Bool { nodes.allSatisfy { $0.action == .succeeded } }

    /// Whether the saga waits for nothing more of its graph: it settled, or it compensated all it owed.
    public var isFinished: Bool {
        switch status {
        case .completed, .compensated: return true
        case .compensating: return !nodes.contains { $0.compensation == .owed || $0.compensation == .running }
        case .running, .stuck: return false
        }
    }

    // MARK: What it waits for

    /// What the saga is waiting for (cheap: no commands are built): its running actions, else
    /// (every node succeeded) the completion actions not done; or its running compensations.
    public func pendingRoles(_ definition: SagaDefinition) -> [CommandRole] {
        switch status {
        case .running:
            let running = nodes(NodeStatus.Action.running)
            if !running.isEmpty { return running.map { .action(step: $0) } }
            guard allSucceeded else { return [] }
            return definition.graph.completions.indices.filter { !completionsDone.contains($0) }.map { .completion(index: $0) }
        case .compensating:
            return nodes(NodeStatus.Compensation.running).reversed().map { .compensation(step: $0) }
        case .completed, .compensated, .stuck:
            return []
        }
    }

    /// The role of a command the saga is waiting for, by its id; `nil` when it waits for no
    /// such command (a duplicate, a late reply, another saga's command).
    public func pendingRole(ofCommand commandID: String, _ definition: SagaDefinition) -> CommandRole? {
        pendingRoles(definition).first { self.commandID($0) == commandID }
    }

    /// The commands the saga is waiting for.
    public func pending(_ definition: SagaDefinition) -> [SagaCommand] {
        pendingRoles(definition).map { command($0, definition) }
    }

    /// The command for a role, with the saga's context plus `saga_id` as its body.
    public func command(_ role: CommandRole, _ definition: SagaDefinition) -> SagaCommand {
        let service: String, action: String
        switch role {
        case .action(let index):
            let step = definition.graph.nodes[index].step
            (service, action) = (step.service, step.action)
        case .compensation(let index):
            let step = definition.graph.nodes[index].step
            (service, action) = (step.service, step.compensation ?? "")
        case .completion(let index):
            let completion = definition.graph.completions[index]
            (service, action) = (completion.service, completion.action)
        }
        var body = context.objectValue ?? [:]
        body["saga_id"] = .string(id)
        // Lets a participant with retention tell a command of a saga older than its window.
        body["saga_started_ms"] = .int(startedMs)
        let command = Command(id: commandID(role), type: "\(service).\(action)", correlationID: id,
                              causationID: id, body: .object(body))
        return SagaCommand(role: role, command: command, service: service, retry: Self.retry(role, definition))
    }

    /// How a command of a role is retried.
    static func retry(_ role: CommandRole, _ definition: SagaDefinition) -> RetryPolicy {
        if case .action(let index) = role { return definition.graph.nodes[index].step.retry }
        return definition.compensationRetry
    }

    /// Where the saga is, in words (replay's refusals name it).
    func position(_ definition: SagaDefinition) -> String {
        func list(_ set: NodeSet) -> String {
            set.count == 1 ? "step \(set.highest!)" : "steps " + set.map(String.init).joined(separator: ", ")
        }
        if isFinished { return "the end" }
        let compensating = nodes(NodeStatus.Compensation.running)
        if !compensating.isEmpty { return "compensation of \(list(compensating))" }
        let running = nodes(NodeStatus.Action.running)
        if !running.isEmpty { return list(running) }
        if allSucceeded { return "completion (\(completionsDone.count) done)" }
        return "the end"
    }

    // MARK: Starting

    /// A new saga from its `SagaStarted` event.
    public init(started event: Event, _ definition: SagaDefinition) throws(DomainError) {
        guard case .sagaStarted(let started)? = try? SagaEvent(event) else {
            throw DomainError("\(event.stream) v\(event.version) \(event.type) #\(event.seq): not a complete SagaStarted")
        }
        self.init(id: started.sagaID, type: started.type, definition: definition, context: started.context,
                  startedMs: event.metadata.timeMs)
    }

    /// A saga as its `SagaStarted` leaves it: running, its graph's roots sent (first attempts).
    init(id: String, type: String, definition: SagaDefinition, context: JSON, startedMs: Int64) {
        self.id = id
        self.type = type
        self.definition = definition.fingerprint
        self.context = context
        status = .running
        nodes = Array(repeating: NodeStatus(), count: definition.graph.nodes.count)
        completionsDone = []
        round = 0
        self.startedMs = startedMs
        updatedMs = startedMs
        version = 1
        contentHash = sagaContentHash(type: type, context: context)
        attempts = [:]
        for root in definition.graph.roots { start(.action(step: root)) }
    }

    /// Marks a role's command as sent for the first time: running, first attempt.
    mutating func start(_ role: CommandRole) {
        switch role {
        case .action(let index): nodes[index].action = .running
        case .compensation(let index): nodes[index].compensation = .running
        case .completion: break
        }
        attempts[commandID(role)] = 1
    }
}
