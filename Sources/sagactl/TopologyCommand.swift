import ArgumentParser
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit

/// `sagactl topology`: the cluster's processes as every tool sees them, for scripts
/// (`cluster.sh`, `hosts.py`) that must not keep a copy of their own.
struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Print the cluster's processes: name, role, executable, ROUTER and PUB (env overrides applied).",
        discussion: "One tab-separated line a process, or with --json the topology as a topology file (docs/TOPOLOGY.md).")

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Print the topology as one JSON object.") var json = false

    func run() throws {
        let topology: Topology
        do { topology = try cluster.loadTopology().resolvingEnvironment() } catch let error as TopologyError { throw fail("\(error)") }
        if json {
            print(Formatting.line(topology.json))
            return
        }
        for process in topology.processes {
            print([process.name, process.role.rawValue, process.executable, process.router, process.pub].joined(separator: "\t"))
        }
    }
}
