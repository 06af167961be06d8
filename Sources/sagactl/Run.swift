import ArgumentParser
import Foundation
import SagaClient
import SagaHarness
import SagaWire

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Drive N generated order sagas, C at a time, and print a summary.")

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "How many sagas.") var sagas: Int = 100
    @Option(help: "How many in flight at once.") var concurrency: Int = 16
    @Option(help: "Saga id prefix (default: a fresh one, so runs never collide).") var prefix: String?
    @Option(help: "Seed of the generated orders.") var seed: UInt64 = 1
    @Option(help: "Distinct users.") var users: Int = 50
    @Option(help: "Start at most this many sagas per second (default: as fast as they settle).") var rate: Double?
    @Flag(help: "Print the summary as one JSON object on the last line.") var json = false

    func validate() throws {
        guard sagas > 0 else { throw ValidationError("--sagas must be positive") }
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
    }

    func run() throws {
        try reporting {
            let endpoint = try cluster.endpoints.orchestrator
            _ = try cluster.client().query(endpoint, "sys.Ping")
            let runner = try LoadRunner(endpoint: endpoint, keys: try cluster.curveKeys())
            let runID = prefix ?? "run\(UInt32.random(in: 0...UInt32.max))"
            let bar = Progress(total: sagas, label: "sagas")
            let summary = try runner.run(count: sagas, concurrency: concurrency, prefix: runID,
                                         generator: OrderGenerator(users: users, seed: seed), ratePerSecond: rate,
                                         progressInterval: bar.updateInterval) { progress, inFlight in
                let done = progress.completed + progress.compensated + progress.stuck + progress.failed
                bar.update(done: done, rate: progress.sagasPerSecond,
                           details: "completed \(progress.completed)  compensated \(progress.compensated)  in flight \(inFlight)")
            }
            bar.finish()
            print("run \(runID)")
            Formatting.run(summary).forEach { print($0) }
            if json { print(Formatting.line(summary.json)) }
        }
    }
}
