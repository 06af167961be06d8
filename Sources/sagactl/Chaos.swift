import ArgumentParser
import Foundation
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit

struct Chaos: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fresh cluster under kills, pauses and injected faults, then check every invariant.",
        discussion: "Exit status 1 when any invariant is violated. The cluster's data and logs stay in --data-dir.")

    @Option(help: "How many sagas to drive.") var sagas: Int = 1000
    @Option(help: "Seconds of chaos.") var duration: Double = 60
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 1
    @Option(help: "Directory for the run's cluster (emptied first if it holds an earlier run).") var dataDir: String
    @Option(help: "Sagas in flight at once.") var concurrency: Int = 32
    @Option(help: "Every process's retention window (e.g. 30s), so that retirement runs during the chaos.") var retention: String?
    @Option(help: """
        A topology file that adds participants (docs/TOPOLOGY.md): chaos starts, kills and pauses them too, on free ports. \
        An executable is looked up beside sagactl unless it is an absolute path. Env: ZSAGA_TOPOLOGY.
        """) var topology: String?
    @Option(help: "A saga definitions file for the orchestrator (docs/SAGAS.md), e.g. the order saga with a step at an added participant.")
    var definitions: String?
    @Flag(help: "Print the report as one JSON object on the last line.") var json = false

    func validate() throws {
        guard sagas > 0, duration > 0, concurrency > 0 else { throw ValidationError("--sagas, --duration and --concurrency must be positive") }
    }

    func run() throws {
        var options = ChaosOptions(directory: URL(fileURLWithPath: dataDir), binDirectory: ManagedCluster.defaultBinDirectory())
        options.sagas = sagas
        options.duration = duration
        options.seed = seed
        options.concurrency = concurrency
        options.retention = retention
        options.definitions = definitions.map { URL(fileURLWithPath: $0).path }
        do { options.topology = try Topology.load(file: topology) } catch { throw fail("\(error)") }
        let report: ChaosReport
        do {
            report = try ChaosRun(options: options).run()
        } catch let error as SupervisorError {
            throw fail(error.description)
        } catch let error as ClientError {
            throw fail(error.description)
        }
        report.lines.forEach { print($0) }
        if json { print(Formatting.line(report.json)) }
        if !report.violations.isEmpty { throw ExitCode.failure }
    }
}

struct Fault: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set or clear the faults a running process injects, e.g. `sagactl fault payment drop-reply=0.2`.",
        discussion: "SPEC is as for --fault (docs/FAULTS.md), or `clear`.")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "A process of the topology.") var process: String
    @Argument(help: "The fault spec, or clear.") var spec: String

    func run() throws {
        try reporting {
            let endpoint = try cluster.router(process)
            let reply = try cluster.client().command(endpoint, "sys.SetFault", ["spec": .string(spec == "clear" ? "" : spec)])
            print("\(process): faults \(reply.body["spec"]?.stringValue.map { $0.isEmpty ? "cleared" : $0 } ?? "?")")
        }
    }
}
