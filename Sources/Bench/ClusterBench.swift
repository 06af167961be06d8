import Foundation
import SagaClient
import SagaHarness
import SagaWire

/// One closed-loop run against a fresh cluster.
public struct ClusterRun: Sendable {
    /// `ipc` or `tcp`: how the orchestrator reached the services.
    public var transport = "ipc"
    public var concurrency = 0
    public var sagas = 0
    public var summary = RunSummary()
    /// CPU seconds per saga, per process.
    public var cpuPerSaga: [String: Double] = [:]
    /// Peak RSS per process, MiB.
    public var peakRSS: [String: Double] = [:]
    /// Commits per second and mean units per commit, per process.
    public var commitsPerSecond: [String: Double] = [:]
    public var meanBatch: [String: Double] = [:]
    /// Starts refused with `overloaded` (and retried by the client).
    public var overloaded = 0

    public var json: JSON {
        ["transport": .string(transport), "concurrency": .int(Int64(concurrency)), "sagas": .int(Int64(sagas)),
         "completed": .int(Int64(summary.completed)), "compensated": .int(Int64(summary.compensated)),
         "failed": .int(Int64(summary.failed)), "stuck": .int(Int64(summary.stuck)),
         "sagas_per_s": .double(summary.sagasPerSecond), "wall_s": .double(summary.wallSeconds),
         "latency_ms": ["p50": .double(summary.percentile(50)), "p90": .double(summary.percentile(90)),
                        "p99": .double(summary.percentile(99)), "max": .double(summary.latencies.max() ?? 0)],
         "cpu_s_per_saga": .object(cpuPerSaga.mapValues { .double($0) }),
         "peak_rss_mib": .object(peakRSS.mapValues { .double($0) }),
         "commits_per_s": .object(commitsPerSecond.mapValues { .double($0) }),
         "mean_commit_batch": .object(meanBatch.mapValues { .double($0) }),
         "overloaded_refusals": .int(Int64(overloaded))]
    }
}

/// Starts fresh clusters with production settings (durable commits) and drives them.
public struct ClusterBench {
    public var binDirectory: URL
    public var directory: URL
    /// Extra process arguments (e.g. a small `--max-in-flight` for the overload run).
    public var extraArguments: [String: [String]] = [:]
    /// How the orchestrator reaches the services (the clients always use TCP).
    public var transport: ManagedCluster.Transport = .ipc

    public init(binDirectory: URL, directory: URL) {
        self.binDirectory = binDirectory
        self.directory = directory
    }

    /// Runs `sagas` sagas at `concurrency` after a warm-up, on a cluster of its own.
    public func run(sagas: Int, concurrency: Int, warmup: Int = 300, label: String) throws -> ClusterRun {
        let runDirectory = directory.appendingPathComponent(label)
        try? FileManager.default.removeItem(at: runDirectory)
        var arguments = extraArguments
        arguments["inventory", default: []] += ["--stock", "item1:1000000000,item2:1000000000,item3:1000000000"]
        let cluster = try ManagedCluster(directory: runDirectory, binDirectory: binDirectory, extraArguments: arguments)
        cluster.transport = transport
        defer {
            cluster.stopAll()
            cluster.killAll()
        }
        try cluster.startAll()
        try cluster.waitUntilUp()
        let runner = try LoadRunner(endpoint: cluster.router("saga"))
        if warmup > 0 {
            _ = try runner.run(count: warmup, concurrency: min(concurrency, 32), prefix: "warm", generator: OrderGenerator(seed: 99))
        }
        let client = try ClusterClient(timeoutMs: 10_000)
        func commits() throws -> [String: JSON] {
            var stats: [String: JSON] = [:]
            for name in ManagedCluster.names { stats[name] = try client.query(cluster.router(name), "sys.Ping")["commit"] ?? [:] }
            return stats
        }
        let pids = Dictionary(uniqueKeysWithValues: ManagedCluster.names.compactMap { name in cluster.pid(name).map { (name, $0) } })
        let cpuBefore = pids.mapValues(ProcessProbe.cpuSeconds)
        let commitsBefore = try commits()
        var result = ClusterRun()
        result.transport = transport.rawValue
        result.concurrency = concurrency
        result.sagas = sagas
        result.summary = try runner.run(count: sagas, concurrency: concurrency, prefix: "bench", generator: OrderGenerator(seed: 7))
        result.overloaded = result.summary.overloadedRetries
        let commitsAfter = try commits()
        for (name, pid) in pids {
            result.cpuPerSaga[name] = (ProcessProbe.cpuSeconds(pid) - cpuBefore[name]!) / Double(sagas)
            result.peakRSS[name] = ProcessProbe.peakRSSMiB(pid)
            let count = Double((commitsAfter[name]?["commits"]?.intValue ?? 0) - (commitsBefore[name]?["commits"]?.intValue ?? 0))
            let units = Double((commitsAfter[name]?["units"]?.intValue ?? 0) - (commitsBefore[name]?["units"]?.intValue ?? 0))
            result.commitsPerSecond[name] = count / max(result.summary.wallSeconds, 1e-9)
            result.meanBatch[name] = count > 0 ? units / count : 0
        }
        // The run must also be correct.
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        guard check.isClean else {
            throw BenchError("the \(label) run broke invariants: \(check.violations.prefix(3).map(\.detail))")
        }
        return result
    }
}
