import Foundation

/// Settings of a service host.
public struct HostConfiguration: Sendable, BoundSocketsConfiguration {
    /// Where the ROUTER binds (commands, queries, replay, ping).
    public var routerEndpoint: String
    /// Where the PUB binds (events, heartbeats).
    public var pubEndpoint: String
    /// The directory holding the process's log.
    public var dataDirectory: String
    /// A snapshot is written after this many events (0: never).
    public var snapshotEvery: Int
    /// Milliseconds between heartbeats.
    public var heartbeatMs: Int
    /// Most requests taken into one batch (one commit).
    public var maxBatch: Int
    /// Faults to inject (fault-injection runs); empty in production.
    public var faults: FaultSpec
    /// CURVE keys: when set, every socket is encrypted and clients must be on the allow-list.
    public var keys: CurveKeys?
    /// Whether `sys.SetFault` is accepted at runtime.
    public var allowFaults: Bool
    /// Most requests per second from one client (0: no limit).
    public var clientRate: Double
    /// How long settled history is kept, and where it is archived.
    public var retention: RetentionSettings
    /// Whether recovery first verifies the snapshots and read side against the whole log.
    public var verifySnapshots = false
    /// The cluster's processes (the orchestrator's services, the monitor's sources).
    public var topology = Topology.builtIn

    public init(routerEndpoint: String, pubEndpoint: String, dataDirectory: String, snapshotEvery: Int = 10_000,
                heartbeatMs: Int = 1000, maxBatch: Int = 512, faults: FaultSpec = FaultSpec(), keys: CurveKeys? = nil,
                allowFaults: Bool = false, clientRate: Double = 20_000, retention: RetentionSettings = RetentionSettings()) {
        self.retention = retention
        self.faults = faults
        self.keys = keys
        self.allowFaults = allowFaults
        self.clientRate = clientRate
        self.routerEndpoint = routerEndpoint
        self.pubEndpoint = pubEndpoint
        self.dataDirectory = dataDirectory
        self.snapshotEvery = snapshotEvery
        self.heartbeatMs = heartbeatMs
        self.maxBatch = maxBatch
    }
}
