// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ZSaga",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "SagaWire", targets: ["SagaWire"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .executable(name: "zsaga-log", targets: ["zsaga-log"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .target(name: "Domain", dependencies: ["SagaWire"]),
        .target(
            name: "EventLog",
            dependencies: ["SagaWire", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "zsaga-log",
            dependencies: ["EventLog", "SagaWire", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "SagaWireTests", dependencies: ["SagaWire"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "SagaWire"]),
        .testTarget(
            name: "EventLogTests",
            dependencies: ["EventLog", "SagaWire", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)
