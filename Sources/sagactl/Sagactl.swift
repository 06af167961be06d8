import ArgumentParser
import Foundation
import LogCheck
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit

/// `sagactl`: the command-line client of a ZSaga cluster.
@main
struct Sagactl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sagactl",
        abstract: "Start, inspect and check sagas on a ZSaga cluster.",
        discussion: """
            The processes come from the topology (--topology, ZSAGA_TOPOLOGY; docs/TOPOLOGY.md; the built-in \
            one is the local cluster of ./scripts/cluster.sh); their endpoints can be overridden in the \
            environment (ZSAGA_ORCHESTRATOR, ZSAGA_<NAME>_ROUTER, ZSAGA_<NAME>_PUB).
            """,
        subcommands: [TopologyCommand.self, Start.self, Status.self, List.self, Run.self, Events.self, QueryCommand.self, Check.self,
                      Ping.self, Retry.self, Fault.self, Chaos.self, Fuzz.self, MonitorCommand.self, Alerts.self, Keygen.self])
}

/// Options every subcommand shares.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The orchestrator's ROUTER endpoint. Env: ZSAGA_ORCHESTRATOR. Default: tcp://127.0.0.1:7001.")
    var orchestrator: String?

    @Option(help: "Milliseconds to wait for an answer.")
    var timeout: Int = 5000

    @Option(help: "A CURVE keys directory with this client's key pair (client.key) and the processes' public keys. Env: ZSAGA_KEYS; or ZSAGA_CLUSTER_SECRET derives them.")
    var keys: String?

    @Option(help: "A topology file: the cluster's processes and endpoints (docs/TOPOLOGY.md). Env: ZSAGA_TOPOLOGY. Default: the built-in one.")
    var topology: String?

    /// The cluster's processes.
    func loadTopology() throws -> Topology {
        do { return try Topology.load(file: topology) } catch { throw fail("\(error)") }
    }

    /// Where they listen.
    var endpoints: ClusterEndpoints {
        get throws { .fromEnvironment(orchestrator: orchestrator, topology: try loadTopology()) }
    }

    /// The router of the process `name`, or a clear error naming the processes there are.
    func router(_ name: String) throws -> String {
        let endpoints = try endpoints
        guard let router = endpoints.routers[name] else {
            throw fail("unknown process \(name); the topology has \(endpoints.names.joined(separator: ", "))")
        }
        return router
    }

    /// The client's CURVE keys, for a secured cluster.
    func curveKeys() throws -> CurveKeys? {
        do {
            return try CurveKeys.fromEnvironment(name: CurveKeys.clientName, explicitDirectory: keys, topology: try loadTopology())
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail("\(error)")
        }
    }

    func client() throws -> ClusterClient {
        try ClusterClient(timeoutMs: timeout, keys: try curveKeys(), serverNames: try endpoints.serverNames)
    }
}

/// Prints to standard error and fails, for errors a user can act on.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("sagactl: \(message)\n".utf8))
    return ExitCode.failure
}

/// Runs `body`, turning client errors into a clear message and exit status 1.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ClientError {
        throw fail(error.description)
    } catch let error as LogCheckError {
        throw fail(error.description)
    }
}
