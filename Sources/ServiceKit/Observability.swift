import CoreMetrics
import Foundation
import Logging
import Metrics
import OTel
import Prometheus
import ServiceLifecycle

/// Logging and metrics of a ZSaga process: swift-log with one parseable line per event, and
/// swift-metrics backed by a Prometheus registry that `sys.Metrics` renders.
public enum Observability {
    /// The process's metrics registry.
    public static let registry = PrometheusCollectorRegistry()

    /// Bootstraps logging (at `level`, in `format`) and metrics, once per process, and returns
    /// the process logger.
    public static func bootstrap(label: String, level: Logger.Level, format: LogFormat) -> Logger {
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, level: level) }
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        MetricsSystem.bootstrap(factory)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    /// Bootstraps tracing over OTLP (swift-otel, OTLP/HTTP with protobuf) when the environment
    /// asks for it with `OTEL_TRACES_EXPORTER=otlp` (and `OTEL_SDK_DISABLED` is not `true`);
    /// tracing is off otherwise. The other standard variables configure it
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
    /// `OTEL_TRACES_SAMPLER`, `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_SERVICE_NAME`, …); the service
    /// name defaults to the process's name in the topology. Call it once, in main, and run the
    /// services it returns (the exporter; none when off) first in the process's service group,
    /// so that they stop last and flush what the reactor recorded.
    public static func bootstrapTracing(service: String,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [any Service] {
        guard environment["OTEL_TRACES_EXPORTER"] == "otlp", environment["OTEL_SDK_DISABLED"]?.lowercased() != "true" else { return [] }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        return [try OTel.bootstrap(configuration: configuration, environment: environment)]
    }

    /// The metrics in the Prometheus text format.
    public static func prometheusText() -> String {
        registry.emitToString()
    }
}

/// The metrics every host records, created once (creating a metric takes a lock).
public final class HostMetrics: Sendable {
    private let service: String
    private let commands = LockedValue<[String: CoreMetrics.Counter]>([:])
    public let batchSize: CoreMetrics.Recorder
    public let commitDuration: CoreMetrics.Timer
    public let published: CoreMetrics.Counter
    public let publishDropped: CoreMetrics.Counter
    public let repliesDropped: CoreMetrics.Counter
    public let refused: CoreMetrics.Counter

    public init(service: String) {
        self.service = service
        let dimensions = [("service", service)]
        batchSize = CoreMetrics.Recorder(label: "zsaga_commit_batch_size", dimensions: dimensions)
        commitDuration = CoreMetrics.Timer(label: "zsaga_commit_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        published = CoreMetrics.Counter(label: "zsaga_events_published_total", dimensions: dimensions)
        publishDropped = CoreMetrics.Counter(label: "zsaga_events_publish_dropped_total", dimensions: dimensions)
        repliesDropped = CoreMetrics.Counter(label: "zsaga_replies_dropped_total", dimensions: dimensions)
        refused = CoreMetrics.Counter(label: "zsaga_requests_refused_total", dimensions: dimensions)
    }

    /// Counts a handled command by type and outcome (`ok`, `rejected`, `error`, `duplicate`).
    public func command(_ type: String, _ outcome: String) {
        let key = "\(type)|\(outcome)"
        let counter = commands.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: "zsaga_commands_total",
                                  dimensions: [("service", service), ("type", type), ("outcome", outcome)])
            // Types come from valid requests only, but bound the cardinality anyway.
            if counters.count < 1000 { counters[key] = counter }
            return counter
        }
        counter.increment()
    }

    /// Records a group commit.
    public func commit(units: Int, micros: Int64) {
        batchSize.record(units)
        commitDuration.recordNanoseconds(micros * 1000)
    }

    /// A gauge by name (queue depths and the like), created on first use.
    public func gauge(_ name: String) -> CoreMetrics.Gauge {
        gauges.withLock { gauges in
            if let gauge = gauges[name] { return gauge }
            let gauge = CoreMetrics.Gauge(label: name, dimensions: [("service", service)])
            gauges[name] = gauge
            return gauge
        }
    }

    private let gauges = LockedValue<[String: CoreMetrics.Gauge]>([:])
}
