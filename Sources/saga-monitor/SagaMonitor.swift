import ArgumentParser
import Foundation
import Logging
import Monitor
import NIOCore
import SagaWire
import ServiceKit
import ServiceLifecycle

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

    @Option(help: "HOST:PORT of the web dashboard; `off` disables it. Env: ZSAGA_HTTP. Default: 127.0.0.1:8080.")
    var http: String?

    func run() async throws {
        let host = try options.configuration(service: "monitor")
        let orchestrator = DefaultEndpoints.resolve("saga", router: orchestratorRouter, pub: orchestratorPub)
        var sources = [StreamSubscriber.Source(name: "saga", router: orchestrator.router, pub: orchestrator.pub)]
        for service in DefaultEndpoints.services {
            let endpoints = DefaultEndpoints.resolve(service)
            sources.append(StreamSubscriber.Source(name: service, router: endpoints.router, pub: endpoints.pub))
        }
        var loaded = PatternDefinition.builtIns
        if let path = try setting(patterns, env: "ZSAGA_PATTERNS") {
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read the patterns file \(path)") }
            do {
                let extra = try PatternDefinition.parseFile(Array(data))
                loaded.removeAll { builtIn in extra.contains { $0.name == builtIn.name } }
                loaded += extra
            } catch {
                throw ValidationError("bad patterns in \(path): \(error.field.map { "\($0): " } ?? "")\(error.message)")
            }
        }
        var config = MonitorConfiguration(routerEndpoint: host.routerEndpoint, pubEndpoint: host.pubEndpoint,
                                          dataDirectory: host.dataDirectory, sources: sources, patterns: loaded, keys: host.keys)
        config.clientRate = host.clientRate
        config.retention = host.retention
        let configuration = config
        let logger = try options.bootstrap(label: "zsaga.monitor")
        let reactor = ReactorService(name: "monitor-reactor") { mailbox in
            try MonitorHost(config: configuration, logger: logger).run(mailbox: mailbox)
        }
        var services: [any Service] = [reactor]
        let address = try setting(http, env: "ZSAGA_HTTP") ?? "127.0.0.1:8080"
        if address != "off" {
            let parts = address.split(separator: ":")
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw ValidationError("--http must be HOST:PORT or off, got \(address)")
            }
            // Clients of the monitor's own ROUTER connect to a bound endpoint (the first, TCP or ipc).
            let monitorEndpoint = (config.routerEndpoint.split(separator: ",").first.map(String.init) ?? config.routerEndpoint)
                .replacingOccurrences(of: "tcp://*:", with: "tcp://127.0.0.1:").replacingOccurrences(of: "tcp://0.0.0.0:", with: "tcp://127.0.0.1:")
            var processes = Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0.router) })
            processes["monitor"] = monitorEndpoint
            services.append(DashboardServer.application(host: String(parts[0]), port: port, monitor: monitorEndpoint,
                                                        processes: processes, keys: host.keys, logger: logger))
            logger.info("dashboard", metadata: ["url": "http://\(address)/"])
        }
        do {
            try await runUntilSignalled(services, logger: logger)
        } catch {
            var metadata: Logger.Metadata = ["error": "\(error)"]
            if let io = error as? IOError, io.errnoCode == EADDRINUSE, address != "off" {
                metadata["hint"] = "is the dashboard's address \(address) taken? choose another with --http HOST:PORT, or --http off"
            }
            logger.critical("saga-monitor stopped", metadata: metadata)
            throw ExitCode.failure
        }
    }
}
