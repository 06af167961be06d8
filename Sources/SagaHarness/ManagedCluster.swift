import Foundation
import SagaClient
import SagaWire
import ServiceKit

/// Why the supervisor could not do what it was asked.
public struct SupervisorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The processes of one cluster (those of a ``Topology``), started, signalled and restarted by PID.
///
/// Used by `sagactl chaos` (which kills, pauses and restarts them) and by the system tests.
/// Every process gets free loopback ports, its data directory and a log file under `directory`;
/// the topology with those ports is written to `topology.json` there, and every process and
/// client of the cluster reads it (`ZSAGA_TOPOLOGY`).
public final class ManagedCluster {
    /// The built-in topology's processes in start order: the services, then the orchestrator.
    public static let names = startOrder(Topology.builtIn)

    private static func startOrder(_ topology: Topology) -> [String] { topology.services.map(\.name) + [topology.orchestrator.name] }

    /// This cluster's processes, on its ports.
    public let topology: Topology
    /// Its processes but the monitor, in start order: the services, then the orchestrator.
    public let names: [String]
    /// The topology file every process reads.
    public var topologyPath: String { directory.appendingPathComponent("topology.json").path }

    /// Whether the cluster includes the monitor (started last, after the processes it follows).
    public var withMonitor = false
    /// Whether the processes accept runtime fault specs (chaos runs and tests need it).
    public var allowFaults = true
    /// Whether every start first verifies the snapshots and read side against the whole log
    /// (`--verify-snapshots`): on for tests and chaos, whose logs are short.
    public var verifySnapshots = true
    /// When set, the cluster runs secured with CURVE keys written here (`keys/` under the directory).
    public private(set) var keysDirectory: String?

    /// When set, the cluster runs secured with the keys every process (and the client) derives
    /// from this secret: no key files (`ZSAGA_CLUSTER_SECRET`, docs/SECURITY.md).
    public private(set) var clusterSecret: String?

    /// Runs the cluster secured with keys derived from `secret` (at least 16 bytes).
    public func secure(secret: String) { clusterSecret = secret }

    /// The client's CURVE keys when the cluster is secured.
    public func clientKeys() throws -> CurveKeys? {
        if let keysDirectory { return try CurveKeys.load(directory: keysDirectory, name: CurveKeys.clientName) }
        if let clusterSecret { return try CurveKeys.derived(secret: clusterSecret, name: CurveKeys.clientName, topology: topology) }
        return nil
    }

    /// Writes CURVE keys for every process and the client, and runs the cluster secured.
    public func secure() throws {
        let directory = self.directory.appendingPathComponent("keys").path
        try CurveKeys.generateCluster(in: directory, secret: nil, topology: topology)
        keysDirectory = directory
    }

    /// The processes this cluster runs.
    public var processNames: [String] { names + (withMonitor ? topology.monitor.map { [$0.name] } ?? [] : []) }

    /// Where data and logs go.
    public let directory: URL
    /// Where the executables are.
    public let binDirectory: URL
    /// ROUTER and PUB port of each process.
    public let ports: [String: (router: Int, pub: Int)]
    /// The monitor's dashboard port (loopback), unless its extra arguments set `--http`.
    public let httpPort: Int
    /// Extra arguments per process.
    public var extraArguments: [String: [String]]
    /// Extra environment for every process.
    public var environment: [String: String]
    /// How the orchestrator reaches the services: over TCP, or over `ipc://` socket files (the
    /// processes then bind both, and clients keep using TCP).
    public var transport: Transport = .tcp
    private var processes: [String: SupervisedProcess] = [:]
    /// Where each process's log stood when it was last started.
    private var logOffsets: [String: UInt64] = [:]
    /// When a running process was first seen to have announced an injected crash.
    private var crashSeen: [String: Date] = [:]
    /// The crash point each process announced since it started.
    private var announced: [String: String] = [:]

    /// How co-located processes talk to each other.
    public enum Transport: String, Sendable {
        case tcp, ipc
    }

    /// The `ipc://` endpoints' directory (short: socket paths are limited to about 100 bytes).
    public var socketDirectory: String {
        let preferred = directory.appendingPathComponent("sock").path
        return preferred.utf8.count < 80 ? preferred : "/tmp/zsaga-sock-\(ports[topology.orchestrator.name]!.router)"
    }

    func ipc(_ name: String, _ kind: String) -> String { "ipc://\(socketDirectory)/\(name)-\(kind)" }
    /// Processes stopped on purpose (SIGTERM); the rest are restarted by ``restartDead()``.
    private var stopped: Set<String> = []

    /// - Parameter topology: the processes to run (their ports are replaced by free ones).
    public init(directory: URL, binDirectory: URL, extraArguments: [String: [String]] = [:],
                environment: [String: String] = [:], topology: Topology = .builtIn) throws {
        self.directory = directory
        self.binDirectory = binDirectory
        self.extraArguments = extraArguments
        self.environment = environment
        let free = try FreePorts.take(topology.processes.count * 2 + 1)
        var ports: [String: (router: Int, pub: Int)] = [:]
        var processes: [ProcessSpec] = []
        for (index, process) in topology.processes.enumerated() {
            ports[process.name] = (free[2 * index], free[2 * index + 1])
            processes.append(ProcessSpec(name: process.name, role: process.role, executable: process.executable, ports: ports[process.name]!))
        }
        self.ports = ports
        self.topology = try Topology(processes: processes)
        names = Self.startOrder(topology)
        httpPort = free[topology.processes.count * 2]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: directory.appendingPathComponent("topology.json").path,
                                             contents: Data(JSONWriter.encode(self.topology.json))) else {
            throw SupervisorError("cannot write the topology file in \(directory.path)")
        }
    }

    /// The directory holding this build's executables (next to the running one), or `$ZSAGA_BIN_DIR`.
    public static func defaultBinDirectory() -> URL {
        if let override = ProcessInfo.processInfo.environment["ZSAGA_BIN_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent()
    }

    public func router(_ name: String) -> String { "tcp://127.0.0.1:\(ports[name]!.router)" }
    public func pub(_ name: String) -> String { "tcp://127.0.0.1:\(ports[name]!.pub)" }

    /// Client endpoints of this cluster.
    public var endpoints: ClusterEndpoints {
        ClusterEndpoints(routers: Dictionary(uniqueKeysWithValues: topology.names.map { ($0, router($0)) }),
                         pubs: Dictionary(uniqueKeysWithValues: topology.names.map { ($0, pub($0)) }), names: topology.names)
    }

    /// The environment that points clients (and the orchestrator) at this cluster: its
    /// topology file, and its keys directory when secured.
    public var clientEnvironment: [String: String] {
        var env: [String: String] = [Topology.variable: topologyPath, "ZSAGA_ORCHESTRATOR": router(topology.orchestrator.name)]
        if let keysDirectory { env["ZSAGA_KEYS"] = keysDirectory }
        if let clusterSecret { env["ZSAGA_CLUSTER_SECRET"] = clusterSecret }
        return env
    }

    /// The environment of the processes themselves: like a client's, but with the ipc
    /// endpoints when the transport is ipc.
    var processEnvironment: [String: String] {
        var env = clientEnvironment
        if allowFaults { env["ZSAGA_ALLOW_FAULTS"] = "1" }
        if verifySnapshots { env["ZSAGA_VERIFY_SNAPSHOTS"] = "1" }
        if transport == .ipc {
            for process in topology.processes where process.role != .monitor {
                env[process.routerVariable] = ipc(process.name, "router")
                env[process.pubVariable] = ipc(process.name, "pub")
            }
        }
        return env
    }

    /// The executable of a process.
    public func executable(_ name: String) -> String { topology.process(name)?.executable ?? name }

    /// The log file of a process.
    public func logPath(_ name: String) -> String { directory.appendingPathComponent("\(name).log").path }

    /// Starts one process (its log file is appended to); throws if it is already running.
    public func start(_ name: String) throws {
        // A second process under the same name would orphan the first: nothing could stop it.
        if let running = processes[name], running.isRunning {
            throw SupervisorError("\(executable(name)) is already running (pid \(running.pid)); stop or kill it first")
        }
        // An executable is looked up in the bin directory unless the topology gives its path.
        let path = executable(name).hasPrefix("/") ? executable(name) : binDirectory.appendingPathComponent(executable(name)).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SupervisorError("executable \(path) not found; build first (swift build) or set ZSAGA_BIN_DIR")
        }
        let bindRouter = transport == .ipc ? "\(router(name)),\(ipc(name, "router"))" : router(name)
        let bindPub = transport == .ipc ? "\(pub(name)),\(ipc(name, "pub"))" : pub(name)
        var arguments = ["--router", bindRouter, "--pub", bindPub,
                         "--data-dir", directory.appendingPathComponent("data/\(name)").path] + (extraArguments[name] ?? [])
        if topology.process(name)?.role == .monitor, !(extraArguments[name] ?? []).contains("--http") {
            // Each cluster's dashboard on a port of its own, so clusters side by side never collide.
            arguments += ["--http", "127.0.0.1:\(httpPort)"]
        }
        let environment = ProcessInfo.processInfo.environment.merging(processEnvironment) { $1 }.merging(self.environment) { $1 }
        let log = logPath(name)
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        logOffsets[name] = Self.size(of: log)
        do {
            processes[name] = try SupervisedProcess(executable: path, arguments: arguments, environment: environment, logPath: log)
        } catch let error as SpawnError {
            throw SupervisorError(error.description)
        }
        stopped.remove(name)
        crashSeen[name] = nil
        announced[name] = nil
    }

    /// Starts every process.
    public func startAll() throws {
        for name in processNames { try start(name) }
    }

    /// Waits until every process answers a ping.
    public func waitUntilUp(timeout: Double = 30) throws {
        let client = try ClusterClient(timeoutMs: 300, keys: try clientKeys(), serverNames: endpoints.serverNames)
        let deadline = Date().addingTimeInterval(timeout)
        var waiting = Set(processNames)
        while !waiting.isEmpty {
            for name in waiting.sorted() {
                if (try? client.query(router(name), "sys.Ping")) != nil { waiting.remove(name) }
                if let process = processes[name], !process.isRunning {
                    let tail = ((try? String(contentsOfFile: logPath(name), encoding: .utf8)) ?? "").split(separator: "\n").suffix(3)
                    throw SupervisorError("\(executable(name)) \(process.exit!) during start; see \(logPath(name)), which ends: "
                                          + tail.joined(separator: " | "))
                }
            }
            if Date() > deadline { throw SupervisorError("no answer from \(waiting.sorted()) within \(timeout) s") }
        }
    }

    /// The PID of a running process.
    public func pid(_ name: String) -> Int32? {
        guard let process = processes[name], process.isRunning else { return nil }
        return process.pid
    }

    /// Whether a process is running.
    public func isRunning(_ name: String) -> Bool { processes[name]?.isRunning ?? false }

    /// How a process that is not running ended (`nil` while it runs or before it started).
    public func exit(_ name: String) -> ProcessExit? { processes[name]?.exit }

    /// Sends a signal to a process.
    public func signal(_ name: String, _ number: Int32) {
        processes[name]?.signal(number)
    }

    /// SIGKILL, and wait until it is reaped.
    public func kill(_ name: String) {
        guard let process = processes[name], process.isRunning else { return }
        process.kill()
    }

    /// Freezes a process (SIGSTOP).
    public func pause(_ name: String) { signal(name, SIGSTOP) }

    /// Thaws a process (SIGCONT).
    public func resume(_ name: String) { signal(name, SIGCONT) }

    /// Injected crashes seen so far, by crash point (from the line a process writes as it aborts).
    public private(set) var injectedCrashes: [String: Int] = [:]

    /// How long a process that announced an injected crash may take to exit (Swift's backtracer
    /// runs first) before it is killed.
    public var crashDeadline = 30.0

    /// A process that died without being stopped on purpose, and how.
    public struct Death: Sendable {
        public var name: String
        public var exit: ProcessExit
        /// The injected crash point it announced, if it aborted at one.
        public var crashPoint: String?
    }

    /// Restarts every process that died without being stopped on purpose (an injected crash,
    /// say), and says how each died. A process that announced an injected crash but is still
    /// running (in Swift's backtracer) is waited for, up to ``crashDeadline``, then killed: it
    /// is restarted only once it is gone.
    @discardableResult
    public func restartDead() throws -> [Death] {
        var deaths: [Death] = []
        for name in processNames where !stopped.contains(name) {
            guard let process = processes[name] else { continue }
            let point = crashPoint(name)
            var killedLate = false
            if process.isRunning {
                guard point != nil else { continue }
                let since = crashSeen[name] ?? Date()
                crashSeen[name] = since
                if Date().timeIntervalSince(since) < crashDeadline { continue }
                process.kill()
                killedLate = true
                if process.isRunning { continue }
            }
            let exit = killedLate ? .killedAfterTimeout(after: crashDeadline) : process.exit!
            if let point { injectedCrashes[point, default: 0] += 1 }
            deaths.append(Death(name: name, exit: exit, crashPoint: point))
            try start(name)
        }
        return deaths
    }

    /// The crash point a running or dead process announced in its log since it started (the
    /// log is read on from where the last look ended).
    private func crashPoint(_ name: String) -> String? {
        if let point = announced[name] { return point }
        guard let offset = logOffsets[name], let handle = FileHandle(forReadingAtPath: logPath(name)) else { return nil }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        guard let data = try? handle.readToEnd(), !data.isEmpty else { return nil }
        // Keep a line's worth before the end: the announcement may be half written.
        let text = String(decoding: data, as: UTF8.self)
        if let range = text.range(of: "injected crash at "), let end = text[range.upperBound...].firstIndex(where: \.isNewline) {
            announced[name] = String(text[range.upperBound..<end])
            return announced[name]
        }
        logOffsets[name] = offset + UInt64(max(0, data.count - 200))
        return nil
    }

    private static func size(of path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// Stops every process with SIGTERM (SIGCONT first, in case one is frozen) and returns how
    /// each ended, as reaped; a process that does not exit within `timeout` is killed and
    /// reported as ``ProcessExit/killedAfterTimeout(after:)``.
    @discardableResult
    public func stopAll(timeout: Double = 20) -> [String: ProcessExit] {
        for (name, process) in processes where process.isRunning {
            stopped.insert(name)
            process.signal(SIGCONT)
            process.signal(SIGTERM)
        }
        var exits: [String: ProcessExit] = [:]
        let deadline = Date().addingTimeInterval(timeout)
        for (name, process) in processes {
            stopped.insert(name)
            if let exit = process.wait(timeout: max(0, deadline.timeIntervalSinceNow)) {
                exits[name] = exit
            } else {
                process.kill()
                exits[name] = .killedAfterTimeout(after: timeout)
            }
        }
        return exits
    }

    /// Kills whatever still runs (SIGKILL) and waits for it.
    public func killAll() {
        for name in processes.keys { kill(name) }
    }

    deinit { killAll() }
}
