import Foundation
import HeapModule
import SagaCore
import SagaEngine
import SagaWire
import HostCore

/// One seeded, deterministic run of the real orchestrator engine among simulated participants,
/// on virtual time, with a nemesis.
///
/// The scheduler delays, reorders, drops and duplicates commands and replies; delivers each
/// service's events late but in order, and replays them from the engine's saved positions
/// after a restart; freezes participants (some longer than a step's whole retry budget, so
/// steps run out of attempts); pauses the engine so that many inputs land in one batch; and
/// kills it between batches or at every injected crash point (more often in the first batches
/// after a recovery), then restarts it from its log. When the chaos window ends it heals
/// everything, waits for every saga to settle, and checks (``SimulationChecker``) that every
/// saga is terminal, that nothing took effect twice, and that every effect of a compensated
/// saga was compensated or fenced.
package final class Simulation {
    private let options: SimulationOptions
    private var random: SplitMix64
    private let clock = VirtualClock()
    private let directory: String
    private let orchestrator: EmbeddedOrchestrator
    private let participants: [String: SimulatedParticipant]
    private var network = Heap<Delivery>()
    private var deliveries: UInt64 = 0
    /// Per service, when each event (by sequence number − 1) can be seen by a subscriber.
    private var visibleAt: [String: [Int64]] = [:]
    /// Per service, the last sequence number delivered to the current incarnation.
    private var cursors: [String: Int64] = [:]
    private var inbox: [(service: String, message: WireMessage)] = []
    private var requests: [IncomingRequest] = []
    private var frozenUntil: [String: Int64] = [:]
    /// After a restart, each stream's first events come from a replay (`sys.Replay`): nothing
    /// of that service reaches the engine before the replay's answer does.
    private var replayedAt: [String: Int64] = [:]
    private var backlog: [String: [(command: Command, incarnation: Int)]] = [:]
    private var busyUntil: Int64 = 0
    private var pausedUntil: Int64 = 0
    private var restartAt: Int64?
    private var startedAt: Int64 = 0
    private var nextNemesis: Int64 = 0
    private var nextResend: Int64 = 1_000
    private var healed = false
    private var sagas: [(id: String, definition: SagaDefinition, startAt: Int64)] = []
    private var acknowledged: Set<String> = []
    private var report = SimulationReport()
    /// A step's whole retry budget, at most: a freeze longer than this exhausts it.
    private let stepBudgetMs: Int64
    /// The shortest attempt timeout of a step.
    private let stepTimeoutMs: Int64

    package init(options: SimulationOptions) throws {
        self.options = options
        random = SplitMix64(seed: options.seed)
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        directory = (base as NSString).appendingPathComponent("zsaga-sim-\(getpid())-\(options.seed)-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        orchestrator = EmbeddedOrchestrator(directory: directory, definitions: options.definitions, services: options.services,
                                            clock: clock, snapshotEvery: options.snapshotEvery, seed: options.seed)
        var participants: [String: SimulatedParticipant] = [:]
        for service in options.services {
            let participant = SimulatedParticipant(name: service, definitions: options.definitions)
            participant.rejectionRate = options.rejectionRate
            participants[service] = participant
        }
        self.participants = participants
        stepBudgetMs = options.definitions.flatMap(\.steps).map { step in
            let retry = step.retry
            let backoffs = (1..<max(retry.maxAttempts, 1)).map { retry.delay(afterAttempt: $0, unit: 1) }.reduce(0, +)
            return Int64(retry.maxAttempts) * retry.timeoutMs + backoffs
        }.max() ?? 0
        stepTimeoutMs = options.definitions.flatMap(\.steps).map(\.retry.timeoutMs).min() ?? 1000
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Runs the scenario and checks the outcome.
    package func run() throws -> SimulationReport {
        report.runs = 1
        try orchestrator.start()
        resetCursors()
        carryOut(orchestrator.takeOutbox())
        // The sagas come in bursts, so that faults find many of them in flight at once.
        let bursts = (0..<max(1, options.sagas / 8)).map { _ in clock.ms + Int64(random.nextUnit() * Double(options.startWindowMs)) }
        for index in 0..<options.sagas {
            let definition = options.definitions[Int(random.next() % UInt64(options.definitions.count))]
            let startAt = bursts[index % bursts.count] + Int64(random.next() % 20)
            sagas.append(("sim\(options.seed)-\(index)", definition, startAt))
            deliver(.start(index), at: startAt)
        }
        nextNemesis = clock.ms + options.nemesisEveryMs
        while true {
            if clock.ms >= options.chaosMs && !healed { heal() }
            if healed && settled() { break }
            if clock.ms > options.limitMs {
                report.violations.append("seed \(options.seed): the sagas did not settle within \(options.limitMs / 1000) s")
                break
            }
            clock.advance(to: nextTime())
            deliverDue()
            if !healed && clock.ms >= nextNemesis { nemesis() }
            if let restartAt, clock.ms >= restartAt { try restart() }
            resendStarts()
            if hasWork { try batch() }
        }
        report.virtualMs = clock.ms
        try SimulationChecker(seed: options.seed, sagas: sagas.map { ($0.id, $0.definition) }, participants: participants)
            .check(orchestrator, into: &report)
        return report
    }

    // MARK: The network

    private enum Kind {
        case command(service: String, Command, incarnation: Int)
        case reply(service: String, WireMessage, incarnation: Int)
        case start(Int)
    }

    private struct Delivery: Comparable {
        let at: Int64
        let order: UInt64
        let kind: Kind
        static func < (a: Delivery, b: Delivery) -> Bool { (a.at, a.order) < (b.at, b.order) }
        static func == (a: Delivery, b: Delivery) -> Bool { a.at == b.at && a.order == b.order }
    }

    private func deliver(_ kind: Kind, at: Int64) {
        deliveries += 1
        network.insert(Delivery(at: at, order: deliveries, kind: kind))
    }

    /// Puts a message on the wire: late, and during the chaos sometimes lost or doubled.
    private func transmit(_ kind: Kind) {
        if !healed && random.nextUnit() < options.dropRate { return }
        deliver(kind, at: clock.ms + latency())
        if !healed && random.nextUnit() < options.duplicateRate { deliver(kind, at: clock.ms + latency() * 3) }
    }

    private func latency() -> Int64 { 1 + Int64(random.next() % 4) }

    private func deliverDue() {
        let now = clock.ms
        while let first = network.min, first.at <= now {
            switch network.removeMin().kind {
            case .command(let service, let command, let incarnation):
                if frozenUntil[service, default: 0] > now {
                    backlog[service, default: []].append((command, incarnation))
                } else {
                    process(command, at: service, from: incarnation)
                }
            case .reply(let service, let message, let incarnation):
                // A reply to an earlier incarnation's DEALER has nowhere to go.
                if orchestrator.isRunning && incarnation == orchestrator.incarnation { inbox.append((service, message)) }
            case .start(let index):
                if orchestrator.isRunning { requests.append(startRequest(index)) }
            }
        }
        for (service, until) in frozenUntil.sorted(by: { $0.key < $1.key }) where until <= now {
            frozenUntil.removeValue(forKey: service)
            for (command, incarnation) in backlog.removeValue(forKey: service) ?? [] {
                process(command, at: service, from: incarnation)
            }
        }
    }

    private func process(_ command: Command, at service: String, from incarnation: Int) {
        guard let participant = participants[service] else { return }
        let (reply, events) = participant.process(command, now: clock.wallClockMs(), unit: random.nextUnit())
        var visible = visibleAt[service, default: []]
        for _ in events { visible.append(max(visible.last ?? 0, clock.ms + latency())) }
        visibleAt[service] = visible
        transmit(.reply(service: service, reply, incarnation: incarnation))
    }

    private func startRequest(_ index: Int) -> IncomingRequest {
        let saga = sagas[index]
        let context: JSON = saga.definition.context == .order
            ? ["user_id": .string("u\(index % 5)"), "items": [["item_id": "item1", "quantity": 1, "price_cents": .int(Int64(100 + index))]]]
            : ["n": .int(Int64(index))]
        return EmbeddedOrchestrator.request("saga.StartSaga", id: "start-\(saga.id)-\(clock.ms)",
                                            body: ["type": .string(saga.definition.type), "saga_id": .string(saga.id), "context": context])
    }

    /// A client re-sends every start it has no answer for (idempotent by saga id).
    private func resendStarts() {
        guard clock.ms >= nextResend else { return }
        nextResend = clock.ms + 1_000
        guard orchestrator.isRunning else { return }
        for (index, saga) in sagas.enumerated() where saga.startAt <= clock.ms && !acknowledged.contains(saga.id) {
            requests.append(startRequest(index))
        }
    }

    // MARK: The engine

    private var hasWork: Bool {
        guard orchestrator.isRunning, clock.ms >= max(busyUntil, pausedUntil) else { return false }
        return !inbox.isEmpty || !requests.isEmpty || deliverableEvents || (orchestrator.engine?.nextTimerDue ?? .max) <= clock.ms
    }

    /// Whether a stream has an event for the engine now. A frozen participant delivers nothing:
    /// it publishes nothing new and answers no replay.
    private var deliverableEvents: Bool {
        visibleAt.contains { service, times in
            guard streamOpen(service) else { return false }
            let next = Int(cursors[service, default: 0])
            return next < times.count && times[next] <= clock.ms
        }
    }

    /// The next moment anything can happen.
    private func nextTime() -> Int64 {
        let now = clock.ms
        var candidates: [Int64] = [nextResend]
        if let first = network.min { candidates.append(first.at) }
        if let restartAt { candidates.append(restartAt) }
        candidates += frozenUntil.values
        if !healed { candidates += [nextNemesis, options.chaosMs] }
        if orchestrator.isRunning {
            var wake = orchestrator.engine?.nextTimerDue ?? .max
            if !inbox.isEmpty || !requests.isEmpty { wake = now }
            for (service, times) in visibleAt where frozenUntil[service] == nil {
                let next = Int(cursors[service, default: 0])
                if next < times.count { wake = min(wake, max(times[next], replayedAt[service, default: 0])) }
            }
            if wake < .max { candidates.append(max(wake, busyUntil, pausedUntil)) }
        }
        return max(now, candidates.min() ?? now + 100)
    }

    /// One iteration of the engine with everything that has arrived.
    private func batch() throws {
        var inputs = OrchestratorInputs()
        inputs.requests = requests
        inputs.replies = inbox
        requests = []
        inbox = []
        // Each service's visible events in order (sometimes only some of them), interleaved.
        var streams: [[Event]] = []
        for service in visibleAt.keys.sorted() where streamOpen(service) {
            let times = visibleAt[service]!
            var next = Int(cursors[service, default: 0])
            var ready: [Event] = []
            let take = random.nextUnit() < 0.2 ? 1 + Int(random.next() % 3) : Int.max
            while next < times.count && times[next] <= clock.ms && ready.count < take {
                ready.append(participants[service]!.log[next])
                next += 1
            }
            cursors[service] = Int64(next)
            if !ready.isEmpty { streams.append(ready) }
        }
        while !streams.isEmpty {
            let index = Int(random.next() % UInt64(streams.count))
            inputs.events.append(streams[index].removeFirst())
            if streams[index].isEmpty { streams.remove(at: index) }
        }
        inputs.positions = cursors
        orchestrator.engine?.faults = FaultInjector(crashSpec())
        let crash = try orchestrator.handle(inputs)
        report.batches += 1
        carryOut(orchestrator.takeOutbox())
        if let crash {
            report.crashes[crash.point.rawValue, default: 0] += 1
            goDown()
        }
        busyUntil = clock.ms + 2 + Int64(random.next() % 5)
    }

    /// Whether a service's stream can deliver now: the service is not frozen, and the replay
    /// after the engine's last restart has been answered.
    private func streamOpen(_ service: String) -> Bool {
        frozenUntil[service] == nil && replayedAt[service, default: 0] <= clock.ms
    }

    /// This batch's crash point, if it is to crash at one.
    private func crashSpec() -> FaultSpec {
        var spec = FaultSpec()
        let rate = clock.ms - startedAt < options.recoveryWindowMs ? options.crashRateAfterRecovery : options.crashRate
        if !healed && random.nextUnit() < rate {
            let points = FaultSpec.CrashPoint.allCases
            spec.crashRates[points[Int(random.next() % UInt64(points.count))]] = 1
        }
        spec.seed = random.next()
        return spec
    }

    /// Sends what the engine sent; notes the sagas whose start was answered.
    private func carryOut(_ outbox: CapturingIO.Outbox) {
        for (service, command) in outbox.commands {
            transmit(.command(service: service, command, incarnation: orchestrator.incarnation))
        }
        for (_, message) in outbox.replies {
            if case .reply(let reply) = message, let saga = reply.body["saga_id"]?.stringValue { acknowledged.insert(saga) }
        }
    }

    private func goDown() {
        orchestrator.crash()
        inbox = []
        requests = []
        restartAt = clock.ms + (healed ? 0 : Int64(random.next() % 1_500))
    }

    private func restart() throws {
        restartAt = nil
        try orchestrator.start()
        report.restarts += 1
        startedAt = clock.ms
        resetCursors()
        carryOut(orchestrator.takeOutbox())
        // Often slow to its first batch (a process starting up): its re-sends' answers and the
        // replayed events pile up into one.
        if random.nextUnit() < 0.7 { pausedUntil = clock.ms + 5 + Int64(random.next() % 80) }
        // Sometimes services are cut off past a step's whole retry budget just as it comes back
        // (a partition), so the sagas it recovered run out of attempts.
        if !healed && random.nextUnit() < 0.7 {
            for service in options.services where random.nextUnit() < 0.6 { freeze(long: true, service: service) }
        }
    }

    /// Each stream resumes where the log says it was consumed; a stream with no saved position
    /// starts at the publisher's head, as a new subscriber does.
    private func resetCursors() {
        let recovered = orchestrator.engine?.recoveredPositions ?? [:]
        for service in options.services {
            let visible = visibleAt[service, default: []].filter { $0 <= clock.ms }.count
            cursors[service] = recovered[service] ?? Int64(visible)
            replayedAt[service] = clock.ms + 2 * latency()
        }
    }

    // MARK: The nemesis

    private func nemesis() {
        let now = clock.ms
        nextNemesis = now + Int64(Double(options.nemesisEveryMs) * (0.2 + 1.6 * random.nextUnit()))
        let roll = random.nextUnit()
        if roll < 0.05 {
            kill()
        } else if roll < 0.4 {
            // Mostly brief; some pauses outlast an attempt's timeout.
            pausedUntil = now + (random.nextUnit() < 0.8 ? 1 + Int64(random.next() % 100)
                                    : stepTimeoutMs + Int64(random.next() % UInt64(stepTimeoutMs)))
        } else {
            freeze(long: random.nextUnit() < 0.35)
            // Sometimes the engine dies too, so the sagas it recovers find the service frozen.
            if roll > 0.94 { kill() }
        }
    }

    /// Freezes a participant (`service`, or one at random): briefly, or past a step's whole
    /// retry budget.
    private func freeze(long: Bool, service chosen: String? = nil) {
        let service = chosen ?? options.services[Int(random.next() % UInt64(options.services.count))]
        if long {
            frozenUntil[service] = clock.ms + stepBudgetMs + 100 + Int64(random.next() % UInt64(2 * stepBudgetMs))
            report.longFreezes += 1
        } else {
            frozenUntil[service] = clock.ms + 10 + Int64(random.next() % UInt64(stepTimeoutMs * 3 / 2))
        }
    }

    private func kill() {
        guard orchestrator.isRunning else { return }
        report.crashes["kill", default: 0] += 1
        goDown()
    }

    private func heal() {
        healed = true
        pausedUntil = 0
        for service in frozenUntil.keys { frozenUntil[service] = clock.ms }
        if restartAt != nil { restartAt = clock.ms }
    }

    private func settled() -> Bool {
        guard orchestrator.isRunning, let engine = orchestrator.engine else { return false }
        return sagas.allSatisfy { saga in
            guard acknowledged.contains(saga.id), let status = (try? engine.summary(of: saga.id))??.status else { return false }
            return status.isTerminal || status == .stuck
        }
    }
}
