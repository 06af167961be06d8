import Foundation
import SagaClient
import SagaWire

/// The chaos nemesis that makes steps run out of attempts: it freezes a service (SIGSTOP)
/// longer than a step's whole retry budget, but well within the compensations' budget, and
/// sometimes restarts the orchestrator just after, so that the sagas it recovers find the
/// service frozen (the path where send-ahead and recovery meet: `compensate_from`).
///
/// Besides its random acts it keeps a plan, so every run reaches each of those paths: at 20% of
/// the window a freeze with a restart, at 45% a crash of the orchestrator at `after-send-ahead`,
/// at 65% a freeze alone.
struct ExhaustionNemesis {
    /// What to do now.
    enum Act: Equatable {
        /// Freeze `service` for `seconds`, then (when `restart`) kill and restart the orchestrator.
        case freeze(service: String, seconds: Double, restart: Bool)
        /// Make the orchestrator crash at its next send-ahead.
        case sendAheadCrash
    }

    /// A step's whole retry budget (every attempt's timeout and every backoff at its longest),
    /// in seconds, the largest over the saga type's steps.
    let stepBudget: Double
    /// The services of steps that have a step after them (a restart fences those).
    let fenceableServices: [String]
    /// Every step's service.
    let services: [String]
    private var plan: [(at: Double, act: Planned)] = [(0.20, .freezeWithRestart), (0.45, .sendAheadCrash), (0.65, .freeze)]

    private enum Planned { case freezeWithRestart, sendAheadCrash, freeze }

    /// Reads the budget and the services from a saga definition as `saga.Definitions` lists it.
    init(definition: JSON) {
        let steps = definition["steps"]?.arrayValue ?? []
        services = steps.compactMap { $0["service"]?.stringValue }
        fenceableServices = Array(services.dropLast())
        stepBudget = steps.map { Self.budgetSeconds($0["retry"] ?? [:]) }.max() ?? 15
    }

    /// Every attempt's timeout plus every backoff at its longest (with jitter), in seconds.
    static func budgetSeconds(_ retry: JSON) -> Double {
        let timeout = Double(retry["timeout_ms"]?.intValue ?? 3000)
        let attempts = Int(retry["max_attempts"]?.intValue ?? 4)
        let multiplier = retry["multiplier"]?.doubleValue ?? 2
        let jitter = retry["jitter"]?.doubleValue ?? 0.2
        let cap = Double(retry["max_backoff_ms"]?.intValue ?? 2000)
        var backoff = Double(retry["backoff_ms"]?.intValue ?? 100), total = timeout * Double(attempts)
        for _ in 1..<max(attempts, 1) {
            total += min(backoff, cap) * (1 + jitter)
            backoff *= multiplier
        }
        return total / 1000
    }

    /// How long a freeze lasts: past the budget by 4 to 8 s, so the compensation an exhausted
    /// step sends to the same frozen service times out and is retried too.
    func freezeSeconds(_ random: inout SplitMix64) -> Double { stepBudget + random.uniform(4...8) }

    /// The planned act due at `fraction` of the chaos window, if any.
    mutating func planned(at fraction: Double, sparing frozen: Set<String>, _ random: inout SplitMix64) -> Act? {
        guard let next = plan.first, fraction >= next.at else { return nil }
        plan.removeFirst()
        switch next.act {
        case .freezeWithRestart: return freeze(restart: true, sparing: frozen, &random)
        case .sendAheadCrash: return .sendAheadCrash
        case .freeze: return freeze(restart: false, sparing: frozen, &random)
        }
    }

    /// Puts a planned act that could not be carried out back, to try again a little later.
    mutating func retry(_ act: Act, at fraction: Double) {
        if act == .sendAheadCrash { plan.insert((fraction + 0.01, .sendAheadCrash), at: 0) }
    }

    /// A freeze of a service not in `frozen` already, with or without a restart.
    func freeze(restart: Bool, sparing frozen: Set<String>, _ random: inout SplitMix64) -> Act? {
        let candidates = (restart ? fenceableServices : services).filter { !frozen.contains($0) }
        guard !candidates.isEmpty else { return nil }
        return .freeze(service: candidates[Int(random.next() % UInt64(candidates.count))], seconds: freezeSeconds(&random),
                       restart: restart)
    }
}
