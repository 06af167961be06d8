import Foundation
import SagaClient
import SagaWire
import ServiceKit
import ZeroMQ

/// Sends hostile messages to the ROUTER of every process of a running cluster for a set time,
/// counts what comes back, and checks at the end that every process still answers.
///
/// Each target gets one DEALER with a window of messages in flight, so the processes see a
/// pipelined flood rather than one message at a time. Messages that libzmq drops with the
/// connection (over its frame limit) go on a throwaway connection each, at most a few per second.
public final class Fuzzer {
    /// What to fuzz and how hard.
    public struct Options: Sendable {
        /// The ROUTER of each process, by name.
        public var targets: [String: String]
        /// How long to send.
        public var durationSeconds: Double
        /// The seed of every random choice.
        public var seed: UInt64
        /// Messages per second over all targets; 0 means as fast as the processes answer.
        public var rate: Double = 0
        /// Messages in flight per target.
        public var window = 64
        /// This client's CURVE keys, for a secured cluster.
        public var keys: CurveKeys?
        /// How long to wait for the last answers once sending stops.
        public var drainSeconds: Double = 10

        public init(targets: [String: String], durationSeconds: Double, seed: UInt64) {
            self.targets = targets
            self.durationSeconds = durationSeconds
            self.seed = seed
        }
    }

    /// What a fuzz run did and found.
    public struct Report: Sendable {
        /// Messages sent, by category.
        public var sent: [FuzzCategory: Int] = [:]
        /// Messages sent, by target.
        public var sentByTarget: [String: Int] = [:]
        /// Answers received, by error code (`ok` for a success reply or a query result).
        public var replies: [String: Int] = [:]
        /// Messages that had to be answered and were not (after the drain).
        public var unanswered = 0
        /// Must-be-refused messages that got a success reply: each a finding, with its summary.
        public var accepted: [String] = []
        /// Answers that were not a ZSaga envelope at all.
        public var garbledReplies = 0
        /// Processes that did not answer a ping after the run.
        public var silent: [String] = []
        /// Seconds spent sending.
        public var seconds: Double = 0

        /// Every message sent.
        public var total: Int { sent.values.reduce(0, +) }
        /// Every answer received.
        public var answered: Int { replies.values.reduce(0, +) }
        /// Whether the run found nothing wrong.
        public var clean: Bool { unanswered == 0 && accepted.isEmpty && garbledReplies == 0 && silent.isEmpty }

        /// The report as JSON.
        public var json: JSON {
            var out = JSONObject()
            out["clean"] = .bool(clean)
            out["seconds"] = .double((seconds * 10).rounded() / 10)
            out["messages"] = .int(Int64(total))
            out["rate_per_second"] = .double(seconds > 0 ? (Double(total) / seconds).rounded() : 0)
            out["answered"] = .int(Int64(answered))
            out["unanswered"] = .int(Int64(unanswered))
            out["by_category"] = .object(JSONObject(Dictionary(uniqueKeysWithValues: sent.map { ($0.key.rawValue, JSON.int(Int64($0.value))) })))
            out["by_target"] = .object(JSONObject(sentByTarget.mapValues { JSON.int(Int64($0)) }))
            out["replies"] = .object(JSONObject(replies.mapValues { JSON.int(Int64($0)) }))
            out["accepted_hostile"] = .array(accepted.prefix(20).map { .string($0) })
            out["garbled_replies"] = .int(Int64(garbledReplies))
            out["silent_processes"] = .array(silent.map { .string($0) })
            return .object(out)
        }
    }

    private let options: Options
    private let context: ZMQContext

    public init(_ options: Options) throws {
        self.options = options
        context = try ZMQContext()
    }

    /// One target's connection and bookkeeping.
    private struct Lane {
        var name: String
        var endpoint: String
        var socket: ZMQSocket
        var generator: FuzzGenerator
        var inFlight = 0
        /// Ids of must-be-refused cases awaiting an answer (bounded by the window).
        var hostile: [String: String] = [:]
    }

    private func connect(_ name: String, _ endpoint: String, linger: Int32 = 0) throws -> ZMQSocket {
        let socket = try ZMQSocket(context, .dealer, linger: linger)
        try socket.setSendHighWaterMark(Int32(max(options.window * 2, 100)))
        try socket.setReceiveHighWaterMark(0)
        if let keys = options.keys { try keys.secureClient(socket, server: name) }
        try socket.connect(endpoint)
        return socket
    }

    /// Runs the fuzz; `progress` is called about once a second with the report so far.
    public func run(progress: ((Report) -> Void)? = nil) throws -> Report {
        var report = Report()
        var lanes = try options.targets.sorted { $0.key < $1.key }.enumerated().map { index, target in
            Lane(name: target.key, endpoint: target.value, socket: try connect(target.key, target.value),
                 generator: FuzzGenerator(target: target.key, seed: options.seed &+ UInt64(index)))
        }
        var poller = ZMQPoller()
        for lane in lanes { poller.add(lane.socket) }
        let started = Date()
        let stopAt = started.addingTimeInterval(options.durationSeconds)
        var nextOversized = Date()
        var nextProgress = started.addingTimeInterval(1)
        var budget = 0.0, budgetAt = started
        var sending = true
        var drainUntil = Date.distantFuture

        while true {
            let now = Date()
            if sending && now >= stopAt {
                sending = false
                report.seconds = now.timeIntervalSince(started)
                drainUntil = now.addingTimeInterval(options.drainSeconds)
            }
            if !sending && (lanes.allSatisfy { $0.inFlight == 0 } || now >= drainUntil) { break }
            if sending {
                if options.rate > 0 {
                    budget = min(options.rate, budget + now.timeIntervalSince(budgetAt) * options.rate)
                    budgetAt = now
                }
                for index in lanes.indices where lanes[index].inFlight < options.window {
                    if options.rate > 0 && budget < 1 { break }
                    let oversizedAllowed = now >= nextOversized
                    let fuzzCase = lanes[index].generator.next(oversizedAllowed: oversizedAllowed)
                    if fuzzCase.category == .oversized { nextOversized = now.addingTimeInterval(0.25) }
                    if fuzzCase.dropsConnection {
                        // libzmq drops it with the connection: send it on a connection of its own.
                        let throwaway = try connect(lanes[index].name, lanes[index].endpoint, linger: 2000)
                        _ = try? throwaway.trySend(fuzzCase.frames)
                        throwaway.close()
                    } else {
                        guard (try? lanes[index].socket.trySend(fuzzCase.frames)) == true else { continue }
                        lanes[index].inFlight += 1
                        if fuzzCase.mustBeRefused, let id = fuzzCase.id { lanes[index].hostile[id] = fuzzCase.summary }
                    }
                    budget -= 1
                    report.sent[fuzzCase.category, default: 0] += 1
                    report.sentByTarget[lanes[index].name, default: 0] += 1
                }
            }
            let idle = lanes.allSatisfy { $0.inFlight >= options.window } || !sending || (options.rate > 0 && budget < 1)
            _ = try? poller.poll(timeout: idle ? 5 : 0) // an interrupted poll just goes round again
            for index in lanes.indices {
                while let frames = try? lanes[index].socket.tryReceive() {
                    lanes[index].inFlight -= 1
                    record(frames.last ?? [], lane: &lanes[index], report: &report)
                }
            }
            if let progress, now >= nextProgress {
                nextProgress = now.addingTimeInterval(1)
                var snapshot = report
                snapshot.seconds = now.timeIntervalSince(started)
                progress(snapshot)
            }
        }
        report.unanswered = lanes.reduce(0) { $0 + max(0, $1.inFlight) }
        for lane in lanes { lane.socket.close() }
        report.silent = try silentProcesses()
        return report
    }

    private func record(_ body: [UInt8], lane: inout Lane, report: inout Report) {
        guard let message = try? WireCodec.decode(body) else {
            report.garbledReplies += 1
            return
        }
        switch message {
        case .error(let error):
            report.replies[error.code.rawValue, default: 0] += 1
            if let id = error.inReplyTo { lane.hostile[id] = nil }
        case .reply(let reply):
            report.replies[reply.outcome == .ok ? "ok" : "rejected", default: 0] += 1
            if let summary = lane.hostile.removeValue(forKey: reply.inReplyTo) { report.accepted.append("\(lane.name): \(summary)") }
        case .result(let result):
            report.replies["ok", default: 0] += 1
            if let summary = lane.hostile.removeValue(forKey: result.inReplyTo) { report.accepted.append("\(lane.name): \(summary)") }
        default:
            report.garbledReplies += 1
        }
        // Refusals of unparsable input cannot name the request; keep the map bounded anyway.
        if lane.hostile.count > options.window * 4 { lane.hostile.removeAll() }
    }

    /// The targets that do not answer a ping on a fresh connection within 5 s.
    public func silentProcesses() throws -> [String] {
        let client = try ClusterClient(timeoutMs: 5000, keys: options.keys,
                                       serverNames: Dictionary(options.targets.map { ($0.value, $0.key) }) { first, _ in first })
        return options.targets.keys.sorted().filter { name in (try? client.query(options.targets[name]!, "sys.Ping")) == nil }
    }
}
