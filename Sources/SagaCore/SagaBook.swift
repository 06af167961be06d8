import ServiceModel
import SagaWire

/// The orchestrator's working set, a fold of the saga log: the definitions, and the sagas
/// that can still move (running, compensating, stuck), whole. A saga that settles leaves it:
/// its summary lives in the read side (table `sagas`, counters `sagas.*`), written in the
/// commit of the move that changed its status.
public struct SagaBook: EventSourced {
    /// The read-side table of saga summaries.
    public static let summaryTable = "sagas"
    /// The read side: one row per saga, indexed by status.
    public static let readModel = ReadModelSchema([
        ReadTable(summaryTable, columns: ["status", "type", "started_ms", "updated_ms"], indexes: [["status", "updated_ms"]]),
    ])
    /// Completed and compensated sagas are settled; running, compensating and stuck ones stay.
    public static let retentionRules = [
        RetentionRule(table: summaryTable, settledStatuses: [SagaStatus.completed.rawValue, SagaStatus.compensated.rawValue],
                      streamPrefix: SagaStream.sagaStreamPrefix),
    ]

    /// Definitions by fingerprint.
    public private(set) var definitions: [String: SagaDefinition] = [:]
    /// Sagas that can still move, by id.
    public private(set) var active: [String: SagaState] = [:]
    /// Active sagas per status.
    public private(set) var activeCounts: [SagaStatus: Int] = [:]

    public init() {}

    /// The stream of a registered definition.
    public static func definitionStream(_ fingerprint: String) -> String { SagaStream.definition(fingerprint).description }

    /// The event that registers a definition in the log.
    public static func registration(_ definition: SagaDefinition, now: Int64) -> NewEvent {
        SagaEvent.definitionRegistered(.init(type: definition.type, fingerprint: definition.fingerprint, definition: definition.json))
            .newEvent(timeMs: now)
    }

    /// Sagas that are running or compensating (what counts against the in-flight limit).
    public var inFlight: Int { activeCounts[.running, default: 0] + activeCounts[.compensating, default: 0] }

    /// Stores a saga after the state machine moved it, and returns the read-side writes of the
    /// move: its summary and counters when it started or changed status (nothing otherwise).
    @discardableResult
    public mutating func update(_ state: SagaState) -> [ReadWrite] {
        let old = active[state.id]?.status
        if let old { activeCounts[old, default: 0] -= 1 }
        if state.status.isTerminal {
            active.removeValue(forKey: state.id)
        } else {
            active[state.id] = state
            activeCounts[state.status, default: 0] += 1
        }
        guard old != state.status else { return [] }
        var writes: [ReadWrite] = [.put(table: Self.summaryTable, key: state.id, columns: [
            "status": .text(state.status.rawValue), "type": .text(state.type), "started_ms": .int(state.startedMs),
            "updated_ms": .int(state.updatedMs),
        ], document: SagaSummary(state).json)]
        if let old { writes.append(.count("sagas.status.\(old.rawValue)", by: -1)) } else { writes.append(.count("sagas.total", by: 1)) }
        writes.append(.count("sagas.status.\(state.status.rawValue)", by: 1))
        if state.status == .completed, let amount = state.context["amount_cents"]?.intValue {
            writes.append(.count("sagas.completed_cents", by: amount))
        }
        return writes
    }

    /// The definition a saga runs.
    public func definition(of state: SagaState) -> SagaDefinition? { definitions[state.definition] }

    // MARK: EventSourced

    public mutating func apply(_ event: Event) throws(DomainError) -> [ReadWrite] {
        if SagaEventType(event) == .definitionRegistered {
            try register(event)
            return []
        }
        guard case .saga(let id)? = SagaStream(event.stream) else { throw DomainError("unexpected stream \(event.stream)") }
        if SagaEventType(event) == .sagaStarted {
            guard active[id] == nil, event.version == 1 else {
                throw DomainError("\(event.stream) v\(event.version) SagaStarted: the saga has started already")
            }
            guard case .sagaStarted(let started)? = try? SagaEvent(event), let definition = definitions[started.definition] else {
                throw DomainError("SagaStarted #\(event.seq) names an unregistered definition")
            }
            return update(try SagaState(started: event, definition))
        }
        guard var state = active[id], let definition = definitions[state.definition] else {
            throw DomainError("\(event.stream) v\(event.version) \(event.type) #\(event.seq): the saga is not active")
        }
        try state.apply(event, definition)
        return update(state)
    }

    private mutating func register(_ event: Event) throws(DomainError) {
        guard case .definitionRegistered(let registered)? = try? SagaEvent(event) else {
            throw DomainError("DefinitionRegistered is incomplete")
        }
        try register(fingerprint: registered.fingerprint, registered.definition)
    }

    private mutating func register(fingerprint: String, _ json: JSON) throws(DomainError) {
        do {
            definitions[fingerprint] = try SagaDefinition.parse(json, path: "definition")
        } catch {
            throw DomainError("registered definition \(fingerprint) is invalid: \(error)")
        }
    }

    /// A definition, or a saga that can still move; `nil` for a settled saga (its snapshot is
    /// dropped: it left the working set).
    public func snapshot(stream: String) -> JSON? {
        switch SagaStream(stream) {
        case .definition(let fingerprint)?:
            guard let definition = definitions[fingerprint] else { return nil }
            return [SagaEvent.Key.fingerprint.rawValue: .string(fingerprint), SagaEvent.Key.definition.rawValue: definition.json,
                    "version": 1]
        case .saga(let id)?:
            guard let state = active[id] else { return nil }
            return ["state": state.json, "version": .int(state.version)]
        case nil:
            return nil
        }
    }

    public mutating func restore(stream: String, snapshot: JSON) throws(DomainError) {
        if case .definition(let fingerprint)? = SagaStream(stream) {
            guard let json = snapshot[SagaEvent.Key.definition.rawValue] else { throw DomainError("definition snapshot of \(stream) is invalid") }
            try register(fingerprint: fingerprint, json)
            return
        }
        guard let state = snapshot["state"] else { throw DomainError("saga snapshot of \(stream) is invalid") }
        // Definitions are restored first (their streams sort before the sagas').
        guard let fingerprint = state["definition"]?.stringValue, let definition = definitions[fingerprint] else {
            throw DomainError("saga snapshot of \(stream) names an unregistered definition")
        }
        update(try SagaState(json: state, definition))
    }
}
