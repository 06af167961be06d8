import ArgumentParser
import Foundation
import SagaClient
import SagaHarness
import SagaWire

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a process's events from its log, one JSON line each.")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "A process of the topology: saga, order, inventory, payment, shipping, monitor, or one it adds.") var process: String
    @Option(help: "First sequence number.") var from: Int64 = 1
    @Option(help: "Most events to print (without --follow).") var limit: Int?
    @Flag(help: "Keep printing new events as they are committed.") var follow = false

    func run() throws {
        try reporting {
            let router = try cluster.router(process)
            guard let pub = try cluster.endpoints.pubs[process] else { throw fail("\(process) has no PUB endpoint") }
            let follower = try EventFollower(router: router, pub: pub, from: from, client: try cluster.client(), source: process,
                                             keys: try cluster.curveKeys())
            var printed = 0
            try follower.run(follow: follow) { event in
                print(Formatting.line(WireCodec.envelope(.event(event))))
                fflush(nil)
                printed += 1
                return follow || limit.map { printed < $0 } ?? true
            }
        }
    }
}

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run any read-model query, e.g. `sagactl query order GetOrder order_id=o1`.")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "A process of the topology: saga, order, inventory, payment, shipping, monitor, or one it adds.") var process: String
    @Argument(help: "The query name, e.g. GetOrder (or a full type such as sys.Ping).") var name: String
    @Argument(help: "Arguments as KEY=VALUE; integers and true/false are typed.") var arguments: [String] = []

    func run() throws {
        try reporting {
            let endpoint = try cluster.router(process)
            var body: [String: JSON] = [:]
            for argument in arguments {
                let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw fail("argument \(argument) is not KEY=VALUE") }
                if let number = Int64(parts[1]) { body[parts[0]] = .int(number) }
                else if parts[1] == "true" || parts[1] == "false" { body[parts[0]] = .bool(parts[1] == "true") }
                else { body[parts[0]] = .string(parts[1]) }
            }
            let type = name.contains(".") ? name : "\(process).\(name)"
            print(Formatting.line(try cluster.client().query(endpoint, type, .object(body))))
        }
    }
}
