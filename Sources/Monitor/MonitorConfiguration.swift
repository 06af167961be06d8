import ServiceKit

/// Settings of the saga monitor.
public struct MonitorConfiguration: Sendable, BoundSocketsConfiguration {
    /// Where its ROUTER (queries) binds.
    public var routerEndpoint: String
    /// Where its PUB (alerts) binds.
    public var pubEndpoint: String
    /// The directory of its log.
    public var dataDirectory: String
    /// The processes it follows: the orchestrator (`saga`) and the four services.
    public var sources: [StreamSubscriber.Source]
    /// The patterns it watches for.
    public var patterns: [PatternDefinition]
    /// A snapshot after this many events (0: never).
    public var snapshotEvery: Int
    public var heartbeatMs: Int
    /// CURVE keys: when set, every socket is encrypted and clients must be on the allow-list.
    public var keys: CurveKeys?
    /// Most requests per second from one client (0: no limit).
    public var clientRate: Double = 20_000
    /// How long the views and copies of settled sagas are kept, and where they are archived.
    public var retention = RetentionSettings()

    public init(routerEndpoint: String, pubEndpoint: String, dataDirectory: String, sources: [StreamSubscriber.Source],
                patterns: [PatternDefinition] = PatternDefinition.builtIns, snapshotEvery: Int = 50_000, heartbeatMs: Int = 1000,
                keys: CurveKeys? = nil) {
        self.keys = keys
        self.routerEndpoint = routerEndpoint
        self.pubEndpoint = pubEndpoint
        self.dataDirectory = dataDirectory
        self.sources = sources
        self.patterns = patterns
        self.snapshotEvery = snapshotEvery
        self.heartbeatMs = heartbeatMs
    }
}
