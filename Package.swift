// swift-tools-version:6.1
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "ZSaga",
    products: [
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "SagaWire", targets: ["SagaWire"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "ServiceModel", targets: ["ServiceModel"]),
        .library(name: "Domain", targets: ["Domain"]),
        .library(name: "ServiceKit", targets: ["ServiceKit"]),
        .library(name: "SagaCore", targets: ["SagaCore"]),
        .library(name: "Orchestration", targets: ["Orchestration"]),
        .library(name: "LogCheck", targets: ["LogCheck"]),
        .library(name: "SagaClient", targets: ["SagaClient"]),
        .library(name: "SagaHarness", targets: ["SagaHarness"]),
        .executable(name: "zsaga-log", targets: ["zsaga-log"]),
        .executable(name: "saga-orchestrator", targets: ["saga-orchestrator"]),
        .executable(name: "sagactl", targets: ["sagactl"]),
        .executable(name: "saga-monitor", targets: ["saga-monitor"]),
        .executable(name: "order-service", targets: ["order-service"]),
        .executable(name: "inventory-service", targets: ["inventory-service"]),
        .executable(name: "payment-service", targets: ["payment-service"]),
        .executable(name: "shipping-service", targets: ["shipping-service"]),
    ],
    traits: [
        // Off by default: the exporter and its protobuf code double a release build's time, and
        // tracing is off unless OTEL_TRACES_EXPORTER=otlp. `swift build --traits OTLP` builds it
        // (./scripts/cluster.sh does when that variable asks for OTLP; the compose image always).
        .trait(name: "OTLP", description: "The OTLP/HTTP trace exporter (swift-otel): spans exported when OTEL_TRACES_EXPORTER=otlp"),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        // OTLP over HTTP only: the gRPC exporter is not built.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.0.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        // The C boundary: libzmq, and nothing else imports it but `ZeroMQ`.
        .systemLibrary(
            name: "CZeroMQ",
            path: "Sources/CZeroMQ",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "SagaWire"),
        // The I/O-free model every service core is written against: ServiceCore, EventSourced,
        // Decision, DomainError, the read-side types, Page, Limits.
        .target(name: "ServiceModel", dependencies: ["SagaWire"]),
        .target(name: "Domain", dependencies: ["SagaWire", "ServiceModel"]),
        .target(
            name: "EventLog",
            dependencies: [
                "SagaWire", "ServiceModel", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "CompressNIO", package: "compress-nio"), .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The part of every process's shell that knows no sockets: the commit pipeline
        // (Committer, checkpoints), retention, fault injection, clocks, host metrics, system
        // queries, state verification. The engine, the simulation and the offline tools use it.
        .target(
            name: "HostCore",
            dependencies: [
                "SagaWire", "EventLog", "ServiceModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // What a client needs besides the wire and the sockets, each on its own: the cluster's
        // processes and endpoints, CURVE keys, and the subscriber that reads event streams in
        // order (replaying gaps).
        .target(name: "ClusterTopology", dependencies: ["SagaWire"]),
        .target(name: "ClusterKeys", dependencies: [
            "ClusterTopology", "ZeroMQ", "SagaWire", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "EventStreams", dependencies: [
            "ClusterKeys", "ZeroMQ", "SagaWire", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(
            name: "ServiceKit",
            dependencies: [
                "HostCore", "ClusterTopology", "ClusterKeys", "EventStreams", "ZeroMQ", "SagaWire", "EventLog", "ServiceModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTLP"])),
            ]
        ),
        // The saga core: definitions, the pure state machine, the state and its strict folds,
        // the working set (SagaBook), retry policy. No sockets, no host, no storage.
        .target(name: "SagaCore", dependencies: ["SagaWire", "ServiceModel"]),
        // The saga types the orchestrator runs by default, as a definitions file installed with
        // the binaries (the order saga: business knowledge is data, not engine code).
        .target(name: "BuiltInSagas", dependencies: ["SagaCore", "SagaWire"], resources: [.copy("order.json")]),
        // The orchestrator without its sockets: the engine over the saga log, timers, recovery.
        // The reactor (Orchestration) and the seeded simulation (SagaSimulation) both drive it.
        .target(name: "SagaEngine", dependencies: [
            "SagaCore", "HostCore", "ServiceModel", "SagaWire", "EventLog",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        // The orchestrator process: its configuration and its ZeroMQ reactor around the engine.
        .target(name: "Orchestration", dependencies: [
            "SagaCore", "SagaEngine", "ServiceKit", "SagaWire", "EventLog", "ZeroMQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Monitor", dependencies: [
            "ServiceKit", "ServiceModel", "SagaWire", "EventLog", "ZeroMQ", "SagaClient",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .executableTarget(name: "saga-monitor", dependencies: [
            "Monitor", "ServiceKit", "SagaWire", argumentParser,
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "LogCheck", dependencies: ["SagaWire", "EventLog", "ServiceModel", "HostCore", "Domain", "SagaCore"]),
        // The client library: the wire, the sockets and what a client needs; no ServiceKit, no log.
        .target(name: "SagaClient", dependencies: [
            "ZeroMQ", "SagaWire", "ClusterTopology", "ClusterKeys", "EventStreams", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "SagaHarness", dependencies: [
            "SagaClient", "ZeroMQ", "SagaWire", "ServiceKit", "LogCheck", .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "order-service", dependencies: ["ServiceKit", "Domain", argumentParser]),
        .executableTarget(name: "inventory-service", dependencies: ["ServiceKit", "Domain", argumentParser]),
        .executableTarget(name: "payment-service", dependencies: ["ServiceKit", "Domain", argumentParser]),
        .executableTarget(name: "shipping-service", dependencies: ["ServiceKit", "Domain", argumentParser]),
        // The example participant (Examples/LoyaltyService, its own package too): a fifth service
        // the system tests name only in a topology file, built from ServiceKit alone.
        .executableTarget(name: "loyalty-service", dependencies: ["ServiceKit", "ServiceModel", "SagaWire", argumentParser],
                          path: "Examples/LoyaltyService/Sources/LoyaltyService"),
        .executableTarget(name: "saga-orchestrator", dependencies: ["Orchestration", "BuiltInSagas", "ServiceKit", "SagaWire", argumentParser]),
        // The embedded orchestrator, simulated participants and the seeded simulation (the
        // test kit of the orchestrator engine, as NIOEmbedded is swift-nio's).
        .target(name: "SagaSimulation", dependencies: [
            "SagaCore", "SagaEngine", "BuiltInSagas", "HostCore", "EventLog", "SagaWire",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        .executableTarget(name: "zsaga-sim", dependencies: ["SagaSimulation", "BuiltInSagas", "SagaWire", argumentParser]),
        .target(name: "Bench", dependencies: ["SagaClient", "SagaHarness", "SagaWire", "ServiceKit", "ZeroMQ"]),
        .executableTarget(name: "zsaga-bench", dependencies: ["Bench", "SagaClient", "SagaHarness", "SagaWire", argumentParser]),
        .executableTarget(name: "sagactl", dependencies: ["SagaClient", "SagaHarness", "SagaWire", "ServiceKit", "LogCheck", "Domain", argumentParser]),
        .executableTarget(
            name: "zsaga-log",
            dependencies: ["EventLog", "SagaWire", "LogCheck", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "ServiceKit"]),
        .testTarget(name: "SagaWireTests", dependencies: ["SagaWire"]),
        .target(name: "TestSupport", dependencies: ["SagaClient", "SagaHarness", "ServiceKit"], path: "Tests/TestSupport"),
        .testTarget(name: "DomainTests", dependencies: [
            "Domain", "SagaWire", "ServiceModel", "EventLog", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "SystemTests", dependencies: [
            "SagaClient", "SagaHarness", "SagaWire", "TestSupport", "ServiceKit", "ZeroMQ", "Domain", "LogCheck", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ServiceKitTests", dependencies: [
            "ServiceKit", "HostCore", "SagaWire", "EventLog", "ServiceModel", .product(name: "Logging", package: "swift-log"), argumentParser,
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "MonitorTests", dependencies: ["Monitor", "SagaWire", "ServiceModel"]),
        .testTarget(name: "SagaCoreTests", dependencies: ["SagaCore", "BuiltInSagas", "Domain", "SagaWire", "ServiceModel"]),
        .testTarget(name: "SimulationTests", dependencies: ["SagaSimulation", "SagaCore", "SagaEngine", "BuiltInSagas", "HostCore", "SagaWire"]),
        // Logs written by an earlier build, replayed by today's code to what that build replayed them to.
        .testTarget(name: "FixtureTests", dependencies: [
            "LogCheck", "SagaCore", "Domain", "EventLog", "HostCore", "ServiceModel", "Monitor", "SagaWire", "TestSupport",
        ]),
        .testTarget(
            name: "EventLogTests",
            dependencies: ["EventLog", "SagaWire", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)
