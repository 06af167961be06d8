import ArgumentParser
import Foundation
import SagaClient
import SagaHarness
import SagaWire

struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Ask the saga monitor: stats, order, user, search, timeline, analytics, streams.",
        discussion: "The monitor's ROUTER comes from ZSAGA_MONITOR_ROUTER (default tcp://127.0.0.1:7501).")

    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "stats, order ID, user ID, search TEXT, timeline SAGA_ID, analytics [1m|5m|1h], streams, stock or patterns.")
    var what: String
    @Argument(help: "The id, text or window.") var argument: String?
    @Option(help: "Most entries to list.") var limit: Int = 100
    @Flag(help: "Print the answer as JSON.") var json = false

    func run() throws {
        try reporting {
            let client = try cluster.client()
            let endpoint = try cluster.endpoints.monitor
            func need(_ name: String) throws -> String {
                guard let argument else { throw fail("monitor \(what) needs \(name)") }
                return argument
            }
            let answer: JSON
            let limitJSON = JSON.int(Int64(min(max(limit, 1), 1000)))
            switch what {
            case "stats": answer = try client.query(endpoint, "monitor.Stats")
            case "order": answer = try client.query(endpoint, "monitor.GetOrder", ["order_id": .string(try need("an order id"))])
            case "user": answer = try client.query(endpoint, "monitor.OrdersByUser", ["user_id": .string(try need("a user id")), "limit": limitJSON])
            case "search": answer = try client.query(endpoint, "monitor.Search", ["text": .string(try need("a text")), "limit": limitJSON])
            case "timeline": answer = try client.query(endpoint, "monitor.Timeline", ["saga_id": .string(try need("a saga id"))])
            case "analytics": answer = try client.query(endpoint, "monitor.Analytics", ["window": .string(argument ?? "1m")])
            case "streams": answer = try client.query(endpoint, "sys.Ping")["streams"] ?? [:]
            case "stock": answer = try client.query(endpoint, "monitor.Stock")
            case "patterns": answer = try client.query(endpoint, "monitor.Patterns")
            default: throw fail("unknown monitor query \(what)")
            }
            if json || !["stats", "timeline"].contains(what) {
                print(Formatting.line(answer))
            } else if what == "stats" {
                for (key, value) in answer.objectValue ?? [:] { print("\(key)\t\(value)") }
            } else {
                for entry in answer["timeline"]?.arrayValue ?? [] {
                    print(String(format: "  %+7lldms  %-10@ %@", entry["offset_ms"]?.intValue ?? 0,
                                 entry["source"]?.stringValue ?? "?", entry["event"]?.stringValue ?? "?"))
                }
            }
        }
    }
}

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the alerts the monitor raised (FraudSuspected, LowStock, CompensationSpike, …).")

    @OptionGroup var cluster: ClusterOptions
    @Option(help: "Only alerts of this name.") var name: String?
    @Option(help: "Most alerts to list (the newest).") var limit: Int = 100
    @Flag(help: "Print the answer as JSON.") var json = false

    func run() throws {
        try reporting {
            var body: [String: JSON] = ["limit": .int(Int64(min(max(limit, 1), 1000)))]
            if let name { body["name"] = .string(name) }
            let answer = try cluster.client().query(try cluster.endpoints.monitor, "monitor.Alerts", .object(body))
            if json { print(Formatting.line(answer)); return }
            for alert in answer["alerts"]?.arrayValue ?? [] {
                print("\(alert["name"]?.stringValue ?? "?")\t\(alert["group"]?.stringValue ?? "-")\t\(alert["time_ms"]?.intValue ?? 0)\t\(alert["data"]?.description ?? "")")
            }
        }
    }
}
