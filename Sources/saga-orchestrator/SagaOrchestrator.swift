import ArgumentParser
import BuiltInSagas
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
            The services come from the topology (--topology, ZSAGA_TOPOLOGY; docs/TOPOLOGY.md): the built-in \
            order, inventory, payment and shipping, and any others it names. Each endpoint can be overridden \
            with --service NAME=ROUTER,PUB, ZSAGA_SERVICES or ZSAGA_<NAME>_ROUTER and ZSAGA_<NAME>_PUB.
            """)

    @OptionGroup var options: ServiceOptions
    @OptionGroup var peers: PeerOptions

    @Option(help: "A JSON file of more saga types (see docs/SAGAS.md). Env: ZSAGA_DEFINITIONS.")
    var definitions: String?

    @Option(help: "Most sagas in flight; past it StartSaga is refused with `overloaded`. Env: ZSAGA_MAX_IN_FLIGHT. Default: 10000.")
    var maxInFlight: Int?

    @Option(help: "Seed of the backoff jitter. Env: ZSAGA_SEED. Default: 1.")
    var seed: UInt64?

    func run() async throws {
        let host = try options.configuration(service: "saga")
        let topology = try peers.resolve(host.topology)
        let services = Dictionary(uniqueKeysWithValues: topology.services.map { ($0.name, (router: $0.router, pub: $0.pub)) })
        var sagaTypes: [SagaDefinition]
        do { sagaTypes = try BuiltInSagas.load() } catch { throw ValidationError(error.description) }
        var deprecations: [String] = []
        if let path = try setting(definitions, env: "ZSAGA_DEFINITIONS") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the definitions file \(path)")
            }
            var loaded: [SagaDefinition]
            do {
                loaded = try SagaDefinition.parseFile(Array(data))
            } catch {
                throw ValidationError("bad saga definitions in \(path): \(error.field.map { "\($0): " } ?? "")\(error.message)")
            }
            // Deprecated (docs/DEPRECATIONS.md): an order-context type that names no stock service
            // asks the one it asked before the setting existed.
            for (index, definition) in loaded.enumerated() where definition.context == .order && definition.stockService == nil {
                loaded[index] = definition.asking(stockService: "inventory")
                deprecations.append("saga type \(definition.type) in \(path) has the order context but no stock_service; "
                                    + "it asks inventory, as before: add \"stock_service\": \"inventory\" (deprecated, docs/DEPRECATIONS.md)")
            }
            sagaTypes.removeAll { existing in loaded.contains { $0.type == existing.type } }
            sagaTypes += loaded
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
        for deprecation in deprecations { logger.warning("deprecated", metadata: ["detail": "\(deprecation)"]) }
        let tracing = try Observability.bootstrapTracing(service: topology.orchestrator.name)
        let reactor = ReactorService(name: "orchestrator-reactor") { mailbox in
            try OrchestratorHost(config: configuration, logger: logger).run(mailbox: mailbox)
        }
        do {
            try await runUntilSignalled(tracing + [reactor], logger: logger)
        } catch {
            logger.critical("saga-orchestrator stopped", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}
