import ArgumentParser
import Bench
import Foundation
import SagaClient
import SagaHarness
import SagaWire

/// `zsaga-bench`: the measurements behind `scripts/bench.sh`.
@main
struct ZSagaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zsaga-bench",
        abstract: "Measure the floor, the cluster at several concurrencies, scaling and overload.",
        subcommands: [All.self, FloorCommand.self])
}

struct FloorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "floor", abstract: "Measure only the floor.")
    @Option(help: "Directory on the disk the logs use.") var dataDir: String

    func run() throws {
        print(try Floor.measure(dataDirectory: dataDir).json)
    }
}

struct All: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run every measurement and print the table and the JSON.")

    @Option(help: "Directory for the runs' data (fresh clusters are made inside).") var dataDir: String
    @Option(help: "Sagas per concurrency level.") var sagas: Int = 20_000
    @Option(help: "Sagas of the unloaded (concurrency 1) run.") var unloadedSagas: Int = 2000
    @Option(parsing: .upToNextOption, help: "Concurrency levels.") var concurrency: [Int] = [1, 16, 64, 256]
    @Option(help: "Sagas of the large scaling run (0: skip scaling).") var large: Int = 100_000
    @Option(help: "A file of the peer's JSON result lines.") var peer: String?
    @Option(help: "Where to write the JSON results.") var out: String

    func run() throws {
        let directory = URL(fileURLWithPath: dataDir)
        var report = BenchReport()
        func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        note("floor…")
        report.floor = try Floor.measure(dataDirectory: directory.appendingPathComponent("floor").path)
        var bench = ClusterBench(binDirectory: ManagedCluster.defaultBinDirectory(), directory: directory)
        for level in concurrency {
            let count = level == 1 ? unloadedSagas : sagas
            note("cluster at concurrency \(level), \(count) sagas…")
            report.levels.append(try bench.run(sagas: count, concurrency: level, label: "c\(level)"))
        }
        bench.transport = .tcp
        let top = concurrency.max() ?? 256
        note("cluster over tcp at concurrency \(top), \(sagas) sagas…")
        report.tcpLevels.append(try bench.run(sagas: sagas, concurrency: top, label: "tcp-c\(top)"))
        bench.transport = .ipc
        if large > 0 {
            let best = report.levels.max { $0.summary.sagasPerSecond < $1.summary.sagasPerSecond }?.concurrency ?? 64
            note("scaling at concurrency \(best): 1000 sagas, then \(large)…")
            report.small = try bench.run(sagas: 1000, concurrency: best, warmup: 0, label: "scale-small")
            report.large = try bench.run(sagas: large, concurrency: best, warmup: 0, label: "scale-large")
        }
        note("overload: 1024 clients against --max-in-flight 128…")
        bench.extraArguments = ["saga": ["--max-in-flight", "128"]]
        report.overload = try bench.run(sagas: 10_000, concurrency: 1024, warmup: 0, label: "overload")
        if let peer, let text = try? String(contentsOfFile: peer, encoding: .utf8) {
            report.peer = text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        }
        report.table.forEach { print($0) }
        try Data(JSONWriter.encode(report.json)).write(to: URL(fileURLWithPath: out))
        print("results: \(out)")
    }
}
