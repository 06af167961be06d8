import Foundation
import Hummingbird
import Logging
import SagaClient
import SagaWire
import ServiceKit
import ServiceLifecycle

/// The monitor's web dashboard and its JSON API, served by Hummingbird.
///
/// Every view has a JSON endpoint (docs/DASHBOARD.md); the page updates live from
/// `/api/stream` (server-sent events). `/metrics` serves the whole cluster's metrics in the
/// Prometheus text format.
public enum DashboardServer {
    /// Builds the application: `host:port` to listen on, the monitor's ROUTER, and every
    /// process's ROUTER by name (for health and metrics).
    public static func application(host: String, port: Int, monitor: String, processes: [String: String],
                                   keys: CurveKeys? = nil, logger: Logger) -> some ApplicationProtocol {
        let gateway = ClusterGateway(keys: keys, serverNames: Dictionary(processes.map { ($0.value, $0.key) }, uniquingKeysWith: { a, _ in a }))
        let router = Router()

        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("/api/summary") { _, _ in
            try await json(try await summary(gateway, monitor: monitor, processes: processes))
        }
        router.get("/api/health") { _, _ in
            try await json(try await health(gateway, monitor: monitor, processes: processes))
        }
        router.get("/api/sagas") { request, _ in
            var body: JSONObject = ["limit": .int(Int64(request.uri.queryParameters.get("limit", as: Int.self).map { min(max($0, 1), 1000) } ?? 100))]
            if let status = request.uri.queryParameters.get("status"), !status.isEmpty { body["status"] = .string(status) }
            if let text = request.uri.queryParameters.get("q"), !text.isEmpty { body["text"] = .string(text) }
            return try await json(try await gateway.query(monitor, "monitor.ListSagas", .object(body)))
        }
        router.get("/api/sagas/{id}") { _, context in
            let id = try context.parameters.require("id")
            return try await json(try await gateway.query(monitor, "monitor.Timeline", ["saga_id": .string(id)]))
        }
        router.get("/api/analytics") { request, _ in
            let window = request.uri.queryParameters.get("window") ?? "1m"
            return try await json(try await gateway.query(monitor, "monitor.Analytics", ["window": .string(window)]))
        }
        router.get("/api/series") { request, _ in
            let seconds = request.uri.queryParameters.get("seconds", as: Int.self).map { min(max($0, 10), 3600) } ?? 300
            return try await json(try await gateway.query(monitor, "monitor.Series", ["seconds": .int(Int64(seconds))]))
        }
        router.get("/api/alerts") { request, _ in
            let limit = request.uri.queryParameters.get("limit", as: Int.self).map { min(max($0, 1), 1000) } ?? 50
            return try await json(try await gateway.query(monitor, "monitor.Alerts", ["limit": .int(Int64(limit))]))
        }
        router.get("/api/stream") { _, _ in
            // Server-sent events: the summary once a second until the browser goes away.
            Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                     body: .init { writer in
                         // Ends when the browser goes away or the monitor shuts down gracefully.
                         while !Task.isCancelled && !Task.isShuttingDownGracefully {
                             let data = (try? await summary(gateway, monitor: monitor, processes: processes))
                                 .map { String(decoding: JSONWriter.encode($0), as: UTF8.self) } ?? "{\"error\":\"monitor unavailable\"}"
                             try await writer.write(ByteBuffer(string: "event: summary\ndata: \(data)\n\n"))
                             try await Task.sleep(for: .seconds(1))
                         }
                         try await writer.finish(nil)
                     })
        }
        router.get("/metrics") { _, _ in
            let texts = try await gateway.queries(processes.keys.sorted().map { ClusterClient.QueryRequest(processes[$0]!, "sys.Metrics") },
                                                  timeoutMs: 1000).compactMap { try? $0.get()["text"]?.stringValue }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: PrometheusText.merge(texts))))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "zsaga-monitor"),
                           logger: logger)
    }

    static func json(_ value: JSON) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.encode(value))))
    }

    /// What the page shows at the top: counts, health, latency, alerts. Its queries go out at
    /// once, so it takes as long as the slowest process, not the sum of them.
    static func summary(_ gateway: ClusterGateway, monitor: String, processes: [String: String]) async throws -> JSON {
        let windows = ["1m", "5m", "1h"]
        let names = processes.keys.sorted()
        var requests = [ClusterClient.QueryRequest(monitor, "monitor.Stats"), ClusterClient.QueryRequest(monitor, "sys.Ping")]
        requests += windows.map { ClusterClient.QueryRequest(monitor, "monitor.Analytics", ["window": .string($0)]) }
        requests += names.map { ClusterClient.QueryRequest(processes[$0]!, "sys.Ping") }
        let results = try await gateway.queries(requests, timeoutMs: 2000)
        let stats = try results[0].get()
        var sagas = JSONObject()
        for (offset, window) in windows.enumerated() { sagas[window] = try results[2 + offset].get()["sagas"] ?? [:] }
        let pings = Array(results.suffix(names.count))
        return ["stats": stats, "health": health(names: names, pings: pings, monitorPing: results[1]),
                "sagas": .object(sagas), "time_ms": .int(wallClockMs())]
    }

    /// Each process: up (answers a ping), its read side's projection lag, and as the monitor
    /// sees its stream: last heartbeat, head, position, lag.
    static func health(_ gateway: ClusterGateway, monitor: String, processes: [String: String]) async throws -> JSON {
        let names = processes.keys.sorted()
        let results = try await gateway.queries([ClusterClient.QueryRequest(monitor, "sys.Ping")]
                                                    + names.map { ClusterClient.QueryRequest(processes[$0]!, "sys.Ping") }, timeoutMs: 500)
        return health(names: names, pings: Array(results.dropFirst()), monitorPing: results[0])
    }

    private static func health(names: [String], pings: [Result<JSON, ClientError>], monitorPing: Result<JSON, ClientError>) -> JSON {
        let streams = (try? monitorPing.get())?["streams"] ?? [:]
        var rows: [JSON] = []
        for (name, result) in zip(names, pings) {
            let ping = try? result.get()
            var row: JSONObject = ["process": .string(name), "up": .bool(ping != nil), "head": ping?["head"] ?? .null,
                                   "pid": ping?["pid"] ?? .null, "uptime_ms": ping?["uptime_ms"] ?? .null,
                                   "projection_lag_ms": ping?["projection"]?["lag_ms"] ?? .null]
            if let stream = streams[name] {
                row["position"] = stream["position"] ?? .null
                row["lag"] = stream["lag"] ?? .null
                row["heartbeat_age_ms"] = stream["heartbeat_age_ms"] ?? .null
            }
            rows.append(.object(row))
        }
        return .array(rows)
    }
}

/// Merges the Prometheus text of several processes into one exposition: samples of the same
/// metric family under one `# HELP`/`# TYPE` header.
public enum PrometheusText {
    public static func merge(_ texts: [String]) -> String {
        var order: [String] = []
        var headers: [String: [String]] = [:]
        var samples: [String: [String]] = [:]
        for text in texts {
            var family = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
                if line.hasPrefix("# ") {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    guard parts.count >= 3 else { continue }
                    family = String(parts[2])
                    if headers[family] == nil { order.append(family); headers[family] = [] }
                    if !(headers[family]!.contains { $0.hasPrefix("# \(parts[1]) ") }) { headers[family]!.append(line) }
                } else {
                    if headers[family] == nil { order.append(family); headers[family] = [] }
                    samples[family, default: []].append(line)
                }
            }
        }
        var out = ""
        for family in order {
            for line in headers[family] ?? [] { out += line + "\n" }
            for line in samples[family] ?? [] { out += line + "\n" }
        }
        return out
    }
}
