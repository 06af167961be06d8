import Foundation

/// The five ZSaga processes started as real executables on free loopback ports, with their
/// data and logs in a temp directory. Tests kill, stop and restart them by PID.
public final class LocalCluster: @unchecked Sendable {
    // @unchecked: a cluster is driven by one test at a time; `processes` is only touched from it.

    /// The processes, in start order.
    public static let names = ["order", "inventory", "payment", "shipping", "saga"]

    public let directory: TempDirectory
    /// ROUTER and PUB ports per process.
    public let ports: [String: (router: Int, pub: Int)]
    /// Extra arguments per process.
    public var extraArguments: [String: [String]]
    /// Extra environment for every process.
    public var environment: [String: String]
    private var processes: [String: ChildProcess] = [:]

    /// Prepares a cluster (nothing runs until ``start()``).
    public init(extraArguments: [String: [String]] = [:], environment: [String: String] = [:]) throws {
        directory = try TempDirectory("cluster")
        let free = try FreePorts.take(Self.names.count * 2)
        var ports: [String: (router: Int, pub: Int)] = [:]
        for (index, name) in Self.names.enumerated() { ports[name] = (free[2 * index], free[2 * index + 1]) }
        self.ports = ports
        self.extraArguments = extraArguments
        self.environment = environment
    }

    public func router(_ name: String) -> String { "tcp://127.0.0.1:\(ports[name]!.router)" }
    public func pub(_ name: String) -> String { "tcp://127.0.0.1:\(ports[name]!.pub)" }

    /// The environment that points clients (`sagactl`, the orchestrator) at this cluster.
    public var clientEnvironment: [String: String] {
        var env: [String: String] = ["ZSAGA_ORCHESTRATOR": router("saga")]
        for name in Self.names {
            env["ZSAGA_\(name.uppercased())_ROUTER"] = router(name)
            env["ZSAGA_\(name.uppercased())_PUB"] = pub(name)
        }
        return env
    }

    private func executable(_ name: String) -> String { name == "saga" ? "saga-orchestrator" : "\(name)-service" }

    /// Starts one process.
    public func start(_ name: String) throws {
        let arguments = ["--router", router(name), "--pub", pub(name), "--data-dir", directory.file("data/\(name)")]
            + (extraArguments[name] ?? [])
        processes[name] = try ChildProcess(try Binaries.path(executable(name)), arguments,
                                           environment: clientEnvironment.merging(environment) { $1 },
                                           stderrPath: directory.file("\(name).log"))
    }

    /// Starts every process and waits until each answers a ping (through `sagactl ping`).
    public func start(timeout: Double = 30) throws {
        for name in Self.names { try start(name) }
        try waitUntilUp(timeout: timeout)
    }

    /// Waits until every process answers `sagactl ping`.
    public func waitUntilUp(timeout: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try sagactl(["ping", "--timeout", "500"], timeout: 10).status == 0 { return }
            for (name, process) in processes where !process.isRunning {
                throw TestSupportError("\(name) exited during start: \(log(name).suffix(2000))")
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw TestSupportError("cluster did not come up within \(timeout) s")
    }

    /// The process running under `name`.
    public func process(_ name: String) -> ChildProcess? { processes[name] }

    /// Sends a signal to one process.
    public func signal(_ name: String, _ number: Int32) { processes[name]?.signal(number) }

    /// Kills one process with SIGKILL and waits for it.
    public func kill(_ name: String) { processes[name]?.killAndWait() }

    /// Stops every process with SIGTERM and returns each exit status (`nil`: did not exit in time).
    @discardableResult
    public func stop(timeout: Double = 20) -> [String: Int32?] {
        for process in processes.values where process.isRunning { process.signal(SIGTERM) }
        var statuses: [String: Int32?] = [:]
        for (name, process) in processes {
            let status = process.wait(seconds: timeout)
            statuses[name] = process.wasSignalled ? -(status ?? 0) : status
            if status == nil { process.killAndWait() }
        }
        processes.removeAll()
        return statuses
    }

    /// A process's log so far.
    public func log(_ name: String) -> String {
        (try? String(contentsOfFile: directory.file("\(name).log"), encoding: .utf8)) ?? ""
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
        for process in processes.values { process.killAndWait() }
        processes.removeAll()
        directory.remove()
    }

    deinit { destroy() }
}
