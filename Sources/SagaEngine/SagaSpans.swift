import SagaCore
import SagaWire
import HostCore
import Tracing

/// The orchestrator's spans, when a tracer is on (docs/DASHBOARD.md, "Traces"):
///
/// - one per saga (`saga <type>`), from `StartSaga` to the saga's end, a child of the client's
///   span when `StartSaga` carried a `traceparent`;
/// - one per command of the saga (kind client, named by the command type), from its first
///   attempt to its outcome, a child of the saga's; every attempt carries its `traceparent`, so
///   the participant's spans join the saga's trace.
///
/// A saga recovered after a restart gets a new saga span when it next sends (its trace goes on
/// in a new one); a stuck saga's span ends, with an error status, at `SagaStuck`. Memory is
/// bounded by the sagas in flight.
final class SagaSpans {
    private let isOn = TraceContext.isOn
    private var sagas: [String: any Span] = [:]
    private var commands: [String: (sagaID: String, span: any Span)] = [:]
    /// The open command spans of each saga, to end with it.
    private var openCommands: [String: Set<String>] = [:]

    /// A saga just started by a `StartSaga` that carried `parent`.
    func started(_ sagaID: String, type: String, parent: TraceParent?) {
        guard isOn else { return }
        let span = InstrumentationSystem.tracer.startSpan("saga \(type)", context: TraceContext.context(continuing: parent), ofKind: .internal)
        span.attributes["zsaga.saga_id"] = sagaID
        span.attributes["zsaga.saga_type"] = type
        sagas[sagaID] = span
    }

    /// The command as sent for its `attempt`: carrying its span's `traceparent`.
    func traced(_ command: Command, attempt: Int) -> Command {
        guard isOn, let sagaID = SagaCommandID.sagaID(in: command.id) else { return command }
        let span: any Span
        if let open = commands[command.id] {
            span = open.span
        } else {
            let saga = sagas[sagaID] ?? recovered(sagaID)
            span = InstrumentationSystem.tracer.startSpan(command.type, context: saga.context, ofKind: .client)
            span.attributes["zsaga.saga_id"] = sagaID
            span.attributes["zsaga.command_id"] = command.id
            commands[command.id] = (sagaID, span)
            openCommands[sagaID, default: []].insert(command.id)
        }
        span.attributes["zsaga.attempts"] = attempt
        var traced = command
        traced.traceParent = TraceContext.traceParent(of: span)
        return traced
    }

    /// Ends the spans the saga's new events close: a command's at its outcome, the saga's at its end.
    func observe(_ moves: [SagaEvent], sagaID: String) {
        guard isOn else { return }
        for move in moves {
            switch move {
            case .stepSucceeded, .compensationSucceeded, .completionSucceeded:
                endCommand(move.commandID, failure: nil)
            case .stepFailed(let e):
                endCommand(e.commandID, failure: e.message)
            case .sagaCompleted:
                endSaga(sagaID, status: .completed, failure: nil)
            case .sagaCompensated:
                endSaga(sagaID, status: .compensated, failure: nil)
            case .sagaStuck(let e):
                endSaga(sagaID, status: .stuck, failure: e.reason)
            case .definitionRegistered, .sagaStarted, .stepRetrying, .sagaResumed:
                break
            }
        }
    }

    private func recovered(_ sagaID: String) -> any Span {
        let span = InstrumentationSystem.tracer.startSpan("saga (recovered)", context: .topLevel, ofKind: .internal)
        span.attributes["zsaga.saga_id"] = sagaID
        sagas[sagaID] = span
        return span
    }

    private func endCommand(_ commandID: String?, failure: String?) {
        guard let commandID, let open = commands.removeValue(forKey: commandID) else { return }
        openCommands[open.sagaID]?.remove(commandID)
        if let failure { open.span.setStatus(SpanStatus(code: .error, message: failure)) }
        open.span.end()
    }

    private func endSaga(_ sagaID: String, status: SagaStatus, failure: String?) {
        for id in openCommands.removeValue(forKey: sagaID) ?? [] { commands.removeValue(forKey: id)?.span.end() }
        guard let span = sagas.removeValue(forKey: sagaID) else { return }
        span.attributes["zsaga.status"] = status.rawValue
        if let failure { span.setStatus(SpanStatus(code: .error, message: failure)) }
        span.end()
    }
}
