import HostCore
import SagaCore

/// What the orchestrator's engine runs with: everything of its configuration but the sockets
/// (``OrchestratorConfiguration`` in Orchestration adds those; the simulation builds this one
/// directly).
package struct EngineConfiguration: Sendable {
    /// The directory of the saga log.
    package var dataDirectory: String
    /// The services the sagas' steps run at, by name (each has a stream position in the log).
    package var services: [String]
    /// The saga types it runs.
    package var definitions: [SagaDefinition]
    /// Most sagas running or compensating at once; past it `StartSaga` is refused with `overloaded`.
    package var maxInFlight: Int
    /// A snapshot is written after this many events (0: never).
    package var snapshotEvery: Int
    /// Seed of the backoff jitter.
    package var seed: UInt64
    /// Faults to inject (fault-injection runs); empty in production.
    package var faults: FaultSpec
    /// Whether `sys.SetFault` is accepted at runtime.
    package var allowFaults: Bool
    /// How long settled sagas are kept, and where they are archived.
    package var retention: RetentionSettings
    /// Whether recovery first verifies the snapshots and read side against the whole log.
    package var verifySnapshots: Bool

    package init(dataDirectory: String, services: [String], definitions: [SagaDefinition], maxInFlight: Int = 10_000,
                 snapshotEvery: Int = 10_000, seed: UInt64 = 1, faults: FaultSpec = FaultSpec(), allowFaults: Bool = false,
                 retention: RetentionSettings = RetentionSettings(), verifySnapshots: Bool = false) {
        self.dataDirectory = dataDirectory
        self.services = services
        self.definitions = definitions
        self.maxInFlight = maxInFlight
        self.snapshotEvery = snapshotEvery
        self.seed = seed
        self.faults = faults
        self.allowFaults = allowFaults
        self.retention = retention
        self.verifySnapshots = verifySnapshots
    }
}
