import Foundation
import ServiceKit

/// Why the supervisor could not do what it was asked.
public struct SupervisorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The five ZSaga processes of one cluster, started, signalled and restarted by PID.
///
/// Used by `sagactl chaos` (which kills, pauses and restarts them) and by the system tests.
/// Every process gets free loopback ports, its data directory and a log file under `directory`.
public final class ManagedCluster {
    /// The processes, in start order.
    public static let names = ["order", "inventory", "payment", "shipping", "saga"]

    /// Whether the cluster includes the monitor (started last, after the processes it follows).
    public var withMonitor = false
    /// Whether the processes accept runtime fault specs (chaos runs and tests need it).
    public var allowFaults = true
    /// When set, the cluster runs secured with CURVE keys written here (`keys/` under the directory).
    public private(set) var keysDirectory: String?

    /// Writes CURVE keys for every process and the client, and runs the cluster secured.
    public func secure() throws {
        let directory = self.directory.appendingPathComponent("keys").path
        try CurveKeys.generateCluster(in: directory, secret: nil)
        keysDirectory = directory
    }

    /// The processes this cluster runs.
    public var processNames: [String] { Self.names + (withMonitor ? ["monitor"] : []) }

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
    private var processes: [String: Process] = [:]

    /// How co-located processes talk to each other.
    public enum Transport: String, Sendable {
        case tcp, ipc
    }

    /// The `ipc://` endpoints' directory (short: socket paths are limited to about 100 bytes).
    public var socketDirectory: String {
        let preferred = directory.appendingPathComponent("sock").path
        return preferred.utf8.count < 80 ? preferred : "/tmp/zsaga-sock-\(ports["saga"]!.router)"
    }

    func ipc(_ name: String, _ kind: String) -> String { "ipc://\(socketDirectory)/\(name)-\(kind)" }
    private var logHandles: [String: FileHandle] = [:]
    /// Processes stopped on purpose (SIGTERM); the rest are restarted by ``restartDead()``.
    private var stopped: Set<String> = []

    public init(directory: URL, binDirectory: URL, extraArguments: [String: [String]] = [:],
                environment: [String: String] = [:]) throws {
        self.directory = directory
        self.binDirectory = binDirectory
        self.extraArguments = extraArguments
        self.environment = environment
        let all = Self.names + ["monitor"]
        let free = try FreePorts.take(all.count * 2 + 1)
        var ports: [String: (router: Int, pub: Int)] = [:]
        for (index, name) in all.enumerated() { ports[name] = (free[2 * index], free[2 * index + 1]) }
        self.ports = ports
        httpPort = free[all.count * 2]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
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
        let all = Self.names + ["monitor"]
        return ClusterEndpoints(routers: Dictionary(uniqueKeysWithValues: all.map { ($0, router($0)) }),
                                pubs: Dictionary(uniqueKeysWithValues: all.map { ($0, pub($0)) }))
    }

    /// The environment that points clients (and the orchestrator) at this cluster, with its
    /// keys directory when secured.
    public var clientEnvironment: [String: String] {
        var env: [String: String] = ["ZSAGA_ORCHESTRATOR": router("saga")]
        if let keysDirectory { env["ZSAGA_KEYS"] = keysDirectory }
        for name in Self.names + ["monitor"] {
            env["ZSAGA_\(name.uppercased())_ROUTER"] = router(name)
            env["ZSAGA_\(name.uppercased())_PUB"] = pub(name)
        }
        return env
    }

    /// The environment of the processes themselves: like a client's, but with the ipc
    /// endpoints when the transport is ipc.
    var processEnvironment: [String: String] {
        var env = clientEnvironment
        if allowFaults { env["ZSAGA_ALLOW_FAULTS"] = "1" }
        if transport == .ipc {
            for name in Self.names {
                env["ZSAGA_\(name.uppercased())_ROUTER"] = ipc(name, "router")
                env["ZSAGA_\(name.uppercased())_PUB"] = ipc(name, "pub")
            }
        }
        return env
    }

    /// The executable of a process.
    public static func executable(_ name: String) -> String {
        switch name {
        case "saga": return "saga-orchestrator"
        case "monitor": return "saga-monitor"
        default: return "\(name)-service"
        }
    }

    /// The log file of a process.
    public func logPath(_ name: String) -> String { directory.appendingPathComponent("\(name).log").path }

    /// Starts one process (its log file is appended to); throws if it is already running.
    public func start(_ name: String) throws {
        // A second process under the same name would orphan the first: nothing could stop it.
        if let running = processes[name], Self.alive(running) {
            throw SupervisorError("\(Self.executable(name)) is already running (pid \(running.processIdentifier)); stop or kill it first")
        }
        let path = binDirectory.appendingPathComponent(Self.executable(name)).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SupervisorError("executable \(path) not found; build first (swift build) or set ZSAGA_BIN_DIR")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        let bindRouter = transport == .ipc ? "\(router(name)),\(ipc(name, "router"))" : router(name)
        let bindPub = transport == .ipc ? "\(pub(name)),\(ipc(name, "pub"))" : pub(name)
        process.arguments = ["--router", bindRouter, "--pub", bindPub,
                             "--data-dir", directory.appendingPathComponent("data/\(name)").path] + (extraArguments[name] ?? [])
        if name == "monitor", !(extraArguments[name] ?? []).contains("--http") {
            // Each cluster's dashboard on a port of its own, so clusters side by side never collide.
            process.arguments! += ["--http", "127.0.0.1:\(httpPort)"]
        }
        process.environment = ProcessInfo.processInfo.environment.merging(processEnvironment) { $1 }.merging(environment) { $1 }
        if logHandles[name] == nil {
            _ = FileManager.default.createFile(atPath: logPath(name), contents: nil)
            logHandles[name] = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath(name)))
        }
        let handle = logHandles[name]!
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes[name] = process
        stopped.remove(name)
    }

    /// Starts every process.
    public func startAll() throws {
        for name in processNames { try start(name) }
    }

    /// Waits until every process answers a ping.
    public func waitUntilUp(timeout: Double = 30) throws {
        let keys = try keysDirectory.map { try CurveKeys.load(directory: $0, name: "client") }
        let client = try ClusterClient(timeoutMs: 300, keys: keys, serverNames: endpoints.serverNames)
        let deadline = Date().addingTimeInterval(timeout)
        var waiting = Set(processNames)
        while !waiting.isEmpty {
            for name in waiting.sorted() {
                if (try? client.query(router(name), "sys.Ping")) != nil { waiting.remove(name) }
                if let process = processes[name], !Self.alive(process) {
                    throw SupervisorError("\(Self.executable(name)) exited during start; see \(logPath(name))")
                }
            }
            if Date() > deadline { throw SupervisorError("no answer from \(waiting.sorted()) within \(timeout) s") }
        }
    }

    /// The PID of a running process.
    public func pid(_ name: String) -> Int32? {
        guard let process = processes[name], Self.alive(process) else { return nil }
        return process.processIdentifier
    }

    /// Whether a process is running.
    public func isRunning(_ name: String) -> Bool { processes[name].map(Self.alive) ?? false }

    /// Sends a signal to a process.
    public func signal(_ name: String, _ number: Int32) {
        if let pid = pid(name) { Foundation.kill(pid, number) }
    }

    /// SIGKILL, and wait until it is gone.
    public func kill(_ name: String) {
        guard let process = processes[name], Self.alive(process) else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        Self.awaitExit(process)
    }

    /// Waits until `process` is no longer ``alive(_:)``, at most `timeout` seconds. Not
    /// `waitUntilExit()`: it never returned once, for a child that had crashed.
    private static func awaitExit(_ process: Process, timeout: Double = 10) {
        let deadline = Date().addingTimeInterval(timeout)
        while alive(process) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Whether a child still runs: Foundation says so and the process table agrees. (Foundation
    /// once missed the exit of a child that crashed while Swift's backtracer held it, and went
    /// on reporting it running long after it was gone.)
    private static func alive(_ process: Process) -> Bool {
        guard process.isRunning else { return false }
        return !(Foundation.kill(process.processIdentifier, 0) != 0 && errno == ESRCH)
    }

    /// Freezes a process (SIGSTOP).
    public func pause(_ name: String) { signal(name, SIGSTOP) }

    /// Thaws a process (SIGCONT).
    public func resume(_ name: String) { signal(name, SIGCONT) }

    /// Restarts every process that died without being stopped on purpose (an injected crash,
    /// say); returns their names.
    @discardableResult
    public func restartDead() throws -> [String] {
        var restarted: [String] = []
        for name in processNames where !stopped.contains(name) {
            if let process = processes[name], Self.alive(process) { continue }
            try start(name)
            restarted.append(name)
        }
        return restarted
    }

    /// Stops every process with SIGTERM (SIGCONT first, in case one is frozen) and returns each
    /// exit status; a process that does not exit within `timeout` is killed and reported as `nil`.
    @discardableResult
    public func stopAll(timeout: Double = 20) -> [String: Int32?] {
        var statuses: [String: Int32?] = [:]
        for (name, process) in processes where Self.alive(process) {
            stopped.insert(name)
            Foundation.kill(process.processIdentifier, SIGCONT)
            Foundation.kill(process.processIdentifier, SIGTERM)
        }
        for (name, process) in processes {
            stopped.insert(name)
            let deadline = Date().addingTimeInterval(timeout)
            while Self.alive(process) && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if Self.alive(process) {
                Foundation.kill(process.processIdentifier, SIGKILL)
                Self.awaitExit(process)
                statuses[name] = .some(nil)
            } else if process.isRunning {
                statuses[name] = .some(nil) // gone, but Foundation has not recorded how
            } else {
                statuses[name] = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
            }
        }
        return statuses
    }

    /// Kills whatever still runs (SIGKILL) and closes the log files.
    public func killAll() {
        for name in processes.keys { kill(name) }
        for handle in logHandles.values { try? handle.close() }
        logHandles.removeAll()
    }

    deinit { killAll() }
}
