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
        spans.observe(transition.events, sagaID: sagaID)
        for event in transition.events {
            let name = event.data["name"]?.stringValue ?? "-"
            let type = SagaEventType(rawValue: event.type)
            switch type {
            case .stepRetrying: count("zsaga_saga_retries_total", [("step", name)])
            case .compensationSucceeded: count("zsaga_saga_compensations_total", [("step", name)])
            case .stepFailed: count("zsaga_saga_steps_failed_total", [("step", name), ("reason", event.data["reason"]?.stringValue ?? "-")])
            case .sagaCompleted, .sagaCompensated, .sagaStuck:
                let status = type == .sagaCompleted ? "completed" : type == .sagaCompensated ? "compensated" : "stuck"
                count("zsaga_sagas_settled_total", [("status", status)])
                if let duration = event.data["duration_ms"]?.intValue { sagaLatency.recordMilliseconds(duration) }
            default: break
            }
            if type == .sagaStuck {
                logger.warning("saga stuck", metadata: ["saga_id": "\(sagaID)", "reason": "\(event.data["reason"]?.stringValue ?? "-")",
                                                        "command_id": "\(event.data["command_id"]?.stringValue ?? "-")"])
            } else if logger.logLevel <= .debug {
                logger.debug("saga moved", metadata: [
                    "saga_id": "\(sagaID)", "event": "\(event.type)", "step": "\(name)",
                    "command_id": "\(event.data["command_id"]?.stringValue ?? "-")",
                ])
            }
        }
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
