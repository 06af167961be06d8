import Foundation
import SagaClient
import SagaWire
import ServiceKit
import ZeroMQ

/// The outcome of a load run.
public struct RunSummary: Sendable {
    public var sagas = 0
    public var completed = 0
    public var compensated = 0
    public var stuck = 0
    /// Sagas that never settled (no answer even after re-sending) or were refused.
    public var failed = 0
    /// Refusals with `overloaded` that were retried.
    public var overloadedRetries = 0
    /// Starts re-sent after a timeout (e.g. while the orchestrator restarted).
    public var resent = 0
    public var wallSeconds = 0.0
    /// Milliseconds from the admitted start to the settled answer, per saga (a start re-sent
    /// after a timeout counts from its first send).
    public var latencies: [Double] = []
    /// Why sagas were compensated: failure reason → count.
    public var failureReasons: [String: Int] = [:]
    /// Every saga id with its final status.
    public var outcomes: [String: String] = [:]

    public init() {}

    public var sagasPerSecond: Double { wallSeconds > 0 ? Double(completed + compensated + stuck) / wallSeconds : 0 }

    /// The `p`-th percentile of the latencies (0 to 100).
    public func percentile(_ p: Double) -> Double {
        guard !latencies.isEmpty else { return 0 }
        let sorted = latencies.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// The summary as the one-line JSON object `sagactl run --json` prints.
    public var json: JSON {
        ["sagas": .int(Int64(sagas)), "completed": .int(Int64(completed)), "compensated": .int(Int64(compensated)),
         "stuck": .int(Int64(stuck)), "failed": .int(Int64(failed)), "wall_s": .double(wallSeconds),
         "sagas_per_s": .double(sagasPerSecond), "resent": .int(Int64(resent)),
         "latency_ms": ["p50": .double(percentile(50)), "p90": .double(percentile(90)), "p99": .double(percentile(99)),
                        "max": .double(latencies.max() ?? 0)],
         "failure_reasons": .object(failureReasons.mapValues { .int(Int64($0)) })]
    }
}

/// Drives sagas in a closed loop: at most `concurrency` in flight, each a `StartSaga` with
/// `wait`, the next sent as soon as one settles. A start with no answer is re-sent with the
/// same saga id (idempotent), so a restarting orchestrator loses nothing.
public final class LoadRunner {
    private let endpoint: String
    private let context: ZMQContext
    private let socket: ZMQSocket
    /// Seconds without an answer before a start is re-sent.
    public var resendAfter: Double = 10
    /// Give up on a saga after this many seconds.
    public var giveUpAfter: Double = 600

    /// - Parameter keys: this client's CURVE keys, for a secured orchestrator (named `saga`).
    public init(endpoint: String, keys: CurveKeys? = nil) throws {
        self.endpoint = endpoint
        context = try ZMQContext()
        socket = try ZMQSocket(context, .dealer)
        try socket.setSendHighWaterMark(0)
        try socket.setReceiveHighWaterMark(0)
        if let keys { try keys.secureClient(socket, server: "saga") }
        try socket.connect(endpoint)
    }

    private struct InFlight {
        var index: Int
        var requestID: String
        var firstSent: Double
        var lastSent: Double
    }

    /// Runs `count` sagas named `<prefix>-<n>` with contexts from `generator`.
    ///
    /// - Parameter progress: called about once a second with the summary so far.
    /// - Parameter ratePerSecond: when set, sagas are started no faster than this (paced load).
    public func run(count: Int, concurrency: Int, prefix: String, type: String = "order", generator: OrderGenerator,
                    ratePerSecond: Double? = nil, progressInterval: Double = 1,
                    progress: ((RunSummary, Int) -> Void)? = nil) throws -> RunSummary {
        var summary = RunSummary()
        summary.sagas = count
        let start = Date().timeIntervalSince1970
        var next = 0
        var inFlight: [String: InFlight] = [:]  // by request id
        var retryAt: [(at: Double, index: Int)] = []
        var lastProgress = start
        var attemptCounter = 0

        func send(_ index: Int, first: Double?) throws {
            attemptCounter += 1
            let sagaID = "\(prefix)-\(index)"
            let requestID = "\(sagaID)/start/\(attemptCounter)"
            let body: JSON = ["type": .string(type), "saga_id": .string(sagaID), "wait": true, "context": generator.context(index)]
            try socket.send([WireCodec.encode(.command(Command(id: requestID, type: "saga.StartSaga", body: body)))])
            let now = Date().timeIntervalSince1970
            inFlight[requestID] = InFlight(index: index, requestID: requestID, firstSent: first ?? now, lastSent: now)
        }

        var firstSentByIndex: [Int: Double] = [:]
        while summary.completed + summary.compensated + summary.stuck + summary.failed < count {
            var now = Date().timeIntervalSince1970
            while inFlight.count < concurrency, next < count,
                  ratePerSecond.map({ now >= start + Double(next) / $0 }) ?? true {
                try send(next, first: nil)
                firstSentByIndex[next] = now
                next += 1
            }
            retryAt.sort { $0.at < $1.at }
            while let first = retryAt.first, first.at <= now, inFlight.count < concurrency {
                retryAt.removeFirst()
                // A start refused as overloaded was never admitted: its latency counts from
                // the attempt that is.
                try send(first.index, first: nil)
            }
            var poller = ZMQPoller()
            poller.add(socket)
            _ = try poller.poll(timeout: 100)
            while let frames = try socket.tryReceive() {
                guard let body = frames.last, let message = try? WireCodec.decode(body) else { continue }
                let requestID: String
                switch message {
                case .reply(let reply): requestID = reply.inReplyTo
                case .error(let error): requestID = error.inReplyTo ?? ""
                default: continue
                }
                guard let flight = inFlight.removeValue(forKey: requestID) else { continue }
                now = Date().timeIntervalSince1970
                let sagaID = "\(prefix)-\(flight.index)"
                switch message {
                case .reply(let reply) where reply.outcome == .ok:
                    let status = reply.body["status"]?.stringValue ?? "unknown"
                    summary.outcomes[sagaID] = status
                    summary.latencies.append((now - flight.firstSent) * 1000)
                    switch status {
                    case "completed": summary.completed += 1
                    case "compensated":
                        summary.compensated += 1
                        let failure = reply.body["failure"]?.stringValue ?? "unknown"
                        summary.failureReasons[Self.reasonKey(failure), default: 0] += 1
                    case "stuck": summary.stuck += 1
                    default: summary.failed += 1
                    }
                case .error(let error) where error.code == .overloaded || error.code == .unavailable:
                    summary.overloadedRetries += 1
                    retryAt.append((now + 0.05, flight.index))
                default:
                    summary.failed += 1
                    summary.outcomes[sagaID] = "failed"
                }
            }
            now = Date().timeIntervalSince1970
            for flight in inFlight.values where now - flight.lastSent > resendAfter {
                inFlight.removeValue(forKey: flight.requestID)
                if now - flight.firstSent > giveUpAfter {
                    summary.failed += 1
                    summary.outcomes["\(prefix)-\(flight.index)"] = "failed"
                } else {
                    summary.resent += 1
                    try send(flight.index, first: flight.firstSent)
                }
            }
            if let progress, now - lastProgress >= progressInterval {
                lastProgress = now
                summary.wallSeconds = now - start
                progress(summary, inFlight.count)
            }
        }
        summary.wallSeconds = Date().timeIntervalSince1970 - start
        return summary
    }

    /// Groups failure messages by their reason ("process_payment rejected: the card was declined").
    static func reasonKey(_ failure: String) -> String {
        failure.split(separator: ":").first.map(String.init) ?? failure
    }
}
