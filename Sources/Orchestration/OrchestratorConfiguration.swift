import SagaCore
import SagaEngine
import ServiceKit

/// Settings of the saga orchestrator.
public struct OrchestratorConfiguration: Sendable, BoundSocketsConfiguration {
    /// Where the client API ROUTER binds.
    public var routerEndpoint: String
    /// Where the saga-event PUB binds.
    public var pubEndpoint: String
    /// The directory of the saga log.
    public var dataDirectory: String
    /// Each service's ROUTER (commands) and PUB (events), by service name.
    public var services: [String: (router: String, pub: String)]
    /// The saga types it runs (the built-in `order` saga plus any loaded from a file).
    public var definitions: [SagaDefinition]
    /// Most sagas running or compensating at once; past it `StartSaga` is refused with `overloaded`.
    public var maxInFlight: Int
    /// A snapshot is written after this many events (0: never).
    public var snapshotEvery: Int
    /// Milliseconds between heartbeats.
    public var heartbeatMs: Int
    /// Most requests taken into one batch.
    public var maxBatch: Int
    /// Seed of the backoff jitter.
    public var seed: UInt64
    /// Faults to inject (fault-injection runs); empty in production.
    public var faults: FaultSpec
    /// CURVE keys: when set, every socket is encrypted and clients must be on the allow-list.
    public var keys: CurveKeys?
    /// Whether `sys.SetFault` is accepted at runtime.
    public var allowFaults = false
    /// Most requests per second from one client (0: no limit).
    public var clientRate: Double = 20_000
    /// How long settled sagas are kept, and where they are archived.
    public var retention = RetentionSettings()
    /// Whether recovery first verifies the snapshots and read side against the whole log.
    public var verifySnapshots = false

    public init(routerEndpoint: String, pubEndpoint: String, dataDirectory: String,
                services: [String: (router: String, pub: String)], definitions: [SagaDefinition],
                maxInFlight: Int = 10_000, snapshotEvery: Int = 10_000, heartbeatMs: Int = 1000, maxBatch: Int = 512,
                seed: UInt64 = 1, faults: FaultSpec = FaultSpec(), keys: CurveKeys? = nil) {
        self.faults = faults
        self.keys = keys
        self.routerEndpoint = routerEndpoint
        self.pubEndpoint = pubEndpoint
        self.dataDirectory = dataDirectory
        self.services = services
        self.definitions = definitions
        self.maxInFlight = maxInFlight
        self.snapshotEvery = snapshotEvery
        self.heartbeatMs = heartbeatMs
        self.maxBatch = maxBatch
        self.seed = seed
    }

    /// The engine's part of it.
    package var engine: EngineConfiguration {
        EngineConfiguration(dataDirectory: dataDirectory, services: services.keys.sorted(), definitions: definitions,
                            maxInFlight: maxInFlight, snapshotEvery: snapshotEvery, seed: seed, faults: faults,
                            allowFaults: allowFaults, retention: retention, verifySnapshots: verifySnapshots)
    }
}
