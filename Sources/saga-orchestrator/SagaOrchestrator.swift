import ArgumentParser
import Foundation
import Orchestration
import SagaWire
import ServiceKit

/// `saga-orchestrator`: drives sagas across the services and compensates failed ones.
@main
struct SagaOrchestrator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga-orchestrator",
        abstract: "ZSaga's orchestrator: runs sagas step by step across the services and compensates failures.",
        discussion: """
            Service endpoints: --<service>-router and --<service>-pub for order, inventory, payment and \
            shipping (env ZSAGA_<SERVICE>_ROUTER, ZSAGA_<SERVICE>_PUB), or --service NAME=ROUTER,PUB for \
            services of other saga types.
            """)

    @OptionGroup var options: ServiceOptions

    @Option(name: .customLong("order-router"), help: "order-service's ROUTER. Env: ZSAGA_ORDER_ROUTER.") var orderRouter: String?
    @Option(name: .customLong("order-pub"), help: "order-service's PUB. Env: ZSAGA_ORDER_PUB.") var orderPub: String?
    @Option(name: .customLong("inventory-router"), help: "inventory-service's ROUTER. Env: ZSAGA_INVENTORY_ROUTER.") var inventoryRouter: String?
    @Option(name: .customLong("inventory-pub"), help: "inventory-service's PUB. Env: ZSAGA_INVENTORY_PUB.") var inventoryPub: String?
    @Option(name: .customLong("payment-router"), help: "payment-service's ROUTER. Env: ZSAGA_PAYMENT_ROUTER.") var paymentRouter: String?
    @Option(name: .customLong("payment-pub"), help: "payment-service's PUB. Env: ZSAGA_PAYMENT_PUB.") var paymentPub: String?
    @Option(name: .customLong("shipping-router"), help: "shipping-service's ROUTER. Env: ZSAGA_SHIPPING_ROUTER.") var shippingRouter: String?
    @Option(name: .customLong("shipping-pub"), help: "shipping-service's PUB. Env: ZSAGA_SHIPPING_PUB.") var shippingPub: String?

    @Option(name: .customLong("service"), help: "Another service as NAME=ROUTER,PUB (repeatable).")
    var extraServices: [String] = []

    @Option(help: "A JSON file of more saga types (see docs/SAGAS.md). Env: ZSAGA_DEFINITIONS.")
    var definitions: String?

    @Option(help: "Most sagas in flight; past it StartSaga is refused with `overloaded`. Env: ZSAGA_MAX_IN_FLIGHT. Default: 10000.")
    var maxInFlight: Int?

    @Option(help: "Seed of the backoff jitter. Env: ZSAGA_SEED. Default: 1.")
    var seed: UInt64?

    func run() async throws {
        let host = try options.configuration(service: "saga")
        var services: [String: (router: String, pub: String)] = [:]
        let flags: [String: (String?, String?)] = [
            "order": (orderRouter, orderPub), "inventory": (inventoryRouter, inventoryPub),
            "payment": (paymentRouter, paymentPub), "shipping": (shippingRouter, shippingPub),
        ]
        for service in DefaultEndpoints.services {
            let (router, pub) = flags[service]!
            services[service] = DefaultEndpoints.resolve(service, router: router, pub: pub)
        }
        for spec in extraServices {
            let parts = spec.split(separator: "=", maxSplits: 1)
            let endpoints = parts.count == 2 ? parts[1].split(separator: ",") : []
            guard parts.count == 2, endpoints.count == 2 else {
                throw ValidationError("--service must be NAME=ROUTER,PUB, got \(spec)")
            }
            services[String(parts[0])] = (String(endpoints[0]), String(endpoints[1]))
        }
        var sagaTypes: [SagaDefinition] = [.order]
        if let path = try setting(definitions, env: "ZSAGA_DEFINITIONS") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the definitions file \(path)")
            }
            do {
                let loaded = try SagaDefinition.parseFile(Array(data))
                sagaTypes.removeAll { existing in loaded.contains { $0.type == existing.type } }
                sagaTypes += loaded
            } catch {
                throw ValidationError("bad saga definitions in \(path): \(error.field.map { "\($0): " } ?? "")\(error.message)")
            }
        }
        let limit = try setting(maxInFlight, env: "ZSAGA_MAX_IN_FLIGHT", must: "a positive integer", where: { $0 > 0 }) ?? 10_000
        let jitterSeed = try setting(seed, env: "ZSAGA_SEED", must: "an unsigned integer") ?? 1
        var config = OrchestratorConfiguration(
            routerEndpoint: host.routerEndpoint, pubEndpoint: host.pubEndpoint, dataDirectory: host.dataDirectory,
            services: services, definitions: sagaTypes, maxInFlight: limit, snapshotEvery: host.snapshotEvery, seed: jitterSeed,
            faults: host.faults, keys: host.keys)
        config.allowFaults = host.allowFaults
        config.clientRate = host.clientRate
        config.retention = host.retention
        config.verifySnapshots = host.verifySnapshots
        let configuration = config
        let logger = try options.bootstrap(label: "zsaga.saga")
        let reactor = ReactorService(name: "orchestrator-reactor") { mailbox in
            try OrchestratorHost(config: configuration, logger: logger).run(mailbox: mailbox)
        }
        do {
            try await runUntilSignalled([reactor], logger: logger)
        } catch {
            logger.critical("saga-orchestrator stopped", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
