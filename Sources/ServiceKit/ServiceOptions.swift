import ArgumentParser
import Foundation
import ServiceModel
import Logging

/// A setting from its flag, else its environment twin (parsed as the flag is, by the type's
/// `ExpressibleByArgument` conformance), else `nil`: the one flag → environment → default rule.
///
/// - Parameters:
///   - must: what a valid value is, for the error (e.g. "a positive integer").
///   - test: what a valid value satisfies, beyond parsing.
public func setting<Value: ExpressibleByArgument>(_ flag: Value?, env name: String, must: String? = nil,
                                                 where test: (Value) -> Bool = { _ in true }) throws -> Value? {
    let value: Value
    if let flag {
        value = flag
    } else if let text = environment(name) {
        guard let parsed = Value(argument: text) else { throw ValidationError("\(name) must be \(must ?? "a valid \(Value.self)"), got \(text)") }
        value = parsed
    } else {
        return nil
    }
    guard test(value) else {
        throw ValidationError("\(flag == nil ? name : "the value of its flag (env \(name))") must be \(must ?? "valid"), got \(value)")
    }
    return value
}

/// The options every ZSaga process takes. Each flag has an environment-variable twin; the flag
/// wins over the variable, and the variable over the loopback default.
public struct ServiceOptions: ParsableArguments {
    @Option(name: .customLong("router"), help: "Endpoint the ROUTER binds (commands, queries). Env: ZSAGA_ROUTER.")
    public var router: String?

    @Option(name: .customLong("pub"), help: "Endpoint the PUB binds (events, heartbeats). Env: ZSAGA_PUB.")
    public var pub: String?

    @Option(name: .customLong("data-dir"), help: "Directory of the event log. Env: ZSAGA_DATA_DIR. Default: ./data/<service>.")
    public var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Env: ZSAGA_LOG_LEVEL. Default: info.")
    public var logLevel: LogLevelArgument?

    @Option(name: .customLong("snapshot-every"), help: "Write a snapshot after this many events (0: never). Env: ZSAGA_SNAPSHOT_EVERY. Default: 10000.")
    public var snapshotEvery: Int?

    @Option(name: .customLong("log-format"), help: "logfmt or json: one line per event. Env: ZSAGA_LOG_FORMAT. Default: logfmt.")
    public var logFormat: LogFormat?

    @Option(name: .customLong("keys"), help: "A CURVE keys directory (docs/SECURITY.md): every socket encrypted, clients on the allow-list only. Env: ZSAGA_KEYS.")
    public var keys: String?

    @Option(name: .customLong("fault"), help: "Faults to inject, e.g. drop-reply=0.1,crash=after-commit:0.01 (see docs/FAULTS.md). Env: ZSAGA_FAULT.")
    public var fault: String?

    @Flag(name: .customLong("allow-faults"), help: "Accept runtime fault specs (sys.SetFault, sagactl fault). Env: ZSAGA_ALLOW_FAULTS=1.")
    public var allowFaults = false

    @Flag(name: .customLong("verify-snapshots"), help: "At start, fold the whole log and refuse to start unless the snapshots and the read side equal the fold (slow on a long log; for tests and fault-injection runs). Env: ZSAGA_VERIFY_SNAPSHOTS=1.")
    public var verifySnapshots = false

    /// Whether `--verify-snapshots` (or its environment twin) is on.
    public var snapshotsVerified: Bool { verifySnapshots || environment("ZSAGA_VERIFY_SNAPSHOTS") == "1" }

    @Option(name: .customLong("client-rate"), help: "Most requests per second from one client (0: no limit). Env: ZSAGA_CLIENT_RATE. Default: 20000.")
    public var clientRate: Double?

    @Option(name: .customLong("retention"), help: "How long settled sagas are kept: 7d, 12h, 30m, 90s or off (docs/FAULTS.md). Env: ZSAGA_RETENTION. Default: 7d.")
    public var retention: RetentionWindow?

    @Option(name: .customLong("archive-dir"), help: "Archive retired events here (gzip JSON lines) before deleting them. Env: ZSAGA_ARCHIVE_DIR.")
    public var archiveDirectory: String?

    @Option(name: .customLong("topology"), help: "A topology file: the cluster's processes, their endpoints and executables (docs/TOPOLOGY.md). Env: ZSAGA_TOPOLOGY. Default: the built-in orchestrator, four services and monitor.")
    public var topologyFile: String?

    public init() {}

    /// Whether runtime fault injection is allowed.
    public var faultsAllowed: Bool { allowFaults || environment("ZSAGA_ALLOW_FAULTS") == "1" }

    /// The per-client request rate limit.
    public func clientRateLimit() throws -> Double {
        try setting(clientRate, env: "ZSAGA_CLIENT_RATE", must: "a number ≥ 0", where: { $0 >= 0 && $0.isFinite }) ?? 20_000
    }

    /// The retention settings from the flags, the environment, or the default (7 days, no archive).
    public func retentionSettings() throws -> RetentionSettings {
        let window = try setting(retention, env: "ZSAGA_RETENTION", must: "a duration such as 7d, 12h, 30m, 90s, or off")
            ?? .standard
        return RetentionSettings(window: window, archiveDirectory: try setting(archiveDirectory, env: "ZSAGA_ARCHIVE_DIR"))
    }

    /// The fault spec from the flag or the environment.
    public func faultSpec() throws -> FaultSpec {
        guard let text = try setting(fault, env: "ZSAGA_FAULT") else { return FaultSpec() }
        do { return try FaultSpec.parse(text) } catch { throw ValidationError("--fault: \(error.message)") }
    }

    /// The cluster's topology: the file `--topology` (or `ZSAGA_TOPOLOGY`) names, else the built-in one.
    public func topology() throws -> Topology {
        do { return try Topology.load(file: topologyFile) } catch { throw ValidationError("\(error)") }
    }

    /// The host configuration for `service`, with flags, then environment, then defaults (its
    /// endpoints in the topology).
    public func configuration(service: String) throws -> HostConfiguration {
        let snapshotEvery = try setting(snapshotEvery, env: "ZSAGA_SNAPSHOT_EVERY", must: "a non-negative integer", where: { $0 >= 0 }) ?? 10_000
        let topology = try topology()
        let own = topology.process(service)
        func endpoint(_ flag: String?, _ variable: String, _ kind: String, _ fallback: String?) throws -> String {
            guard let value = try setting(flag, env: variable) ?? fallback else {
                throw ValidationError("\(service) is not in the topology (\(topology.names.joined(separator: ", "))): give its \(kind) "
                                      + "endpoint with --\(kind) or \(variable), or add it to a topology file (--topology, docs/TOPOLOGY.md)")
            }
            return value
        }
        var configuration = HostConfiguration(
            routerEndpoint: try endpoint(router, "ZSAGA_ROUTER", "router", own?.router),
            pubEndpoint: try endpoint(pub, "ZSAGA_PUB", "pub", own?.pub),
            dataDirectory: try setting(dataDirectory, env: "ZSAGA_DATA_DIR") ?? "data/\(service)",
            snapshotEvery: snapshotEvery, faults: try faultSpec(), keys: try curveKeys(service: service, topology: topology),
            allowFaults: faultsAllowed, clientRate: try clientRateLimit(), retention: try retentionSettings())
        configuration.verifySnapshots = snapshotsVerified
        configuration.topology = topology
        return configuration
    }

    /// The process's CURVE keys: from the directory `--keys` (or `ZSAGA_KEYS`) names, waiting up
    /// to a minute for its key file; else derived from `ZSAGA_CLUSTER_SECRET` (or
    /// `ZSAGA_CLUSTER_SECRET_FILE`) for every process of `topology`; else `nil`, and the
    /// process runs unsecured.
    public func curveKeys(service: String, topology: Topology) throws -> CurveKeys? {
        try CurveKeys.fromEnvironment(name: service, explicitDirectory: keys, wait: 60, topology: topology)
    }

    /// The log format from the flag, the environment, or logfmt.
    public func format() throws -> LogFormat {
        try setting(logFormat, env: "ZSAGA_LOG_FORMAT", must: "logfmt or json") ?? .logfmt
    }

    /// Sets up logging and metrics for the process and returns its logger.
    public func bootstrap(label: String) throws -> Logger {
        Observability.bootstrap(label: label, level: try level(), format: try format())
    }

    /// The log level from the flag, the environment, or `info`.
    public func level() throws -> Logger.Level {
        try setting(logLevel, env: "ZSAGA_LOG_LEVEL", must: "one of trace, debug, info, notice, warning, error, critical")?
            .level ?? .info
    }
}

/// Runs a domain service process: parse, rebuild from the log, serve until SIGTERM/SIGINT.
public enum ServiceMain {
    /// Starts the host for `makeCore()` with `options` and blocks until a signal stops it.
    public static func run<Core: ServiceCore>(_ makeCore: @escaping @Sendable () -> Core, options: ServiceOptions) async throws {
        let service = Core.serviceName
        let config = try options.configuration(service: service)
        let logger = try options.bootstrap(label: "zsaga.\(service)")
        let tracing = try Observability.bootstrapTracing(service: service)
        let reactor = ReactorService(name: "\(service)-reactor") { mailbox in
            let host = try ServiceHost(core: makeCore(), config: config, logger: logger)
            try host.run(mailbox: mailbox)
        }
        do {
            try await runUntilSignalled(tracing + [reactor], logger: logger)
        } catch {
            logger.critical("\(service)-service stopped", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}

/// A log level as an argument: `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
public struct LogLevelArgument: ExpressibleByArgument, Sendable {
    public let level: Logger.Level

    public init?(argument: String) {
        guard let level = Logger.Level(rawValue: argument) else { return nil }
        self.level = level
    }

    public static var allValueStrings: [String] { Logger.Level.allCases.map(\.rawValue) }
}

extension LogFormat: ExpressibleByArgument {}
