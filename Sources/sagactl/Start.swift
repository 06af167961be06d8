import ArgumentParser
import SagaClient
import SagaHarness
import SagaWire

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start an order saga and print its id.")

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "The user placing the order.") var user: String
    @Option(help: ArgumentHelp("Lines as ITEM:QUANTITY:PRICE,… e.g. item1:2:10.00,item2:1:25.00", valueName: "lines"))
    var items: ItemsArgument
    @Option(help: "The saga id (default: generated).") var sagaId: String?
    @Option(help: "The saga type.") var type: String = "order"
    @Flag(help: "Wait until the saga settles and print its end state.") var wait = false
    @Flag(help: "Print the answer as JSON.") var json = false

    func run() throws {
        try reporting {
            let client = try cluster.client()
            let lines = items.lines
            let id = client.nextID("start")
            var body: [String: JSON] = ["type": .string(type), "context": ["user_id": .string(user), "items": lines],
                                        "wait": .bool(wait)]
            if let sagaId { body["saga_id"] = .string(sagaId) }
            let reply = try client.command(try cluster.endpoints.orchestrator, "saga.StartSaga", id: id, .object(body),
                                           timeoutMs: wait ? max(cluster.timeout, 120_000) : cluster.timeout)
            if json {
                print(Formatting.line(reply.body))
            } else if wait {
                let failure = reply.body["failure"]?.stringValue.map { " (\($0))" } ?? ""
                print("\(reply.body["saga_id"]?.stringValue ?? "?") \(reply.body["status"]?.stringValue ?? "?")\(failure)")
            } else {
                print(reply.body["saga_id"]?.stringValue ?? "?")
            }
        }
    }
}
