import ArgumentParser
import Domain
import Foundation
import LogCheck
import SagaClient
import SagaHarness

/// A starting-stock specification as an argument: `item1:100,item2:50`.
struct StockArgument: ExpressibleByArgument {
    let stock: [String: Int64]

    init?(argument: String) {
        guard let stock = try? StockSpec.parse(argument) else { return nil }
        self.stock = stock
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove every invariant from the processes' logs; exit 1 on any violation.",
        discussion: """
            Reads every process's log event by event (through sys.Replay and sys.Commands, or with --logs straight \
            from the log files of a stopped cluster), folds each aggregate and saga strictly, and checks money, stock, \
            one effect per saga step, recorded totals and every claim of the orchestrator against the owners' records \
            (docs/FAULTS.md, "The check").
            """)

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "Check the logs under this data directory (<dir>/<process>/<process>.sqlite) instead of a running cluster.")
    var logs: String?
    @Option(help: "The starting stock the inventory service was configured with, ITEM:QTY,… Default: what it reports (with --logs: env ZSAGA_STOCK, or not compared).")
    var stock: StockArgument?
    @Flag(help: "Print the report as one JSON object on the last line.") var json = false

    func run() throws {
        try reporting {
            let report: CheckReport
            if let logs {
                let configured = try stock?.stock ?? ProcessInfo.processInfo.environment["ZSAGA_STOCK"].map { text in
                    do { return try StockSpec.parse(text) } catch { throw fail("ZSAGA_STOCK: \(error)") }
                }
                report = try LogChecker(source: try FileLogs(directory: logs, processes: LogChecker.processes), stock: configured).run()
            } else {
                report = try Checker(client: try cluster.client(), endpoints: try cluster.endpoints, stock: stock?.stock,
                                     participants: try cluster.loadTopology().services.map(\.name)).run()
            }
            Formatting.check(report).forEach { print($0) }
            if json { print(Formatting.line(report.json)) }
            if !report.isClean { throw ExitCode.failure }
        }
    }
}
