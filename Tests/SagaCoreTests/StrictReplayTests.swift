import BuiltInSagas
import Domain
import SagaWire
import ServiceModel
import Testing
@testable import SagaCore

/// Replaying a saga's stream refuses every history the state machine could not have written:
/// a step out of order, a move after the saga settled, a wrong command id, a version out of
/// line, … Each is a ``DomainError`` naming the stream, the version and the rule.
@Suite struct StrictReplayTests {
    /// How a real history is bent, and the words of the rule that must refuse it.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        /// Steps of the real run that succeed before the forgery (4: all).
        var succeed: Int
        var forge: @Sendable ([Event]) -> [Event]
        var rule: String
    }

    static func with(_ events: [Event], _ type: String, _ data: JSON) -> [Event] {
        let last = events.last!
        return events + [Event(seq: last.seq + 1, stream: last.stream, version: last.version + 1, type: type, data: data,
                               metadata: last.metadata)]
    }

    static let cases: [Case] = [
        Case(description: "a step that skips one", succeed: 1,
             forge: { with($0, "StepSucceeded", ["step": 2, "name": "process_payment", "command_id": "s1/2/action", "result": [:]]) },
             rule: "step 2 succeeded, but the saga is running at step 1"),
        Case(description: "a step succeeding twice", succeed: 2,
             forge: { with($0, "StepSucceeded", ["step": 1, "name": "reserve_inventory", "command_id": "s1/1/action", "result": [:]]) },
             rule: "step 1 succeeded, but the saga is running at step 2"),
        Case(description: "a step's success under another command id", succeed: 0,
             forge: { with($0, "StepSucceeded", ["step": 0, "name": "create_order", "command_id": "s1/0/action/r1", "result": [:]]) },
             rule: "command s1/0/action/r1 is not the saga's s1/0/action"),
        Case(description: "a failure of a step not running", succeed: 1,
             forge: { with($0, "StepFailed", ["step": 0, "name": "create_order", "command_id": "s1/0/action", "reason": "x",
                                              "message": "x", "exhausted": false]) },
             rule: "step 0 failed, but the saga is running at step 1"),
        Case(description: "a compensation while running forward", succeed: 2,
             forge: { with($0, "CompensationSucceeded", ["step": 1, "name": "reserve_inventory", "command_id": "s1/1/compensate"]) },
             rule: "not compensating"),
        Case(description: "completion before the last step", succeed: 2,
             forge: { with($0, "SagaCompleted", ["duration_ms": 1]) }, rule: "not done"),
        Case(description: "completion with completion actions pending", succeed: 4,
             forge: { with($0, "SagaCompleted", ["duration_ms": 1]) }, rule: "not done"),
        Case(description: "a completion action twice", succeed: 4,
             forge: { with(with($0, "CompletionSucceeded", ["index": 0, "name": "confirm_order", "command_id": "s1/complete/0"]),
                           "CompletionSucceeded", ["index": 0, "name": "confirm_order", "command_id": "s1/complete/0"]) },
             rule: "completion action 0 is not one the saga waits for"),
        Case(description: "a completion action while running forward", succeed: 1,
             forge: { with($0, "CompletionSucceeded", ["index": 0, "name": "confirm_order", "command_id": "s1/complete/0"]) },
             rule: "not completing"),
        Case(description: "compensated while running", succeed: 1,
             forge: { with($0, "SagaCompensated", ["duration_ms": 1]) }, rule: "not done compensating"),
        Case(description: "a retry of a command not waited for", succeed: 1,
             forge: { with($0, "StepRetrying", ["command_id": "s1/0/action", "attempt": 2, "role": ["kind": "action", "step": 0],
                                                "name": "x", "reason": "x", "delay_ms": 1]) },
             rule: "does not wait for command s1/0/action"),
        Case(description: "a retry that skips attempts", succeed: 1,
             forge: { with($0, "StepRetrying", ["command_id": "s1/1/action", "attempt": 3, "role": ["kind": "action", "step": 1],
                                                "name": "x", "reason": "x", "delay_ms": 1]) },
             rule: "attempt 3 after attempt 1"),
        Case(description: "a retry without its role", succeed: 1,
             forge: { with($0, "StepRetrying", ["command_id": "s1/1/action", "attempt": 2, "role": [:], "name": "x",
                                                "reason": "x", "delay_ms": 1]) },
             rule: "role.kind missing"),
        Case(description: "a step's success without its command", succeed: 1,
             forge: { with($0, "StepSucceeded", ["step": 1, "name": "reserve_inventory", "result": [:]]) },
             rule: "command_id missing"),
        Case(description: "a failure whose exhaustion is not a boolean", succeed: 1,
             forge: { with($0, "StepFailed", ["step": 1, "name": "reserve_inventory", "command_id": "s1/1/action", "reason": "x",
                                              "message": "x", "exhausted": "yes"]) },
             rule: "exhausted must be a boolean"),
        Case(description: "a payload that is not an object", succeed: 1,
             forge: { with($0, "SagaResumed", [1]) }, rule: "the payload is not an object"),
        Case(description: "a resume of a saga that is not stuck", succeed: 1,
             forge: { with($0, "SagaResumed", ["round": 1]) }, rule: "not stuck"),
        Case(description: "a second start", succeed: 1,
             forge: { with($0, "SagaStarted", $0[0].data) }, rule: "has started already"),
        Case(description: "a version out of line", succeed: 1,
             forge: { events in
                 var forged = with(events, "StepSucceeded", ["step": 1, "name": "reserve_inventory", "command_id": "s1/1/action", "result": [:]])
                 let last = forged.removeLast()
                 return forged + [Event(seq: last.seq, stream: last.stream, version: last.version + 1, type: last.type, data: last.data,
                                        metadata: last.metadata)]
             },
             rule: "the saga's stream is at version"),
        Case(description: "an unknown event type", succeed: 1,
             forge: { with($0, "StepSkipped", ["step": 1]) }, rule: "has no event type StepSkipped"),
        Case(description: "a move after the saga completed", succeed: 6,
             forge: { with($0, "StepFailed", ["step": 3, "name": "create_shipment", "command_id": "s1/3/action", "reason": "x",
                                              "message": "x", "exhausted": false]) },
             rule: "the saga is not active"),
    ]

    @Test(arguments: cases) func replayRefuses(_ c: Case) throws {
        var run = SagaRun()
        for step in 0..<min(c.succeed, 4) { run.outcome("s1/\(step)/action", .ok([:])) }
        if c.succeed > 4 {
            run.outcome("s1/complete/0", .ok([:]))
            run.outcome("s1/complete/1", .ok([:]))
            #expect(run.state.status == .completed)
        }
        // The real history replays.
        _ = try run.replayed()
        run.events = c.forge(run.events)
        let forged = run.events.last!
        do {
            _ = try run.replayed()
            Issue.record("\(c) was replayed")
        } catch let error as DomainError {
            #expect(error.message.contains(c.rule), "\(error.message)")
            #expect(error.message.hasPrefix("saga-s1 v\(forged.version) \(forged.type)"), "\(error.message)")
        }
    }

    /// Every history the machine writes replays: failures at each step, exhaustion, a stuck
    /// compensation and an operator's resume.
    @Test func everyRealHistoryReplays() throws {
        for failing in 0..<4 {
            var run = SagaRun()
            for step in 0..<failing { run.outcome("s1/\(step)/action", .ok([:])) }
            run.outcome("s1/\(failing)/action", .rejected(reason: "declined", message: "declined"))
            _ = run.acknowledgeAll()
            #expect(try run.replayed().status == .compensated)
        }
        var run = SagaRun()
        run.outcome("s1/0/action", .ok([:]))
        while let id = run.sent.first, run.state.status == .running { run.outcome(id, .timedOut, attempt: run.state.attempts[id]) }
        while let id = run.sent.first, run.state.status == .compensating { run.outcome(id, .timedOut, attempt: run.state.attempts[id]) }
        #expect(run.state.status == .stuck)
        #expect(try run.replayed().status == .stuck)
        let resumed = SagaMachine.resume(&run.state, run.definition, now: 99_000)!
        run.record(resumed)
        _ = run.acknowledgeAll()
        #expect(try run.replayed().status == .compensated)
    }
}
