import SagaCore
import CoreMetrics
import Logging
import SagaWire
import HostCore

/// The orchestrator's metrics, spans and log lines about saga moves.
final class OrchestratorObserver {
    let metrics: HostMetrics
    /// The sagas' and their commands' spans.
    let spans = SagaSpans()
    private var counters: [String: CoreMetrics.Counter] = [:]
    private let sagaLatency = CoreMetrics.Timer(label: "zsaga_saga_latency_seconds", preferredDisplayUnit: .seconds)

    init(metrics: HostMetrics) {
        self.metrics = metrics
    }

    /// Metrics and logs of a saga's move.
    func observe(_ transition: Transition, sagaID: String, logger: Logger) {
        spans.observe(transition.moves, sagaID: sagaID)
        for move in transition.moves {
            let name = move.name ?? "-"
            switch move {
            case .stepRetrying: count("zsaga_saga_retries_total", [("step", name)])
            case .compensationSucceeded: count("zsaga_saga_compensations_total", [("step", name)])
            case .stepFailed(let e): count("zsaga_saga_steps_failed_total", [("step", name), ("reason", e.reason)])
            case .sagaCompleted(let e): settled(.completed, durationMs: e.durationMs)
            case .sagaCompensated(let e): settled(.compensated, durationMs: e.durationMs)
            case .sagaStuck: settled(.stuck, durationMs: nil)
            default: break
            }
            if case .sagaStuck(let e) = move {
                logger.warning("saga stuck", metadata: ["saga_id": "\(sagaID)", "reason": "\(e.reason)", "command_id": "\(e.commandID)"])
            } else if logger.logLevel <= .debug {
                logger.debug("saga moved", metadata: [
                    "saga_id": "\(sagaID)", "event": "\(move.type.rawValue)", "step": "\(name)",
                    "command_id": "\(move.commandID ?? "-")",
                ])
            }
        }
    }

    private func settled(_ status: SagaStatus, durationMs: Int64?) {
        count("zsaga_sagas_settled_total", [("status", status.rawValue)])
        if let durationMs { sagaLatency.recordMilliseconds(durationMs) }
    }

    /// Counts into a counter by label and dimensions, created on first use (at most 1,000 kept).
    func count(_ label: String, _ dimensions: [(String, String)]) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        if let counter = counters[key] { counter.increment(); return }
        let counter = CoreMetrics.Counter(label: label, dimensions: dimensions)
        if counters.count < 1000 { counters[key] = counter }
        counter.increment()
    }

    /// Gauges after a batch.
    func batchDone(inFlight: Int, timers: Int) {
        metrics.gauge("zsaga_sagas_in_flight").record(inFlight)
        metrics.gauge("zsaga_timers").record(timers)
    }
}
