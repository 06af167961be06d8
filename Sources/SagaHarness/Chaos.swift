import Foundation
import LogCheck
import SagaClient
import SagaWire
import ServiceKit

/// `sagactl chaos`: starts a fresh cluster, drives sagas through it while killing, freezing and
/// faulting its processes at seeded random moments, then stops the faults, waits for quiet and
/// checks every invariant.
public final class ChaosRun {
    private let options: ChaosOptions
    private var random: SplitMix64
    private var report = ChaosReport()
    private var nemesis = ExhaustionNemesis(definition: [:])
    /// Services frozen past a step's retry budget: spared by kills and faults until they thaw.
    private var longFrozen: Set<String> = []
    /// Added participants not yet killed: each is killed at mid-run if chance has not done it.
    private var participantsToKill: [String] = []

    /// Fault specs the run switches on, per kind of process. `fail` targets actions only: a
    /// refused compensation would leave a saga stuck by design, not by a bug.
    static let serviceFaults = ["drop-reply=0.3", "drop-publish=0.4", "delay=*:400", "crash=before-commit:0.05",
                                "crash=after-commit:0.05", "drop-reply=0.1,drop-publish=0.1,delay=*:100", "crash=mid-projection:0.2"]
    static let actionFaults = ["order": "order.CreateOrder", "inventory": "inventory.ReserveInventory",
                               "payment": "payment.ChargePayment", "shipping": "shipping.CreateShipment"]
    static let orchestratorFaults = ["drop-reply=0.3", "drop-publish=0.5", "crash=after-log:0.05", "crash=before-commit:0.05",
                                     "crash=after-send-ahead:0.05", "crash=mid-projection:0.2"]

    public init(options: ChaosOptions) {
        self.options = options
        random = SplitMix64(seed: options.seed)
    }

    private func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    /// Runs the whole scenario, showing its progress on standard error.
    public func run() throws -> ChaosReport {
        let bar = Progress(total: options.sagas, label: "chaos")
        defer { bar.finish() }
        return try run(bar: bar)
    }

    private func run(bar: Progress) throws -> ChaosReport {
        report.seed = options.seed
        report.sagas = options.sagas
        let started = Date()
        try prepareDirectory()
        var arguments: [String: [String]] = ["inventory": ["--stock", "item1:10000000,item2:10000000,item3:10000000"]]
        if let retention = options.retention {
            for process in options.topology.sources { arguments[process.name, default: []] += ["--retention", retention] }
        }
        if let definitions = options.definitions { arguments[options.topology.orchestrator.name, default: []] += ["--definitions", definitions] }
        let cluster = try ManagedCluster(directory: options.directory, binDirectory: options.binDirectory, extraArguments: arguments,
                                         topology: options.topology)
        // The participants the topology adds: killed like any service, and once at least each.
        participantsToKill = cluster.names.filter { !ManagedCluster.names.contains($0) }
        defer { cluster.killAll() }
        try cluster.startAll()
        try cluster.waitUntilUp()
        let control = try ClusterClient(timeoutMs: 700)
        let definitions = try control.query(cluster.router("saga"), "saga.Definitions")["definitions"]?.arrayValue ?? []
        nemesis = ExhaustionNemesis(definition: definitions.first { $0["type"] == "order" } ?? [:])

        // The load, on its own thread: paced so the sagas spread over the chaos window.
        let load = LockedValue(LoadState())
        let loadDone = DispatchSemaphore(value: 0)
        let (endpoint, count, concurrency, seed) = (cluster.router("saga"), options.sagas, options.concurrency, options.seed)
        let rate = Double(options.sagas) / max(options.duration * 0.8, 1)
        let loader = Thread {
            do {
                let runner = try LoadRunner(endpoint: endpoint)
                runner.resendAfter = 5
                let summary = try runner.run(count: count, concurrency: concurrency, prefix: "chaos\(seed)",
                                             generator: OrderGenerator(seed: seed), ratePerSecond: rate) { summary, _ in
                    load.withLock { $0.progress = summary }
                }
                load.withLock { $0.result = summary }
            } catch {
                load.withLock { $0.error = "\(error)" }
            }
            loadDone.signal()
        }
        loader.start()

        // The chaos.
        var paused: [String: Date] = [:]
        var faulted: Set<String> = []
        var nextAction = Date().addingTimeInterval(random.uniform(0.5...1.5))
        var nextProgress = Date()
        let chaosEnd = started.addingTimeInterval(options.duration)
        while Date() < chaosEnd && load.withLock({ $0.result == nil && $0.error == nil }) {
            let now = Date()
            for (name, until) in paused where until <= now {
                cluster.resume(name)
                paused.removeValue(forKey: name)
                longFrozen.remove(name)
            }
            for death in try restartDead(cluster) { faulted.remove(death.name) }
            try scheduled(cluster, control, &paused, &faulted, elapsed: now.timeIntervalSince(started))
            if now >= nextAction {
                try act(cluster, control, &paused, &faulted)
                nextAction = now.addingTimeInterval(random.uniform(0.3...1.5))
            }
            if now >= nextProgress {
                let done = load.withLock { $0.progress }
                bar.update(done: done.completed + done.compensated + done.stuck + done.failed, rate: done.sagasPerSecond,
                           details: String(format: "%.0fs/%.0fs  kills %d  crashes %d  pauses %d  faults %d",
                                           now.timeIntervalSince(started), options.duration,
                                           report.kills, report.crashes, report.pauses, report.faults))
                nextProgress = now.addingTimeInterval(bar.updateInterval)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }

        // Stop the chaos: thaw, clear every fault, bring back the dead.
        for name in paused.keys { cluster.resume(name) }
        try restartDead(cluster)
        for name in ManagedCluster.names { clearFault(name, cluster, control) }
        bar.note("chaos over; waiting for every saga to settle")
        let settleDeadline = Date().addingTimeInterval(options.settleTimeout)
        while loadDone.wait(timeout: .now() + 1) == .timedOut {
            try restartDead(cluster)
            let done = load.withLock { $0.progress }
            bar.update(done: done.completed + done.compensated + done.stuck + done.failed, rate: done.sagasPerSecond, details: "settling")
            if Date() > settleDeadline { break }
        }
        let outcome = load.withLock { $0 }
        if let error = outcome.error { report.violations.append(Violation(sagaID: nil, check: "load", detail: error)) }
        let summary = outcome.result ?? outcome.progress
        if outcome.result == nil && outcome.error == nil {
            report.violations.append(Violation(sagaID: nil, check: "settled",
                                               detail: "the sagas did not all settle within \(Int(options.settleTimeout)) s"))
        }
        report.failed = summary.failed
        try waitUntilQuiet(cluster, deadline: settleDeadline)

        // Check every invariant at the services.
        let checker = Checker(client: try ClusterClient(timeoutMs: 30_000), endpoints: cluster.endpoints,
                              participants: cluster.topology.services.map(\.name))
        let check = try checker.run()
        let reader = try ClusterClient(timeoutMs: 30_000)
        // From the counters: they count every saga, retired or not.
        let stats = try reader.query(cluster.router("saga"), "saga.Stats")
        func counted(_ status: String) -> Int { Int(stats["by_status"]?[status]?.intValue ?? 0) }
        report.completed = counted("completed")
        report.compensated = counted("compensated")
        report.stuck = counted("stuck")
        report.violations += check.violations
        if stats["total"]?.intValue != Int64(options.sagas) {
            report.violations.append(Violation(sagaID: nil, check: "saga_count",
                                               detail: "\(stats["total"]?.intValue ?? 0) sagas recorded, \(options.sagas) started"))
        }
        report.paths = try RecoveryPaths.read(reader, orchestrator: cluster.router("saga"))
        report.crashesByPoint = cluster.injectedCrashes
        // What the client was told must be what the cluster recorded: saga by saga for those the
        // orchestrator still holds; for those retention retired, by the retired history's tally.
        let sagas = try reader.all(cluster.router("saga"), "saga.ListSagas", key: "sagas")
        let recorded = Dictionary(uniqueKeysWithValues: sagas.compactMap { saga in
            saga["saga_id"]?.stringValue.map { ($0, saga["status"]?.stringValue ?? "") } })
        var toldOfRetired: [String: Int64] = [:]
        for (saga, told) in summary.outcomes where told != "failed" {
            guard let status = recorded[saga] else {
                toldOfRetired[told, default: 0] += 1
                continue
            }
            if status != told {
                report.violations.append(Violation(sagaID: saga, check: "client_outcome",
                                                   detail: "client was told \(told), the orchestrator recorded \(status)"))
            }
        }
        let history = try reader.query(cluster.router("saga"), "sys.Ping")["retention"]?["retired"] ?? [:]
        report.retiredSagas = Int(history["streams"]?.intValue ?? 0)
        let retired = history["totals"] ?? [:]
        for status in ["completed", "compensated", "stuck"] where toldOfRetired[status, default: 0] != retired["sagas.status.\(status)"]?.intValue ?? 0 {
            report.violations.append(Violation(sagaID: nil, check: "client_outcome", detail:
                "clients were told \(toldOfRetired[status, default: 0]) sagas \(status) that the orchestrator no longer holds; "
                + "its retired history counts \(retired["sagas.status.\(status)"]?.intValue ?? 0)"))
        }
        // A clean shutdown after all that.
        for (name, exit) in cluster.stopAll().sorted(by: { $0.key < $1.key }) where !exit.isClean {
            report.violations.append(Violation(sagaID: nil, check: "clean_shutdown",
                                               detail: "\(cluster.executable(name)) \(exit) after SIGTERM; see \(cluster.logPath(name))"))
        }
        report.durationSeconds = Date().timeIntervalSince(started)
        return report
    }

    private struct LoadState: Sendable {
        var progress = RunSummary()
        var result: RunSummary?
        var error: String?
    }

    private func prepareDirectory() throws {
        let manager = FileManager.default
        let marker = options.directory.appendingPathComponent(".zsaga-chaos")
        if manager.fileExists(atPath: options.directory.path) {
            let contents = try manager.contentsOfDirectory(atPath: options.directory.path)
            guard contents.isEmpty || manager.fileExists(atPath: marker.path) else {
                throw SupervisorError("\(options.directory.path) is not empty and not an earlier chaos run; give a new directory")
            }
            try manager.removeItem(at: options.directory)
        }
        try manager.createDirectory(at: options.directory, withIntermediateDirectories: true)
        _ = manager.createFile(atPath: marker.path, contents: Data("seed \(options.seed)\n".utf8))
    }

    /// The nemesis's planned acts, when due.
    private func scheduled(_ cluster: ManagedCluster, _ control: ClusterClient, _ paused: inout [String: Date],
                           _ faulted: inout Set<String>, elapsed: Double) throws {
        let fraction = elapsed / options.duration
        if fraction >= 0.5, let participant = participantsToKill.first(where: { paused[$0] == nil && !longFrozen.contains($0) }) {
            try kill(participant, cluster, &paused, &faulted)
        }
        guard let act = nemesis.planned(at: fraction, sparing: longFrozen, &random) else { return }
        if try !carryOut(act, cluster, control, &paused, &faulted) { nemesis.retry(act, at: fraction) }
    }

    /// Carries out a nemesis act; false when it could not be (the orchestrator did not answer).
    @discardableResult
    private func carryOut(_ act: ExhaustionNemesis.Act, _ cluster: ManagedCluster, _ control: ClusterClient,
                          _ paused: inout [String: Date], _ faulted: inout Set<String>) throws -> Bool {
        switch act {
        case .freeze(let service, let seconds, let restart):
            cluster.pause(service)
            paused[service] = Date().addingTimeInterval(seconds)
            longFrozen.insert(service)
            report.longFreezes += 1
            report.pauses += 1
            guard restart else { return true }
            // Let the frozen service's commands time out in flight, then restart the orchestrator:
            // the sagas it recovers wait for the frozen service with their recovery fence set.
            Thread.sleep(forTimeInterval: 0.3)
            cluster.kill("saga")
            faulted.remove("saga")
            report.kills += 1
            report.killsByProcess["saga", default: 0] += 1
            report.longFreezesWithRestart += 1
            try cluster.start("saga")
            return true
        case .sendAheadCrash:
            let spec = "crash=after-send-ahead:0.5,seed=\(random.next() % 1_000_000)"
            guard (try? control.command(cluster.router("saga"), "sys.SetFault", ["spec": .string(spec)])) != nil else { return false }
            faulted.insert("saga")
            report.faults += 1
            return true
        }
    }

    /// One random act: a kill and restart, a freeze past a step's retry budget, a pause, or a
    /// fault switched on or off. A service in a long freeze is spared.
    private func act(_ cluster: ManagedCluster, _ control: ClusterClient, _ paused: inout [String: Date],
                     _ faulted: inout Set<String>) throws {
        let roll = random.nextUnit()
        if roll < 0.42 {
            // The orchestrator gets a third of the kills; the services share the rest.
            let name = random.nextUnit() < 0.34 ? "saga" : pick(Array(cluster.names.dropLast()))
            guard !longFrozen.contains(name) else { return }
            try kill(name, cluster, &paused, &faulted)
        } else if roll < 0.45 {
            if let freeze = nemesis.freeze(restart: random.nextUnit() < 0.5, sparing: longFrozen, &random) {
                try carryOut(freeze, cluster, control, &paused, &faulted)
            }
        } else if roll < 0.65 {
            let candidates = cluster.names.filter { paused[$0] == nil }
            guard !candidates.isEmpty else { return }
            let name = pick(candidates)
            // Some pauses outlast the step timeouts (3 s), so attempts time out and retry.
            let seconds = random.nextUnit() < 0.65 ? random.uniform(0.3...2.0) : random.uniform(3.5...6.0)
            cluster.pause(name)
            paused[name] = Date().addingTimeInterval(seconds)
            report.pauses += 1
        } else {
            // Faults are injected by the built-in processes (`sys.SetFault`), not by participants.
            let name = pick(ManagedCluster.names)
            guard paused[name] == nil, !longFrozen.contains(name) else { return }
            if faulted.contains(name) && random.nextUnit() < 0.6 {
                clearFault(name, cluster, control)
                faulted.remove(name)
                return
            }
            var specs = name == "saga" ? Self.orchestratorFaults : Self.serviceFaults
            if let action = Self.actionFaults[name] { specs.append("fail=\(action):0.3") }
            let spec = pick(specs) + ",seed=\(random.next() % 1_000_000)"
            if (try? control.command(cluster.router(name), "sys.SetFault", ["spec": .string(spec)])) != nil {
                faulted.insert(name)
                report.faults += 1
            }
        }
    }

    /// SIGKILLs a process and starts it again at once.
    private func kill(_ name: String, _ cluster: ManagedCluster, _ paused: inout [String: Date], _ faulted: inout Set<String>) throws {
        cluster.kill(name)
        paused.removeValue(forKey: name)
        faulted.remove(name)
        participantsToKill.removeAll { $0 == name }
        report.kills += 1
        report.killsByProcess[name, default: 0] += 1
        try cluster.start(name)
        noteRecovery(name, cluster)
    }

    /// Counts a restart whose recovery projected events its incarnation before committed but
    /// had not projected (a kill or crash before or during a projection batch), from its
    /// `sys.Ping`. The monitor writes its read side in its commits: nothing to count.
    private func noteRecovery(_ name: String, _ cluster: ManagedCluster) {
        guard name != "monitor", let client = try? ClusterClient(timeoutMs: 5000),
              let ping = try? client.query(cluster.router(name), "sys.Ping"),
              let projected = ping["recovery"]?["projected"]?.intValue else { return }
        report.restartsProjecting[name, default: 0] += projected > 0 ? 1 : 0
    }

    private func clearFault(_ name: String, _ cluster: ManagedCluster, _ control: ClusterClient) {
        for _ in 0..<20 {
            if (try? control.command(cluster.router(name), "sys.SetFault", ["spec": ""])) != nil { return }
            _ = try? restartDead(cluster)
        }
    }

    /// Restarts what died on its own, counting injected crashes; a death that no injected
    /// crash explains (a real crash) is a violation.
    @discardableResult
    private func restartDead(_ cluster: ManagedCluster) throws -> [ManagedCluster.Death] {
        let deaths = try cluster.restartDead()
        for death in deaths {
            if death.crashPoint != nil {
                report.crashes += 1
            } else {
                report.violations.append(Violation(sagaID: nil, check: "unexpected_exit", detail:
                    "\(cluster.executable(death.name)) \(death.exit) without an injected crash; see \(cluster.logPath(death.name))"))
            }
            noteRecovery(death.name, cluster)
            if case .killedAfterTimeout = death.exit {
                report.violations.append(Violation(sagaID: nil, check: "crash_exit", detail:
                    "\(cluster.executable(death.name)) announced a crash at \(death.crashPoint ?? "?") but was still running "
                    + "\(Int(cluster.crashDeadline)) s later; it was killed"))
            }
        }
        return deaths
    }

    /// Waits until the orchestrator has nothing in flight (every saga settled or stuck).
    private func waitUntilQuiet(_ cluster: ManagedCluster, deadline: Date) throws {
        let client = try ClusterClient(timeoutMs: 2000)
        while Date() < deadline {
            if let stats = try? client.query(cluster.router("saga"), "saga.Stats"), stats["in_flight"] == 0 { return }
            try restartDead(cluster)
            Thread.sleep(forTimeInterval: 0.5)
        }
    }
}
