import ArgumentParser
import SagaClient
import SagaHarness
import SagaWire

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a saga's state and its timeline of steps and compensations.")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The saga id.") var sagaID: String
    @Flag(help: "Print the answer as JSON.") var json = false

    func run() throws {
        try reporting {
            let answer = try cluster.client().query(try cluster.endpoints.orchestrator, "saga.GetSaga", ["saga_id": .string(sagaID)])
            if json { print(Formatting.line(answer)) } else { Formatting.saga(answer).forEach { print($0) } }
        }
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List sagas, optionally by state.")

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "running, compensating, completed, compensated or stuck.") var state: String?
    @Option(help: "Most sagas to list.") var limit: Int = 100
    @Flag(help: "Print the answer as JSON.") var json = false

    func run() throws {
        try reporting {
            var body: [String: JSON] = ["limit": .int(Int64(min(max(limit, 1), 1000)))]
            if let state { body["status"] = .string(state) }
            let answer = try cluster.client().query(try cluster.endpoints.orchestrator, "saga.ListSagas", .object(body))
            if json { print(Formatting.line(answer)); return }
            for saga in answer["sagas"]?.arrayValue ?? [] {
                let failure = saga["failure"]?.stringValue ?? saga["stuck_reason"]?.stringValue ?? ""
                print("\(saga["saga_id"]?.stringValue ?? "?")\t\(saga["status"]?.stringValue ?? "?")\t\(saga["type"]?.stringValue ?? "?")\t\(failure)")
            }
        }
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a stuck saga with a new round of commands.")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The saga id.") var sagaID: String

    func run() throws {
        try reporting {
            let reply = try cluster.client().command(try cluster.endpoints.orchestrator, "saga.RetrySaga", ["saga_id": .string(sagaID)])
            if reply.outcome == .ok {
                print("\(sagaID) resumed: \(reply.body["status"]?.stringValue ?? "?")")
            } else {
                throw fail("\(sagaID) not resumed: \(reply.message ?? reply.reason ?? "rejected")")
            }
        }
    }
}

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Ping every process of the cluster (or one) and print who answers.")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "One process of the topology (default: all but the monitor).") var process: String?

    func run() throws {
        try reporting {
            let client = try cluster.client()
            let endpoints = try cluster.endpoints
            var down: [String] = []
            for name in process.map({ [$0] }) ?? endpoints.names.filter({ $0 != "monitor" }) {
                let endpoint = try cluster.router(name)
                do {
                    let answer = try client.query(endpoint, "sys.Ping")
                    print("\(name)\tup\t\(endpoint)\tpid \(answer["pid"]?.intValue ?? 0)\thead \(answer["head"]?.intValue ?? 0)")
                } catch let error as ClientError {
                    print("\(name)\tDOWN\t\(endpoint)\t\(error)")
                    down.append(name)
                }
            }
            if !down.isEmpty { throw ExitCode.failure }
        }
    }
}
