import SagaCore
import ServiceModel
import SagaWire
import HostCore

/// The orchestrator's queries: `saga.GetSaga`, `saga.ListSagas`, `saga.Stats`,
/// `saga.Definitions` and the `sys.*` queries every process answers.
extension OrchestratorEngine {
    func answer(_ query: Query, route: [[UInt8]]) {
        do {
            var body = try answerBody(query)
            if !SystemQueries.handles(query.type) { body = SystemQueries.stamped(body, asOf: log.projected) }
            io.reply(route: route, .result(QueryResult(inReplyTo: query.id, body: body)))
        } catch {
            io.reply(route: route, .error(ErrorReply(inReplyTo: query.id, error)))
        }
    }

    private func answerBody(_ query: Query) throws(WireError) -> JSON {
        if SystemQueries.handles(query.type) {
            return try system.answer(query, log: log, now: clock.wallClockMs(), extra: [
                "in_flight": .int(Int64(book.inFlight)), "sagas": .int(try log.counter("sagas.total")),
                "faults": faults.json, "streams": io.streamStatus, "commit": committer.stats.json, "retention": retainer.json(log),
                "projection": committer.projectionJSON(now: clock.monotonicMs()),
                "recovery": ["snapshots": .int(Int64(recovery.snapshots)), "replayed": .int(Int64(recovery.replayed)),
                             "resumed": .int(Int64(recovery.resumed)), "projected": .int(Int64(recovery.projected)), "ms": .int(recovery.ms)],
            ])
        }
        let body = try Fields(query.body, path: "body")
        switch query.type {
        case "saga.GetSaga":
            let sagaID = try body.identifier("saga_id", maxBytes: Limits.idBytes)
            guard let summary = try summary(of: sagaID) else { throw WireError(.notFound, "no saga \(sagaID)", field: "body.saga_id") }
            let events: [Event]
            do { events = try log.read(stream: SagaState.stream(sagaID)) } catch {
                throw WireError(.internal, "reading saga \(sagaID) failed: \(error)")
            }
            var saga = summary.json.objectValue ?? [:]
            if let state = book.active[sagaID] { saga = state.json.objectValue ?? saga }
            // The context once, in the saga; the timeline's entries are the events' payloads without it.
            let moves = events.map { try? SagaEvent($0) }
            if case .sagaStarted(let started)?? = moves.first { saga["context"] = started.context } else { saga["context"] = .null }
            let timeline: [JSON] = zip(events, moves).map { event, move in
                var entry = event.data.objectValue ?? [:]
                if case .sagaStarted? = move { entry.removeValue(forKey: SagaEvent.Key.context.rawValue) }
                entry["event"] = .string(event.type)
                entry["seq"] = .int(event.seq)
                entry["time_ms"] = .int(event.metadata.timeMs)
                return .object(entry)
            }
            return ["saga": .object(saga), "timeline": .array(timeline)]
        case "saga.ListSagas":
            let status = try body.optionalString("status", maxBytes: 32)
            if let status, SagaStatus(rawValue: status) == nil {
                throw WireError(.invalidArgument, "must be one of running, compensating, completed, compensated, stuck",
                                field: "body.status")
            }
            let (sagas, next) = try log.page("sagas", filter: status.map { ["status": .text($0)] } ?? [:], try Page(body))
            return ["sagas": .array(sagas), "next": next.map { .string($0) } ?? .null]
        case "saga.Stats":
            let counters = try log.counters(prefix: "sagas.")
            var byStatus: [String: JSON] = [:]
            for status in SagaStatus.allCases { byStatus[status.rawValue] = .int(counters["sagas.status.\(status.rawValue)", default: 0]) }
            return ["total": .int(counters["sagas.total", default: 0]), "by_status": .object(byStatus),
                    "completed_cents": .int(counters["sagas.completed_cents", default: 0]),
                    "in_flight": .int(Int64(book.inFlight)), "max_in_flight": .int(Int64(config.maxInFlight))]
        case "saga.Definitions":
            return ["definitions": .array(current.keys.sorted().map { type in
                var json = current[type]!.json.objectValue ?? [:]
                json["fingerprint"] = .string(current[type]!.fingerprint)
                return .object(json)
            })]
        default:
            throw WireError(.unknownType, "the orchestrator does not answer \(query.type)", field: "type")
        }
    }
}
