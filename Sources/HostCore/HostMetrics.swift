import CoreMetrics

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
