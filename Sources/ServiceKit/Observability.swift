import CoreMetrics
import Foundation
import Logging
import Metrics
#if OTLP
import OTel
#endif
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
        MetricsExposition.bootstrap { registry.emitToString() }
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
    ///
    /// - Throws: ``TracingUnavailable`` when the environment asks for OTLP and this build has no
    ///   exporter (it was built without the package trait `OTLP`): a process never drops the
    ///   traces it was asked for in silence.
    public static func bootstrapTracing(service: String,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [any Service] {
        guard environment["OTEL_TRACES_EXPORTER"] == "otlp", environment["OTEL_SDK_DISABLED"]?.lowercased() != "true" else { return [] }
        #if OTLP
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.exporter = .otlp
        return [try OTel.bootstrap(configuration: configuration, environment: environment)]
        #else
        throw TracingUnavailable()
        #endif
    }

    /// Whether this build can export traces over OTLP (built with the package trait `OTLP`).
    public static var exportsOTLP: Bool {
        #if OTLP
        return true
        #else
        return false
        #endif
    }

    /// The metrics in the Prometheus text format.
    public static func prometheusText() -> String {
        registry.emitToString()
    }
}

/// `OTEL_TRACES_EXPORTER=otlp` asked for traces that this build cannot export.
public struct TracingUnavailable: Error, CustomStringConvertible {
    public var description: String {
        "OTEL_TRACES_EXPORTER=otlp, but this build has no OTLP exporter: build it with the package trait OTLP "
            + "(swift build -c release --traits OTLP; ./scripts/cluster.sh up does so when OTEL_TRACES_EXPORTER=otlp is set)"
    }
}
