import ServiceModel
import SagaWire

/// Which commands a saga is waiting for.
public enum SagaPhase: Sendable, Equatable {
    /// The action of step `step`.
    case forward(step: Int)
    /// The completion actions not yet in `done`.
    case completing(done: Set<Int>)
    /// The compensation of step `step`.
    case compensating(step: Int)
    /// Nothing: completed or compensated.
    case finished
}

/// A command a saga sends, with how it is retried.
public struct SagaCommand: Sendable, Equatable {
    public var role: CommandRole
    public var command: Command
    public var service: String
    public var retry: RetryPolicy
}

/// One saga instance: a fold of its events in the orchestrator's log (stream `saga-<id>`).
public struct SagaState: Sendable, Equatable {
    public var id: String
    public var type: String
    /// The fingerprint of the definition it runs.
    public var definition: String
    public var context: JSON
    public var status: SagaStatus
    public var phase: SagaPhase
    /// Steps `0..<succeeded` succeeded.
    public var succeeded: Int
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
    /// The recovery fence: set by ``SagaMachine/recover(_:_:)`` on a saga recovered waiting for
    /// the action of this step, whose next step's action an earlier incarnation may have sent
    /// ahead of its log (``Transition/sendsAhead``). Should the step now run out of attempts,
    /// the next step is compensated too. Never recorded: every recovery sets it anew, and it
    /// is cleared as soon as the saga leaves that step.
    public var recoveryFence: Int?

    /// The stream of a saga's events.
    public static func stream(_ sagaID: String) -> String { SagaStream.saga(sagaID).description }

    /// The id of a command of this saga, in its current round (see ``SagaCommandID``).
    public func commandID(_ role: CommandRole) -> String {
        SagaCommandID(sagaID: id, role: role, round: round).description
    }

    /// What the saga is waiting for in its current phase (cheap: no commands are built).
    public func pendingRoles(_ definition: SagaDefinition) -> [CommandRole] {
        guard status == .running || status == .compensating else { return [] }
        switch phase {
        case .forward(let step): return [.action(step: step)]
        case .completing(let done): return definition.onComplete.indices.filter { !done.contains($0) }.map { .completion(index: $0) }
        case .compensating(let step): return [.compensation(step: step)]
        case .finished: return []
        }
    }

    /// The role of a command the saga is waiting for, by its id; `nil` when it waits for no
    /// such command (a duplicate, a late reply, another saga's command).
    public func pendingRole(ofCommand commandID: String, _ definition: SagaDefinition) -> CommandRole? {
        pendingRoles(definition).first { self.commandID($0) == commandID }
    }

    /// The commands the saga is waiting for, in its current phase.
    public func pending(_ definition: SagaDefinition) -> [SagaCommand] {
        pendingRoles(definition).map { command($0, definition) }
    }

    /// The command for a role, with the saga's context plus `saga_id` as its body.
    public func command(_ role: CommandRole, _ definition: SagaDefinition) -> SagaCommand {
        let service: String, action: String
        switch role {
        case .action(let step): (service, action) = (definition.steps[step].service, definition.steps[step].action)
        case .compensation(let step): (service, action) = (definition.steps[step].service, definition.steps[step].compensation ?? "")
        case .completion(let index): (service, action) = (definition.onComplete[index].service, definition.onComplete[index].action)
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
        if case .action(let step) = role { return definition.steps[step].retry }
        return definition.compensationRetry
    }

    /// The highest step at or below `step` that has a compensation.
    static func compensable(atOrBelow step: Int, _ definition: SagaDefinition) -> Int? {
        guard step >= 0 else { return nil }
        return (0...step).reversed().first { definition.steps[$0].compensation != nil }
    }

    /// A new saga from its `SagaStarted` event.
    public init(started event: Event, _ definition: SagaDefinition) throws(DomainError) {
        guard case .sagaStarted(let started)? = try? SagaEvent(event) else {
            throw DomainError("\(event.stream) v\(event.version) \(event.type) #\(event.seq): not a complete SagaStarted")
        }
        self.init(id: started.sagaID, type: started.type, definition: started.definition, context: started.context,
                  startedMs: event.metadata.timeMs)
    }

    /// A saga as its `SagaStarted` leaves it: running, waiting for step 0's first attempt.
    init(id: String, type: String, definition fingerprint: String, context: JSON, startedMs: Int64) {
        self.id = id
        self.type = type
        self.definition = fingerprint
        self.context = context
        status = .running
        phase = .forward(step: 0)
        succeeded = 0
        round = 0
        self.startedMs = startedMs
        updatedMs = startedMs
        version = 1
        contentHash = sagaContentHash(type: type, context: context)
        attempts = [:]
        attempts = [commandID(.action(step: 0)): 1]
    }

    // MARK: Snapshots

    /// The saga as JSON (snapshots and status queries).
    public var json: JSON {
        var phaseJSON: [String: JSON]
        switch phase {
        case .forward(let step): phaseJSON = ["name": "forward", "step": .int(Int64(step))]
        case .completing(let done): phaseJSON = ["name": "completing", "done": .array(done.sorted().map { .int(Int64($0)) })]
        case .compensating(let step): phaseJSON = ["name": "compensating", "step": .int(Int64(step))]
        case .finished: phaseJSON = ["name": "finished"]
        }
        var members: [String: JSON] = [
            "saga_id": .string(id), "type": .string(type), "definition": .string(definition), "context": context,
            "status": .string(status.rawValue), "phase": .object(phaseJSON), "succeeded": .int(Int64(succeeded)),
            "attempts": .object(attempts.mapValues { .int(Int64($0)) }), "round": .int(Int64(round)),
            "started_ms": .int(startedMs), "updated_ms": .int(updatedMs), "version": .int(version),
        ]
        if let failure { members["failure"] = .string(failure) }
        if let stuckReason { members["stuck_reason"] = .string(stuckReason) }
        return .object(members)
    }

    /// Restores a saga from its snapshot.
    public init(json: JSON) throws(DomainError) {
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
        definition = try string("definition")
        context = json["context"] ?? [:]
        guard let status = SagaStatus(rawValue: try string("status")) else { throw DomainError("saga snapshot: bad status") }
        self.status = status
        let phaseJSON = json["phase"] ?? [:]
        switch phaseJSON["name"]?.stringValue {
        case "forward": phase = .forward(step: Int(phaseJSON["step"]?.intValue ?? 0))
        case "completing": phase = .completing(done: Set((phaseJSON["done"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }))
        case "compensating": phase = .compensating(step: Int(phaseJSON["step"]?.intValue ?? 0))
        case "finished": phase = .finished
        default: throw DomainError("saga snapshot: bad phase")
        }
        succeeded = Int(try int("succeeded"))
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
