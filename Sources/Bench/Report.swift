import Foundation
import SagaWire

/// Everything one `scripts/bench.sh` run measured, with the ratios the targets are about.
public struct BenchReport {
    public var floor = FloorResult()
    /// The durable commits on a saga's critical path: `SagaStarted`, each of the four steps'
    /// service commits (the orchestrator's commit of steps 1 to 3 runs beside the next
    /// service's, which it sent ahead), the orchestrator's commit of the last step (completion
    /// actions never go ahead), the completion actions' commits (in parallel) and the final one.
    public static let commitsOnCriticalPath = 8
    public var levels: [ClusterRun] = []
    /// The same cluster with the orchestrator reaching the services over TCP (as on separate hosts).
    public var tcpLevels: [ClusterRun] = []
    public var small: ClusterRun?
    public var large: ClusterRun?
    public var overload: ClusterRun?
    /// The peer's result lines (DBOS), as printed by its benchmark.
    public var peer: [JSON] = []

    public init() {}

    /// 4 round trips plus the durable commits on the critical path, in ms.
    public var floorLatency: Double {
        4 * floor.roundTripP50 + Double(Self.commitsOnCriticalPath) * floor.fdatasyncP50
    }

    func peerRun(concurrency: Int) -> JSON? {
        peer.first { $0["concurrency"]?.intValue == Int64(concurrency) && $0["bench"] == "order_saga" }
    }

    var bestRate: Double { (levels + tcpLevels).map(\.summary.sagasPerSecond).max() ?? 0 }
    var unloaded: ClusterRun? { levels.first { $0.concurrency == 1 } }

    public var ratios: [String: JSON] {
        var out: [String: JSON] = [:]
        if let peerBest = peerRun(concurrency: 8)?["sagas_per_s"]?.doubleValue, peerBest > 0 {
            out["throughput_vs_peer_best"] = .double(bestRate / peerBest)
        }
        if let unloaded, let peerP50 = peerRun(concurrency: 1)?["latency_ms"]?["p50"]?.doubleValue, peerP50 > 0 {
            out["unloaded_p50_vs_peer"] = .double(unloaded.summary.percentile(50) / peerP50)
        }
        if let unloaded, floorLatency > 0 {
            out["unloaded_p50_vs_floor"] = .double(unloaded.summary.percentile(50) / floorLatency)
        }
        if let small, let large, small.summary.sagasPerSecond > 0 {
            out["rate_100k_vs_1k"] = .double(large.summary.sagasPerSecond / small.summary.sagasPerSecond)
            out["max_rss_mib_100k"] = .double(large.peakRSS.values.max() ?? 0)
        }
        return out
    }

    public var json: JSON {
        var out: [String: JSON] = [
            "floor": floor.json, "floor_latency_ms": .double(floorLatency),
            "commits_on_critical_path": .int(Int64(Self.commitsOnCriticalPath)),
            "levels": .array(levels.map(\.json)), "tcp_levels": .array(tcpLevels.map(\.json)),
            "peer": .array(peer), "ratios": .object(ratios),
        ]
        if let small { out["scaling_small"] = small.json }
        if let large { out["scaling_large"] = large.json }
        if let overload { out["overload"] = overload.json }
        return .object(out)
    }

    /// The table for people.
    public var table: [String] {
        var lines: [String] = []
        lines.append("== floor (ZSaga's ZeroMQ wrapper, the data directory's disk)")
        lines.append(String(format: "  DEALER/ROUTER pipelined echo  %.0f msg/s", floor.echoPerSecond))
        lines.append(String(format: "  REQ/REP round trip            p50 %.3f ms  p90 %.3f ms", floor.roundTripP50, floor.roundTripP90))
        lines.append(String(format: "  fdatasync (4 KiB)             p50 %.3f ms  p90 %.3f ms", floor.fdatasyncP50, floor.fdatasyncP90))
        lines.append(String(format: "  saga floor = 4 RTT + %d fdatasync = %.3f ms", Self.commitsOnCriticalPath, floorLatency))
        lines.append("")
        lines.append("== ZSaga cluster (closed loop, durable commits)")
        lines.append("  net conc    sagas/s   p50 ms   p90 ms   p99 ms   max ms   cpu ms/saga (saga ord inv pay shp)     commits/s (saga)  batch (saga)  peak RSS MiB (max)")
        for run in levels + tcpLevels + [small, large, overload].compactMap({ $0 }) {
            let cpu = ["saga", "order", "inventory", "payment", "shipping"].map { String(format: "%.3f", (run.cpuPerSaga[$0] ?? 0) * 1000) }
            lines.append(String(format: "  %@ %4d %10.1f %8.2f %8.2f %8.2f %8.2f   %@  %10.0f  %10.1f  %10.1f   (%d sagas)",
                                run.transport, run.concurrency, run.summary.sagasPerSecond, run.summary.percentile(50), run.summary.percentile(90),
                                run.summary.percentile(99), run.summary.latencies.max() ?? 0, cpu.joined(separator: " "),
                                run.commitsPerSecond["saga"] ?? 0, run.meanBatch["saga"] ?? 0, run.peakRSS.values.max() ?? 0, run.sagas))
        }
        if let overload {
            lines.append("  overload run: \(overload.overloaded) starts refused with `overloaded` (and retried), admitted p99 "
                         + String(format: "%.1f ms", overload.summary.percentile(99)))
        }
        lines.append("")
        lines.append("== DBOS peer (same machine, same saga)")
        for run in peer where run["bench"] == "order_saga" {
            lines.append(String(format: "  %@ C=%lld  %.1f sagas/s  p50 %.2f ms  p99 %.2f ms",
                                run["backend"]?.stringValue ?? run["db"]?.stringValue ?? "?", run["concurrency"]?.intValue ?? 0,
                                run["sagas_per_s"]?.doubleValue ?? 0, run["latency_ms"]?["p50"]?.doubleValue ?? 0,
                                run["latency_ms"]?["p99"]?.doubleValue ?? 0))
        }
        lines.append("")
        lines.append("== ratios (targets)")
        let r = ratios
        func line(_ key: String, _ target: String) {
            if let value = r[key]?.doubleValue { lines.append(String(format: "  %-28@ %8.3f   %@", key, value, target)) }
        }
        line("throughput_vs_peer_best", "(≥ 30)")
        line("unloaded_p50_vs_peer", "(≤ 0.2)")
        line("unloaded_p50_vs_floor", "(≤ 2)")
        line("rate_100k_vs_1k", "(≥ 0.9)")
        line("max_rss_mib_100k", "(< 200)")
        return lines
    }
}
