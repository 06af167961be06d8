import SagaCore
import ServiceModel
import SagaWire
import HostCore

/// The orchestrator's client API: `saga.StartSaga`, `saga.RetrySaga`, `sys.SetFault`; queries
/// wait for the batch's commit.
extension OrchestratorEngine {
    func take(_ request: IncomingRequest, _ batch: inout OrchestratorBatch) {
        switch request {
        case .query(let query, let route):
            batch.queries.append((query, route))
        case .command(let command, let route):
            do {
                try handleAPI(command, route: route, &batch)
            } catch {
                batch.replies.append((route, .error(ErrorReply(inReplyTo: command.id, error))))
            }
        }
    }

    private func handleAPI(_ command: Command, route: [[UInt8]], _ batch: inout OrchestratorBatch) throws(WireError) {
        let body = try command.fields()
        switch command.type {
        case "saga.StartSaga": try start(command, body, route: route, &batch)
        case "saga.RetrySaga": try retry(command, body, route: route, &batch)
        case "sys.SetFault":
            guard config.allowFaults else {
                throw WireError(.forbidden, "runtime fault injection is not enabled here (--allow-faults, ZSAGA_ALLOW_FAULTS=1)")
            }
            let spec = try FaultSpec.parse(try body.string("spec", maxBytes: 4096, allowEmpty: true))
            faults.set(spec)
            logger.notice("fault spec set", metadata: ["spec": "\(spec.text)"])
            batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok, body: faults.json))))
        default:
            throw WireError(.unknownType, "the orchestrator does not handle \(command.type)", field: "type")
        }
    }

    private func start(_ command: Command, _ body: Fields, route: [[UInt8]], _ batch: inout OrchestratorBatch) throws(WireError) {
        let type = try body.identifier("type", maxBytes: 64)
        guard let definition = current[type] else {
            throw WireError(.unknownType, "no saga type \(type); known: \(current.keys.sorted().joined(separator: ", "))",
                            field: "body.type")
        }
        let sagaID = try body.optionalIdentifier("saga_id", maxBytes: Limits.idBytes) ?? command.id
        let wait = try body.optionalBool("wait") ?? false
        let context = try definition.validateContext(body.json("context") ?? [:], sagaID: sagaID)
        try contextChecks[ContextCheckKey(definition)]?.check(context)
        if let existing = try summary(of: sagaID) {
            guard existing.contentHash == sagaContentHash(type: type, context: context) else {
                throw WireError(.conflict, "saga \(sagaID) already exists with a different type or context", field: "body.saga_id")
            }
            if wait && (existing.status == .running || existing.status == .compensating) {
                waiters[sagaID, default: []].append((route, command.id))
            } else {
                batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok,
                                                          body: settledBody(existing, existing: true)))))
            }
            return
        }
        guard book.inFlight < config.maxInFlight else {
            throw WireError(.overloaded, "\(book.inFlight) sagas in flight, the limit is \(config.maxInFlight); retry later")
        }
        let (state, transition) = SagaMachine.start(id: sagaID, definition: definition, context: context, now: clock.wallClockMs())
        batch.record(sagaID, versionBefore: 0, transition, writes: book.update(state))
        observer.count("zsaga_sagas_started_total", [("type", type)])
        observer.spans.started(sagaID, type: type, parent: command.traceParent)
        if wait {
            waiters[sagaID, default: []].append((route, command.id))
        } else {
            batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok,
                                                      body: ["saga_id": .string(sagaID), "status": "running"]))))
        }
    }

    private func retry(_ command: Command, _ body: Fields, route: [[UInt8]], _ batch: inout OrchestratorBatch) throws(WireError) {
        let sagaID = try body.identifier("saga_id", maxBytes: Limits.idBytes)
        guard let summary = try summary(of: sagaID) else {
            throw WireError(.notFound, "no saga \(sagaID)", field: "body.saga_id")
        }
        func notStuck(_ status: SagaStatus) {
            batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .rejected, reason: "not_stuck",
                                                      message: "saga \(sagaID) is \(status.rawValue)",
                                                      body: settledBody(summary, existing: true)))))
        }
        guard var state = book.active[sagaID], let definition = book.definition(of: state) else {
            notStuck(summary.status)
            return
        }
        let before = state.version
        if config.retention.window.isOn, state.startedMs < config.retention.window.start(at: clock.wallClockMs()) {
            throw WireError(.expired, "saga \(sagaID) started before the retention window (\(config.retention.window)): its "
                            + "participants refuse its commands as expired; it cannot be retried", field: "body.saga_id")
        }
        guard let transition = SagaMachine.resume(&state, definition, now: clock.wallClockMs()) else {
            notStuck(state.status)
            return
        }
        batch.record(sagaID, versionBefore: before, transition, writes: book.update(state))
        batch.replies.append((route, .reply(Reply(inReplyTo: command.id, outcome: .ok,
                                                  body: ["saga_id": .string(sagaID), "status": .string(state.status.rawValue)]))))
    }

    func settledBody(_ summary: SagaSummary, existing: Bool) -> JSON {
        var members: [String: JSON] = ["saga_id": .string(summary.id), "status": .string(summary.status.rawValue),
                                       "duration_ms": .int(summary.updatedMs - summary.startedMs),
                                       "existing": .bool(existing)]
        if let failure = summary.failure { members["failure"] = .string(failure) }
        if let reason = summary.stuckReason { members["stuck_reason"] = .string(reason) }
        return .object(members)
    }

    func notifyWaiters(_ sagaID: String, settled: SagaSummary? = nil) {
        guard let routes = waiters.removeValue(forKey: sagaID), let summary = settled ?? (try? summary(of: sagaID)) else { return }
        for waiter in routes {
            io.reply(route: waiter.route, .reply(Reply(inReplyTo: waiter.requestID, outcome: .ok,
                                                       body: settledBody(summary, existing: false))))
        }
    }
}
