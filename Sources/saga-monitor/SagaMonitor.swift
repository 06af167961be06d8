import ArgumentParser
import Foundation
import Monitor
import SagaWire
import ServiceKit

/// `saga-monitor`: the cluster's query side, analytics and pattern detection.
@main
struct SagaMonitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saga-monitor",
        abstract: "Follows every ZSaga process's events: joined order views, timelines, windowed analytics and alerts.",
        discussion: """
            Sources: ZSAGA_SAGA_ROUTER/ZSAGA_SAGA_PUB (or --orchestrator-router/--orchestrator-pub) and \
            ZSAGA_<SERVICE>_ROUTER/ZSAGA_<SERVICE>_PUB for order, inventory, payment and shipping; \
            loopback defaults otherwise.
            """)

    @OptionGroup var options: ServiceOptions

    @Option(name: .customLong("orchestrator-router"), help: "The orchestrator's ROUTER. Env: ZSAGA_SAGA_ROUTER.")
    var orchestratorRouter: String?
    @Option(name: .customLong("orchestrator-pub"), help: "The orchestrator's PUB. Env: ZSAGA_SAGA_PUB.")
    var orchestratorPub: String?

    @Option(help: "A JSON file of more patterns (docs/MONITOR.md). Env: ZSAGA_PATTERNS.")
    var patterns: String?

    func run() async throws {
        let host = try options.configuration(service: "monitor")
        var sources: [StreamSubscriber.Source] = [StreamSubscriber.Source(
            name: "saga",
            router: orchestratorRouter ?? environment(DefaultEndpoints.routerVariable("saga")) ?? DefaultEndpoints.router("saga"),
            pub: orchestratorPub ?? environment(DefaultEndpoints.pubVariable("saga")) ?? DefaultEndpoints.pub("saga"))]
        for service in DefaultEndpoints.services {
            sources.append(StreamSubscriber.Source(
                name: service,
                router: environment(DefaultEndpoints.routerVariable(service)) ?? DefaultEndpoints.router(service),
                pub: environment(DefaultEndpoints.pubVariable(service)) ?? DefaultEndpoints.pub(service)))
        }
        var loaded = PatternDefinition.builtIns
        if let path = patterns ?? environment("ZSAGA_PATTERNS") {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the patterns file \(path)") }
            do {
                let extra = try PatternDefinition.parseFile(Array(data))
                loaded.removeAll { builtIn in extra.contains { $0.name == builtIn.name } }
                loaded += extra
            } catch {
                throw ValidationError("bad patterns in \(path): \(error.field.map { "\($0): " } ?? "")\(error.message)")
            }
        }
        let config = MonitorConfiguration(routerEndpoint: host.routerEndpoint, pubEndpoint: host.pubEndpoint,
                                          dataDirectory: host.dataDirectory, sources: sources, patterns: loaded)
        let logger = ProcessLogging.bootstrap(label: "zsaga.monitor", level: try options.level())
        let reactor = ReactorService(name: "monitor-reactor") { mailbox in
            try MonitorHost(config: config, logger: logger).run(mailbox: mailbox)
        }
        do {
            try await runUntilSignalled([reactor], logger: logger)
        } catch {
            logger.critical("saga-monitor stopped: \(error)")
            throw ExitCode.failure
        }
    }
}
