// swift-tools-version:6.1
import PackageDescription

// A participant of your own, as a package of its own: it depends on ZSaga (here by path; from
// a clone of your own, by URL) for ServiceKit and ServiceModel, and nothing else.
let package = Package(
    name: "LoyaltyService",
    products: [.executable(name: "loyalty-service", targets: ["LoyaltyService"])],
    dependencies: [
        .package(name: "ZSaga", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(name: "LoyaltyService", dependencies: [
            .product(name: "ServiceKit", package: "ZSaga"),
            .product(name: "ServiceModel", package: "ZSaga"),
            .product(name: "SagaWire", package: "ZSaga"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
