import Foundation
import SagaClient
import SagaHarness
import ServiceKit

/// The five ZSaga processes started as real executables on free loopback ports, with their
/// data and logs in a temp directory. Tests kill, stop and restart them by PID.
public final class LocalCluster: @unchecked Sendable {
    // @unchecked: a cluster is driven by one test at a time, from one thread.

    /// The processes, in start order.
    public static let names = ManagedCluster.names

    public let directory: TempDirectory
    /// The supervisor that owns the processes.
    public let managed: ManagedCluster

    /// Prepares a cluster (nothing runs until ``start()``); `secure` writes CURVE keys for every
    /// process and the client and runs it secured.
    ///
    /// - Parameters:
    ///   - topology: the processes (free ports replace theirs).
    ///   - secret: runs it secured with keys derived from this cluster secret instead.
    ///   - binDirectory: where the executables are (default: this build's).
    public init(extraArguments: [String: [String]] = [:], environment: [String: String] = [:], monitor: Bool = false,
                secure: Bool = false, secret: String? = nil, topology: Topology = .builtIn, binDirectory: URL? = nil) throws {
        directory = try TempDirectory("cluster")
        managed = try ManagedCluster(directory: directory.url, binDirectory: binDirectory ?? Binaries.directory,
                                     extraArguments: extraArguments, environment: environment, topology: topology)
        if let secret { managed.secure(secret: secret) }
        managed.withMonitor = monitor
        if secure { try managed.secure() }
    }

    /// The client's CURVE keys of a secured cluster.
    public func clientKeys() throws -> CurveKeys? { try managed.clientKeys() }

    /// A client of this cluster (with the client keys when secured).
    public func client(timeoutMs: Int = 5000) throws -> ClusterClient {
        try ClusterClient(timeoutMs: timeoutMs, keys: try clientKeys(), serverNames: endpoints.serverNames)
    }

    public func router(_ name: String) -> String { managed.router(name) }
    public func pub(_ name: String) -> String { managed.pub(name) }
    public var endpoints: ClusterEndpoints { managed.endpoints }
    public var clientEnvironment: [String: String] { managed.clientEnvironment }

    /// Starts one process.
    public func start(_ name: String) throws { try managed.start(name) }

    /// Starts every process and waits until each answers a ping.
    public func start(timeout: Double = 30) throws {
        try managed.startAll()
        try managed.waitUntilUp(timeout: timeout)
    }

    /// Waits until every process answers a ping.
    public func waitUntilUp(timeout: Double = 30) throws { try managed.waitUntilUp(timeout: timeout) }

    /// Gives the orchestrator more saga types (`--definitions`), from a definitions file's text;
    /// before ``start(timeout:)``.
    public func addDefinitions(_ text: String) throws {
        let path = directory.file("definitions.json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        managed.extraArguments["saga", default: []] += ["--definitions", path]
    }

    /// Sends a signal to one process.
    public func signal(_ name: String, _ number: Int32) { managed.signal(name, number) }

    /// Kills one process with SIGKILL and waits for it.
    public func kill(_ name: String) { managed.kill(name) }

    /// Whether a process is running.
    public func isRunning(_ name: String) -> Bool { managed.isRunning(name) }

    /// Stops every process with SIGTERM and returns how each ended, as reaped.
    @discardableResult
    public func stop(timeout: Double = 20) -> [String: ProcessExit] { managed.stopAll(timeout: timeout) }

    /// A process's log so far.
    public func log(_ name: String) -> String {
        (try? String(contentsOfFile: managed.logPath(name), encoding: .utf8)) ?? ""
    }

    /// Runs `sagactl` against this cluster and returns its exit status and output lines.
    public func sagactl(_ arguments: [String], timeout: Double = 300) throws -> (status: Int32, stdout: [String], stderr: [String]) {
        let child = try ChildProcess(try Binaries.path("sagactl"), arguments, environment: clientEnvironment)
        guard let status = child.wait(seconds: timeout) else {
            child.killAndWait()
            throw TestSupportError("sagactl \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        return (status, child.stdoutLines, child.stderrLines)
    }

    /// Stops everything (SIGKILL for what is left) and deletes the directory.
    public func destroy() {
        managed.killAll()
        directory.remove()
    }
}
