import BuiltInSagas
import Domain
import SagaWire
import Testing
@testable import SagaCore

/// A saga restored from its snapshot (the form every build wrote: `phase` and `succeeded`)
/// is the saga that wrote it, for all that follows: the same JSON, the same pending commands,
/// and the same transition for any next outcome. Checked over every state the machine reaches
/// in runs of three definitions, with every outcome at every step (ok, a rejection, an error,
/// timeouts to exhaustion), after restarts too.
@Suite struct SnapshotRestoreTests {
    static let definitions: [SagaDefinition] = [
        // The order saga, with two attempts a command.
        SagaDefinition(type: "order", context: .any, steps: SagaDefinition.order.steps.map { step in
            var quick = step
            quick.retry = Self.quick
            return quick
        }, onComplete: SagaDefinition.order.onComplete, compensationRetry: quick),
        // A step without a compensation between two with one, and one completion action.
        SagaDefinition(type: "gaps", context: .any, steps: [
            StepDefinition(name: "a", service: "s", action: "A", compensation: "UndoA", retry: quick, okEvents: [], rejectedEvents: []),
            StepDefinition(name: "b", service: "s", action: "B", compensation: nil, retry: quick, okEvents: [], rejectedEvents: []),
            StepDefinition(name: "c", service: "t", action: "C", compensation: "UndoC", retry: quick, okEvents: [], rejectedEvents: []),
        ], onComplete: [CompletionAction(name: "done", service: "t", action: "Done")], compensationRetry: quick),
        // No compensation first, nothing to complete.
        SagaDefinition(type: "bare", context: .any, steps: [
            StepDefinition(name: "x", service: "s", action: "X", compensation: nil, retry: quick, okEvents: [], rejectedEvents: []),
            StepDefinition(name: "y", service: "s", action: "Y", compensation: "UndoY", retry: quick, okEvents: [], rejectedEvents: []),
        ], onComplete: [], compensationRetry: quick),
    ]
    static let quick = RetryPolicy(timeoutMs: 10, maxAttempts: 2, backoffMs: 1, maxBackoffMs: 1)
    static let outcomes: [CommandOutcome] = [.ok([:]), .rejected(reason: "r", message: "m"), .error(.invalidArgument, message: "e"), .timedOut]

    @Test(arguments: definitions.indices) func aRestoredSagaMovesAsTheOneThatWroteItsSnapshot(_ which: Int) throws {
        let definition = Self.definitions[which]
        var seen = 0
        var frontier: [SagaState] = [SagaMachine.start(id: "s", definition: definition, context: [:], now: 0).0]
        var visited: Set<String> = []
        while let state = frontier.popLast() {
            // States that differ only in their version and time move alike.
            var key = state.json.objectValue ?? [:]
            key["version"] = nil
            key["updated_ms"] = nil
            guard visited.insert(String(decoding: JSONWriter.canonical(.object(key)), as: UTF8.self)).inserted else { continue }
            seen += 1
            var restored = try SagaState(json: state.json, definition)
            #expect(restored.json == state.json)
            #expect(restored.pendingRoles(definition) == state.pendingRoles(definition))
            #expect(restored.position(definition) == state.position(definition))
            #expect(restored.isFinished == state.isFinished)
            // A restart after the snapshot: the same commands re-sent, the same fence.
            var live = state
            #expect(SagaMachine.recover(&restored, definition) == SagaMachine.recover(&live, definition))
            #expect(restored.mayHaveRunAhead == live.mayHaveRunAhead)
            for role in live.pendingRoles(definition) {
                for outcome in Self.outcomes {
                    var a = live, b = restored
                    let id = live.commandID(role)
                    let attempt = live.attempts[id]
                    let ta = SagaMachine.handle(&a, definition, commandID: id, outcome: outcome, attempt: attempt, now: 50, unit: 0.5)
                    let tb = SagaMachine.handle(&b, definition, commandID: id, outcome: outcome, attempt: attempt, now: 50, unit: 0.5)
                    #expect(ta == tb, "\(role) \(outcome) from \(state.json)")
                    #expect(a.json == b.json)
                    if a.status != .completed && a.status != .compensated { frontier.append(a) }
                    // An operator's resume of a stuck saga.
                    if a.status == .stuck, a.round < 2, var c = Optional(a), let resumed = SagaMachine.resume(&c, definition, now: 60) {
                        var d = try SagaState(json: a.json, definition)
                        #expect(SagaMachine.resume(&d, definition, now: 60) == resumed)
                        frontier.append(c)
                    }
                }
            }
        }
        #expect(seen > 30)
    }
}
