import Foundation
import SagaWire

/// The faults a process injects into itself, for fault-injection runs.
///
/// Written as comma-separated entries, e.g.
/// `fail=payment.ChargePayment:0.2,delay=*:150,drop-reply=0.1,drop-publish=0.3,crash=after-commit:0.01,seed=7`:
///
/// | entry | effect |
/// |---|---|
/// | `fail=ACTION:RATE` | a share of commands of type ACTION (or `*`) is refused as a business failure (`injected_failure`), recorded like any outcome |
/// | `delay=ACTION:MS` | commands of type ACTION (or `*`) are processed MS milliseconds late (other work goes on) |
/// | `drop-reply=RATE` | a share of replies is not sent (after the commit) |
/// | `drop-publish=RATE` | a share of committed events is not published |
/// | `crash=POINT:RATE` | the process aborts at POINT in a share of batches: `before-commit`, `after-commit` (committed, nothing replied or sent yet; for the orchestrator that is after logging, before sending), `after-log` (same as `after-commit`), `after-send-ahead` (the orchestrator only: it sent the next step's action ahead of its log and aborts before the commit, 50 ms later so the command is on its way), `mid-projection` (inside a projection batch's transaction, its rows written and not committed) |
/// | `seed=N` | the seed of every random choice |
public struct FaultSpec: Sendable, Equatable {
    /// Where a process can be made to crash.
    public enum CrashPoint: String, Sendable, CaseIterable {
        /// The batch is decided but not committed: nothing of it survives.
        case beforeCommit = "before-commit"
        /// The batch is committed but nothing was replied, published or sent.
        case afterCommit = "after-commit"
        /// The orchestrator sent the next steps' actions ahead of its log; nothing is committed.
        case afterSendAhead = "after-send-ahead"
        /// A projection batch has written the read side's rows but not committed them: the
        /// transaction is lost, and the restart projects the same events again.
        case midProjection = "mid-projection"
    }

    public var failRates: [String: Double] = [:]
    public var delays: [String: Int64] = [:]
    public var dropReplyRate = 0.0
    public var dropPublishRate = 0.0
    public var crashRates: [CrashPoint: Double] = [:]
    public var seed: UInt64 = 0
    /// The text it was parsed from.
    public var text = ""

    public init() {}

    /// Whether the spec injects nothing.
    public var isEmpty: Bool {
        failRates.isEmpty && delays.isEmpty && dropReplyRate == 0 && dropPublishRate == 0 && crashRates.isEmpty
    }

    /// Parses a spec; `""` and `clear` give the empty spec.
    public static func parse(_ text: String) throws(WireError) -> FaultSpec {
        var spec = FaultSpec()
        spec.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "clear" || trimmed == "none" { return spec }
        for entry in trimmed.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw bad(entry, "expected KEY=VALUE") }
            let (key, value) = (parts[0], parts[1])
            switch key {
            case "fail":
                let (action, rate) = try actionAndNumber(value, entry)
                spec.failRates[action] = try rateValue(rate, entry)
            case "delay":
                let (action, ms) = try actionAndNumber(value, entry)
                guard let delay = Int64(ms.hasSuffix("ms") ? String(ms.dropLast(2)) : ms), (0...600_000).contains(delay) else {
                    throw bad(entry, "delay must be 0 to 600000 milliseconds")
                }
                spec.delays[action] = delay
            case "drop-reply": spec.dropReplyRate = try rateValue(value, entry)
            case "drop-publish": spec.dropPublishRate = try rateValue(value, entry)
            case "crash":
                let (pointText, rate) = try actionAndNumber(value, entry)
                let point: CrashPoint
                switch pointText {
                case "before-commit": point = .beforeCommit
                case "after-commit", "after-log": point = .afterCommit
                case "after-send-ahead": point = .afterSendAhead
                case "mid-projection": point = .midProjection
                default: throw bad(entry, "crash points are before-commit, after-commit, after-log, after-send-ahead and mid-projection")
                }
                spec.crashRates[point] = try rateValue(rate, entry)
            case "seed":
                guard let seed = UInt64(value) else { throw bad(entry, "seed must be an unsigned integer") }
                spec.seed = seed
            default:
                throw bad(entry, "unknown fault \(key); use fail, delay, drop-reply, drop-publish, crash or seed")
            }
        }
        return spec
    }

    private static func bad(_ entry: Substring, _ why: String) -> WireError {
        WireError(.invalidArgument, "fault \"\(entry)\": \(why)", field: "body.spec")
    }

    private static func actionAndNumber(_ value: String, _ entry: Substring) throws(WireError) -> (String, String) {
        guard let colon = value.lastIndex(of: ":") else { throw bad(entry, "expected NAME:NUMBER") }
        let name = String(value[..<colon]), number = String(value[value.index(after: colon)...])
        guard !name.isEmpty, !number.isEmpty else { throw bad(entry, "expected NAME:NUMBER") }
        return (name, number)
    }

    private static func rateValue(_ text: String, _ entry: Substring) throws(WireError) -> Double {
        guard let rate = Double(text), rate.isFinite, (0...1).contains(rate) else { throw bad(entry, "rate must be between 0 and 1") }
        return rate
    }
}

/// Makes the seeded random choices of a ``FaultSpec``.
public struct FaultInjector: Sendable {
    public private(set) var spec: FaultSpec
    private var random: SplitMix64
    /// How many faults were injected, by kind.
    public private(set) var injected: [String: Int] = [:]

    public init(_ spec: FaultSpec = FaultSpec()) {
        self.spec = spec
        random = SplitMix64(seed: spec.seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// Replaces the spec (and restarts its random sequence from the spec's seed).
    public mutating func set(_ spec: FaultSpec) {
        self = FaultInjector(spec)
    }

    private mutating func roll(_ rate: Double) -> Bool {
        guard rate > 0 else { return false }
        return random.nextUnit() < rate
    }

    private mutating func count(_ kind: String) -> Bool {
        injected[kind, default: 0] += 1
        return true
    }

    /// Whether a command of `type` fails as an injected business failure.
    public mutating func fails(_ type: String) -> Bool {
        guard let rate = spec.failRates[type] ?? spec.failRates["*"] else { return false }
        return roll(rate) && count("fail")
    }

    /// How long a command of `type` is held before it is processed (0: not at all).
    public mutating func delay(_ type: String) -> Int64 {
        let delay = spec.delays[type] ?? spec.delays["*"] ?? 0
        if delay > 0 { _ = count("delay") }
        return delay
    }

    /// Whether to drop a reply.
    public mutating func dropsReply() -> Bool { roll(spec.dropReplyRate) && count("drop-reply") }

    /// Whether to drop a publication.
    public mutating func dropsPublish() -> Bool { roll(spec.dropPublishRate) && count("drop-publish") }

    /// Whether to crash at `point` in this batch.
    public mutating func crashes(at point: FaultSpec.CrashPoint) -> Bool {
        roll(spec.crashRates[point] ?? 0) && count("crash")
    }

    /// The spec and counts, for `sys.Ping` and `sys.SetFault` answers.
    public var json: JSON {
        ["spec": .string(spec.text), "injected": .object(injected.mapValues { .int(Int64($0)) })]
    }
}

/// Aborts the process at an injected crash point, after saying so on standard error.
///
/// The default SIGABRT action is restored first: an injected crash is expected, so the Swift
/// runtime's backtracer (which would otherwise be spawned, and outlive a process the harness
/// kills while it symbolicates) is not wanted, and the process dies of SIGABRT at once.
public func crashNow(_ point: FaultSpec.CrashPoint, process: String) -> Never {
    let message = "\(process): injected crash at \(point.rawValue)\n"
    message.utf8CString.withUnsafeBufferPointer { buffer in
        _ = write(2, buffer.baseAddress, buffer.count - 1)
    }
    signal(SIGABRT, SIG_DFL)
    abort()
}
