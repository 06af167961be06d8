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
            It follows the orchestrator and every service of the topology (--topology, ZSAGA_TOPOLOGY; \
            docs/TOPOLOGY.md). Each endpoint can be overridden with --service NAME=ROUTER,PUB, ZSAGA_SERVICES \
            or ZSAGA_<NAME>_ROUTER and ZSAGA_<NAME>_PUB.
            """)

    @OptionGroup var options: ServiceOptions
    @OptionGroup var peers: PeerOptions

    @Option(help: "A JSON file of more patterns (docs/MONITOR.md). Env: ZSAGA_PATTERNS.")
    var patterns: String?

    @Option(help: "HOST:PORT of the web dashboard; `off` disables it. Env: ZSAGA_HTTP. Default: 127.0.0.1:8080.")
    var http: String?

    func run() async throws {
        let host = try options.configuration(service: "monitor")
        let topology = try peers.resolve(host.topology)
        let sources = topology.sources.map { StreamSubscriber.Source(name: $0.name, router: $0.router, pub: $0.pub) }
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
