import Foundation
import SagaClient
import SagaHarness
import SagaWire
import Testing
import TestSupport

/// Where a Chromium is, if one is installed (`./scripts/test.sh` installs Debian's).
enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Opens `url` in headless Chromium (driven over the DevTools protocol by scripts/cdp.py),
    /// waits until `wait` (JavaScript) holds, and returns whether it did and the value of `eval`.
    static func open(_ url: String, wait: String, eval: String, screenshot: String? = nil, timeout: Double = 30) throws -> (ready: Bool, value: JSON) {
        let script = DashboardTests.repository.appendingPathComponent("scripts/cdp.py").path
        var arguments = [script, "--chromium", path!, "--url", url, "--wait", wait, "--eval", eval, "--timeout", "\(Int(timeout))"]
        if let screenshot { arguments += ["--screenshot", screenshot] }
        let child = try ChildProcess("/usr/bin/env", ["python3"] + arguments)
        guard child.wait(seconds: timeout + 30) == 0, let line = child.stdoutLines.last else {
            child.killAndWait()
            throw TestSupportError("cdp.py failed: \(child.stderrLines.suffix(5))")
        }
        let result = try JSONParser.parse(line)
        return (result["ready"]?.boolValue ?? false, result["value"] ?? .null)
    }

    /// Fetches a URL with curl.
    static func fetch(_ url: String) throws -> String {
        let child = try ChildProcess("/usr/bin/env", ["curl", "-sf", url])
        guard child.wait(seconds: 30) == 0 else { throw TestSupportError("curl \(url) failed") }
        return child.stdoutLines.joined(separator: "\n")
    }
}

/// The monitor's dashboard in a real (headless) browser.
@Suite(.serialized) struct DashboardTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(.enabled(if: Chromium.path != nil, "no Chromium could be installed (apt-get install chromium); the browser test is skipped"))
    func theDashboardShowsLiveCountsThatMatchTheChecker() throws {
        let http = try FreePorts.take(1)[0]
        let cluster = try LocalCluster(extraArguments: ["inventory": ["--stock", "item1:100000,item2:100000,item3:100000"],
                                                        "monitor": ["--http", "127.0.0.1:\(http)"]], monitor: true)
        defer { cluster.destroy() }
        try cluster.start()
        #expect(try cluster.sagactl(["run", "--sagas", "120", "--concurrency", "8", "--prefix", "dash"]).status == 0)
        let client = try ClusterClient(timeoutMs: 10_000)
        let check = try Checker(client: client, endpoints: cluster.endpoints).run()
        #expect(check.isClean)
        // The monitor has caught up when its counts reach the checker's.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try client.query(cluster.router("monitor"), "monitor.Stats")["sagas"]?.intValue != Int64(check.sagas) {
            Thread.sleep(forTimeInterval: 0.2)
        }

        // Open the page and wait until live data has arrived (the page marks it) and the lists are filled.
        let url = "http://127.0.0.1:\(http)/"
        let artifacts = Self.repository.appendingPathComponent("artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let shot = artifacts.appendingPathComponent("dashboard.png").path
        try? FileManager.default.removeItem(atPath: shot)
        let home = try Chromium.open(
            url,
            wait: ##"document.body.dataset.live == "yes" && document.querySelectorAll("#sagas tr").length > 0 && document.querySelectorAll("#alerts tr").length > 0"##,
            eval: ##"({total: $("count-total").textContent, completed: $("count-completed").textContent, compensated: $("count-compensated").textContent, running: $("count-running").textContent, stuck: $("count-stuck").textContent, sagas: document.querySelectorAll("#sagas tr").length, up: document.querySelectorAll("#health td.up").length, projectionLags: [...document.querySelectorAll("#health td.projection-lag")].filter(td => td.textContent.endsWith(" ms")).length, health: $("health").innerText})"##,
            screenshot: shot)
        #expect(home.ready, "the page never showed live data")
        let value = home.value
        #expect(value["total"]?.stringValue == "\(check.sagas)")
        #expect(value["completed"]?.stringValue == "\(check.byStatus["completed", default: 0])")
        #expect(value["compensated"]?.stringValue == "\(check.byStatus["compensated", default: 0])")
        #expect(value["running"]?.stringValue == "0")
        #expect(value["stuck"]?.stringValue == "0")
        #expect((value["sagas"]?.intValue ?? 0) > 0, "the saga list is empty")
        #expect(value["up"]?.intValue == 6, "service health: \(value["health"]?.stringValue ?? "")")
        // The orchestrator and the four services project their read sides: each shows its lag.
        #expect(value["projectionLags"]?.intValue ?? 0 >= 5, "projection lag: \(value["health"]?.stringValue ?? "")")
        let size = (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 10_000, "no screenshot at \(shot)")

        // A saga's page shows its timeline across the services.
        let compensated = try client.query(cluster.router("saga"), "saga.ListSagas", ["status": "compensated", "limit": 1])["sagas"]?
            .arrayValue?.first?["saga_id"]?.stringValue ?? ""
        let page = try Chromium.open(url + "#/saga/\(compensated)", wait: #"document.getElementById("timeline").children.length > 5"#,
                                     eval: #"document.getElementById("timeline").innerText"#)
        let timeline = page.value.stringValue ?? ""
        #expect(timeline.contains("PaymentDeclined") && timeline.contains("SagaCompensated") && timeline.contains("OrderCancelled"))

        // The JSON API behind the views, and the cluster's metrics.
        let summary = try JSONParser.parse(try Chromium.fetch(url + "api/summary"))
        #expect(summary["stats"]?["completed"]?.intValue == Int64(check.byStatus["completed", default: 0]))
        let metrics = try Chromium.fetch(url + "metrics")
        #expect(metrics.contains("zsaga_commands_total{service=\"payment\",type=\"payment.ChargePayment\",outcome=\"ok\"}"))
        #expect(metrics.contains("zsaga_sagas_settled_total{status=\"completed\"}"))
        #expect(metrics.contains("# TYPE zsaga_commit_batch_size histogram"))
        #expect(metrics.components(separatedBy: "# TYPE zsaga_commands_total ").count == 2, "one header per metric family")
        let sse = try ChildProcess("/usr/bin/env", ["curl", "-sN", "-m", "3", url + "api/stream"])
        _ = sse.wait(seconds: 10)
        #expect(sse.stdoutLines.contains("event: summary"))

        // A browser still connected to the live stream does not keep the monitor from stopping.
        let listener = try ChildProcess("/usr/bin/env", ["curl", "-sN", url + "api/stream"])
        defer { listener.killAndWait() }
        Thread.sleep(forTimeInterval: 1.5)
        let statuses = cluster.stop(timeout: 15)
        for (name, status) in statuses { #expect(status.isClean, "\(name) \(status)") }
    }
}
