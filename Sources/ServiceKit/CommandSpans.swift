import SagaWire
import Tracing

/// The spans of one batch's commands that carry a trace context: each command's span (a child
/// of its sender's, kind server) from when the batch took it until its reply went out, with a
/// child `commit` span for the batch's group commit. Nothing is recorded when no tracer is on
/// or a command carries no `traceparent`.
struct CommandSpans {
    private let service: String
    private var taken: [(command: Command, at: DefaultTracerClock.Timestamp)] = []

    init(service: String) { self.service = service }

    /// Notes a command as the batch takes it.
    mutating func took(_ command: Command) {
        guard command.traceParent != nil, TraceContext.isOn else { return }
        taken.append((command, TraceContext.now))
    }

    /// Records the spans once the batch's replies are out; `commit` is when its commit ran.
    func finish(commit: (started: DefaultTracerClock.Timestamp, ended: DefaultTracerClock.Timestamp)?) {
        guard !taken.isEmpty else { return }
        let tracer = InstrumentationSystem.tracer
        for (command, at) in taken {
            let span = tracer.startSpan(command.type, context: TraceContext.context(continuing: command.traceParent), ofKind: .server, at: at)
            span.attributes["zsaga.service"] = service
            span.attributes["zsaga.command_id"] = command.id
            if let saga = command.correlationID { span.attributes["zsaga.saga_id"] = saga }
            if let commit {
                let child = tracer.startSpan("commit", context: span.context, ofKind: .internal, at: commit.started)
                child.attributes["zsaga.service"] = service
                child.end(at: commit.ended)
            }
            span.end()
        }
    }
}
