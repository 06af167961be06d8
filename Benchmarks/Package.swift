// swift-tools-version:6.1
// Micro-benchmarks (ordo-one/benchmark) of ZSaga's hot paths: the codec, a log append batch and
// a state-machine step. Kept out of the main package so its build and CI stay lean:
//
//   cd Benchmarks && swift package benchmark
import Foundation
import PackageDescription

// A path dependency is named after its directory: the checkout's name, whatever it is.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ZSagaBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ZSagaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SagaWire", package: root),
                .product(name: "EventLog", package: root),
                .product(name: "Orchestration", package: root),
            ],
            path: "Benchmarks/ZSagaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
