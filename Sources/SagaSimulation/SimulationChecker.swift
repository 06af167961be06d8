import EventLog
import SagaCore
import SagaEngine
import SagaWire

/// The invariants a simulation run must end with, read from the participants' own records and
/// the saga log:
///
/// - every saga started is known and terminal (`completed` or `compensated`);
/// - no saga step took effect twice, whatever the command ids;
/// - a compensated saga has no effect left in force: each step whose action took effect was
///   compensated (and a step whose action never came was fenced, or never sent);
/// - a completed saga has every step in force once, and every finishing action done once;
/// - a restart from the log rebuilds exactly the sagas the engine had.
struct SimulationChecker {
    let seed: UInt64
    let sagas: [(id: String, definition: SagaDefinition)]
    let participants: [String: SimulatedParticipant]

    func check(_ orchestrator: EmbeddedOrchestrator, into report: inout SimulationReport) throws {
        // Never held in a local: the old engine must be gone (its log closed) before the restart below.
        guard orchestrator.engine != nil else {
            report.violations.append("seed \(seed): the engine is not running at the end")
            return
        }
        let before = try sagas.map { try orchestrator.engine!.summary(of: $0.id) }
        let activeBefore = orchestrator.engine!.sagas.active.keys.sorted()
        func violation(_ saga: String, _ text: String) { report.violations.append("seed \(seed): saga \(saga): \(text)") }
        report.sagas += sagas.count
        for ((id, definition), summary) in zip(sagas, before) {
            guard let status = summary?.status else {
                violation(id, "never started")
                continue
            }
            let records = definition.graph.nodes.map { node in
                participants[node.step.service]?.steps[.init(sagaID: id, step: node.index)] ?? .init()
            }
            for (step, record) in records.enumerated() where record.appliedBy.count > 1 {
                violation(id, "step \(step) took effect \(record.appliedBy.count) times (\(record.appliedBy.joined(separator: ", ")))")
            }
            switch status {
            case .compensated:
                report.compensated += 1
                for (step, record) in records.enumerated() where record.isLive {
                    violation(id, "compensated, but step \(step) (\(definition.graph.nodes[step].step.name)) is still in force")
                }
            case .completed:
                report.completed += 1
                for (step, record) in records.enumerated() where record.appliedBy.count != 1 || !record.undoneBy.isEmpty {
                    violation(id, "completed, but step \(step) took effect \(record.appliedBy.count) times and was undone \(record.undoneBy.count) times")
                }
                for (index, action) in definition.graph.completions.enumerated() {
                    let done = participants[action.service]?.completions.reduce(0) { total, entry in
                        let parsed = SagaCommandID(parsing: entry.key)
                        return parsed?.sagaID == id && parsed?.role == .completion(index: index) ? total + entry.value : total
                    } ?? 0
                    if done != 1 { violation(id, "completed, but \(action.name) took effect \(done) times") }
                }
            default:
                violation(id, "ended \(status.rawValue)")
            }
        }
        try countPaths(orchestrator.engine!.eventLog, into: &report)
        // A restart from the log must rebuild the same sagas.
        orchestrator.crash()
        try orchestrator.start()
        let after = try sagas.map { try orchestrator.engine?.summary(of: $0.id) }
        if after != before || orchestrator.engine?.sagas.active.keys.sorted() != activeBefore {
            report.violations.append("seed \(seed): the sagas rebuilt from the log differ from the engine's")
        }
    }

    /// How often each recovery path ran, from the saga log.
    private func countPaths(_ log: EventLog?, into report: inout SimulationReport) throws {
        try log?.forEachEvent { event in
            report.digest(event)
            switch try? SagaEvent(event) {
            case .stepFailed(let e)?:
                if e.exhausted { report.paths["exhausted", default: 0] += 1 }
                if e.compensateFrom.map({ $0 > e.step }) == true { report.paths["compensate_from", default: 0] += 1 }
                if !e.exhausted { report.paths["rejected", default: 0] += 1 }
            case .stepRetrying(let e)?:
                if case .action = e.role { report.paths["step_retry", default: 0] += 1 } else { report.paths["compensation_retry", default: 0] += 1 }
            default:
                break
            }
        }
    }
}
