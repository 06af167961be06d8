import BuiltInSagas
import Domain
import SagaWire
import Testing
@testable import SagaCore

@Suite struct SagaMachineTests {
    let steps = ["order.CreateOrder", "inventory.ReserveInventory", "payment.ChargePayment", "shipping.CreateShipment"]
    let compensations = ["order.CancelOrder", "inventory.ReleaseReservation", "payment.RefundPayment", "shipping.CancelShipment"]

    @Test func happyPathRunsEveryStepThenTheCompletionActions() throws {
        var run = SagaRun()
        #expect(run.events.map(\.type) == ["SagaStarted"])
        #expect(run.sent == ["s1/0/action"])
        for step in 0..<4 {
            #expect(run.sentTypes == [steps[step]])
            #expect(run.outcome("s1/\(step)/action", .ok(["x": 1])) == ["StepSucceeded"])
        }
        #expect(run.sentTypes == ["order.ConfirmOrder", "inventory.CommitReservation"])
        #expect(run.outcome("s1/complete/1", .ok([:])) == ["CompletionSucceeded"])
        #expect(run.sent.isEmpty)
        #expect(run.outcome("s1/complete/0", .ok([:])) == ["CompletionSucceeded", "SagaCompleted"])
        #expect(run.settled == .completed)
        #expect(run.state.status == .completed)
        #expect(try run.replayed().status == .completed)
    }

    @Test func commandsCarryTheContextAndTheSagaID() {
        let run = SagaRun()
        guard case .send(let command, let attempt, let delay) = run.effects[0] else { Issue.record("no send"); return }
        #expect(attempt == 1 && delay == 0)
        #expect(command.command.correlationID == "s1")
        #expect(command.command.body["saga_id"] == "s1")
        #expect(command.command.body["order_id"] == "s1")
        #expect(command.command.body["amount_cents"] == 2000)
        #expect(command.service == "order")
    }

    /// A business failure at step k compensates exactly steps k-1 … 0, in reverse order.
    @Test(arguments: 0..<4)
    func failureAtEachStepCompensatesTheEarlierStepsInReverse(_ failing: Int) throws {
        var run = SagaRun()
        for step in 0..<failing { run.outcome("s1/\(step)/action", .ok([:])) }
        #expect(run.outcome("s1/\(failing)/action", .rejected(reason: "payment_declined", message: "declined")).first == "StepFailed")
        var compensated: [String] = []
        while let id = run.sent.first {
            compensated.append(run.sentTypes[0])
            #expect(run.sent.count == 1)
            run.outcome(id, .ok([:]))
        }
        #expect(compensated == Array(compensations[0..<failing].reversed()))
        #expect(run.state.status == .compensated)
        #expect(run.settled == .compensated)
        #expect(run.events.last?.type == "SagaCompensated")
        #expect(run.state.failure?.contains("declined") == true)
        #expect(try run.replayed().status == .compensated)
    }

    /// A step that runs out of attempts may have applied: its own compensation runs too.
    @Test(arguments: 0..<4)
    func exhaustedStepIsCompensatedWithTheEarlierOnes(_ failing: Int) throws {
        var run = SagaRun()
        for step in 0..<failing { run.outcome("s1/\(step)/action", .ok([:])) }
        let id = "s1/\(failing)/action"
        let policy = SagaDefinition.order.steps[failing].retry
        for attempt in 1..<policy.maxAttempts {
            #expect(run.outcome(id, .timedOut, attempt: attempt) == ["StepRetrying"])
            guard case .send(_, let next, let delay) = run.effects[0] else { Issue.record("no retry"); return }
            #expect(next == attempt + 1)
            #expect(delay == policy.delay(afterAttempt: attempt, unit: 0.5))
            #expect(run.state.attempts[id] == attempt + 1)
        }
        #expect(run.outcome(id, .timedOut, attempt: policy.maxAttempts).first == "StepFailed")
        #expect(run.events.last?.data["exhausted"] == true)
        let compensated = run.acknowledgeAll()
        #expect(compensated == Array(compensations[0...failing].reversed()))
        #expect(run.state.status == .compensated)
        #expect(try run.replayed().status == .compensated)
    }

    /// Only the next step's action may be sent before the commit that records its predecessor's
    /// success: never the first step, a compensation, a retry or a completion action.
    @Test func onlyTheNextStepsActionGoesAheadOfTheLog() {
        var run = SagaRun()
        #expect(!run.sendsAhead, "the first step waits for SagaStarted to be durable")
        for step in 0..<3 {
            run.outcome("s1/\(step)/action", .ok([:]))
            #expect(run.sendsAhead && run.sent == ["s1/\(step + 1)/action"])
        }
        run.outcome("s1/3/action", .timedOut, attempt: 1)
        #expect(!run.sendsAhead, "a retry")
        run.outcome("s1/3/action", .ok([:]))
        #expect(!run.sendsAhead && run.sentTypes == ["order.ConfirmOrder", "inventory.CommitReservation"])

        var failing = SagaRun(id: "s2")
        failing.outcome("s2/0/action", .ok([:]))
        failing.outcome("s2/1/action", .ok([:]))
        failing.outcome("s2/2/action", .rejected(reason: "payment_declined", message: "declined"))
        #expect(!failing.sendsAhead && failing.sent == ["s2/1/compensation"])
        failing.outcome("s2/1/compensation", .ok([:]))
        #expect(!failing.sendsAhead && failing.sent == ["s2/0/compensation"])
    }

    /// After a restart the log may be one step behind the services (the next action went ahead
    /// of the commit): a step that then runs out of attempts compensates the next step too, and
    /// a replay of the log reaches the same decision.
    @Test(arguments: 0..<4)
    func anExhaustedStepAfterARestartAlsoCompensatesTheStepThatMayHaveGoneAhead(_ failing: Int) throws {
        var run = SagaRun()
        for step in 0..<failing { run.outcome("s1/\(step)/action", .ok([:])) }
        let id = "s1/\(failing)/action"
        let policy = SagaDefinition.order.steps[failing].retry
        #expect(run.recover() == [id])
        #expect(run.state.mayHaveRunAhead == (failing + 1 < steps.count ? [failing + 1] : []))
        for attempt in 1...policy.maxAttempts { run.outcome(id, .timedOut, attempt: attempt) }
        #expect(run.events.last?.type == "StepFailed")
        #expect(try run.replayed() == run.state)
        let compensated = run.acknowledgeAll()
        let last = min(failing + 1, steps.count - 1)
        #expect(compensated == Array(compensations[0...last].reversed()))
        #expect(run.state.status == .compensated)
    }

    @Test func duplicateLateAndStaleMessagesChangeNothing() throws {
        var run = SagaRun()
        run.outcome("s1/0/action", .ok([:]))
        let before = run.state
        // The same outcome again (reply after the event), a late reply of an old attempt, a
        // timeout of an old attempt, an outcome for another saga or an unknown command.
        #expect(run.outcome("s1/0/action", .ok([:])).isEmpty)
        #expect(run.outcome("s1/0/action", .rejected(reason: "x", message: "y")).isEmpty)
        #expect(run.outcome("s1/1/action", .timedOut, attempt: 7).isEmpty)
        #expect(run.outcome("s1/3/action", .ok([:])).isEmpty)
        #expect(run.outcome("s1/1/compensation", .ok([:])).isEmpty)
        #expect(run.outcome("s2/1/action", .ok([:])).isEmpty)
        #expect(run.effects.isEmpty)
        #expect(run.state == before)
        // After settling, nothing moves it.
        run.outcome("s1/1/action", .rejected(reason: "insufficient_stock", message: "none"))
        run.outcome("s1/0/compensation", .ok([:]))
        let settled = run.state
        #expect(run.outcome("s1/2/action", .ok([:])).isEmpty)
        #expect(run.outcome("s1/0/compensation", .ok([:])).isEmpty)
        #expect(run.state == settled)
    }

    @Test func transientErrorsRetryAndPermanentErrorsFail() {
        var run = SagaRun()
        #expect(run.outcome("s1/0/action", .error(.unavailable, message: "starting")) == ["StepRetrying"])
        #expect(run.outcome("s1/0/action", .error(.overloaded, message: "busy")) == ["StepRetrying"])
        #expect(run.state.attempts["s1/0/action"] == 3)
        #expect(run.outcome("s1/0/action", .ok([:])) == ["StepSucceeded"])
        #expect(run.outcome("s1/1/action", .error(.invalidArgument, message: "bad item")) == ["StepFailed", ])
        #expect(run.sentTypes == ["order.CancelOrder"])
        #expect(run.events.last?.data["reason"] == "invalid_argument")
    }

    @Test func aCompensationThatKeepsFailingLeavesTheSagaStuckUntilAnOperatorRetries() throws {
        var run = SagaRun()
        run.outcome("s1/0/action", .ok([:]))
        run.outcome("s1/1/action", .rejected(reason: "insufficient_stock", message: "none"))
        #expect(run.sent == ["s1/0/compensation"])
        let limit = SagaDefinition.order.compensationRetry.maxAttempts
        for attempt in 1..<limit { #expect(run.outcome("s1/0/compensation", .timedOut, attempt: attempt) == ["StepRetrying"]) }
        #expect(run.outcome("s1/0/compensation", .timedOut, attempt: limit) == ["SagaStuck"])
        #expect(run.state.status == .stuck)
        #expect(run.settled == .stuck)
        #expect(run.state.stuckReason?.contains("after \(limit) attempts") == true)
        #expect(try run.replayed().status == .stuck)
        // A refused compensation would be refused again: stuck at once.
        var refused = SagaRun(id: "s2")
        refused.outcome("s2/0/action", .ok([:]))
        refused.outcome("s2/1/action", .rejected(reason: "x", message: "y"))
        #expect(refused.outcome("s2/0/compensation", .rejected(reason: "already_confirmed", message: "no")) == ["SagaStuck"])
        // The operator resumes with a new round of command ids.
        let transition = try #require(SagaMachine.resume(&run.state, run.definition, now: run.now))
        run.record(transition)
        #expect(run.events.last?.type == "SagaResumed")
        #expect(run.sent == ["s1/0/compensation/r1"])
        #expect(run.state.status == .compensating)
        #expect(run.outcome("s1/0/compensation/r1", .ok([:])) == ["CompensationSucceeded", "SagaCompensated"])
        #expect(try run.replayed().status == .compensated)
        var running = SagaRun(id: "s3")
        #expect(SagaMachine.resume(&running.state, running.definition, now: 0) == nil)
    }

    @Test func recoveryResendsWhatTheSagaWaitsForWithTheSameIDs() throws {
        var run = SagaRun()
        run.outcome("s1/0/action", .ok([:]))
        run.outcome("s1/1/action", .timedOut, attempt: 1)
        var replayed = try run.replayed()
        #expect(replayed == run.state)
        let effects = SagaMachine.recover(&replayed, run.definition)
        #expect(replayed.mayHaveRunAhead == [2])
        guard case .send(let command, let attempt, _) = effects.first else { Issue.record("nothing to resend"); return }
        #expect(command.command.id == "s1/1/action")
        #expect(attempt == 2)
        // Completion actions in flight are all re-sent; a finished saga re-sends nothing.
        for step in 1..<4 { run.outcome("s1/\(step)/action", .ok([:])) }
        run.outcome("s1/complete/0", .ok([:]))
        var completing = try run.replayed()
        #expect(SagaMachine.recover(&completing, run.definition).count == 1)
        #expect(completing.mayHaveRunAhead.isEmpty)
        run.outcome("s1/complete/1", .ok([:]))
        #expect(SagaMachine.recover(&run.state, run.definition).isEmpty)
    }

    @Test func snapshotsRoundTripEveryPhase() throws {
        var run = SagaRun()
        var states = [run.state]
        run.outcome("s1/0/action", .ok([:]))
        states.append(run.state)
        run.outcome("s1/1/action", .timedOut, attempt: 1)
        states.append(run.state)
        run.outcome("s1/1/action", .rejected(reason: "r", message: "m"))
        states.append(run.state)
        var completing = SagaRun(id: "s2")
        for step in 0..<4 { completing.outcome("s2/\(step)/action", .ok([:])) }
        completing.outcome("s2/complete/1", .ok([:]))
        states.append(completing.state)
        for state in states { #expect(try SagaState(json: state.json, run.definition) == state) }
    }

    @Test func backoffGrowsIsCappedAndJittered() {
        let policy = RetryPolicy(timeoutMs: 100, maxAttempts: 10, backoffMs: 100, maxBackoffMs: 1000, multiplier: 2, jitter: 0.2)
        #expect((1...6).map { policy.delay(afterAttempt: $0, unit: 0.5) } == [100, 200, 400, 800, 1000, 1000])
        #expect(policy.delay(afterAttempt: 1, unit: 0) == 80)
        #expect(policy.delay(afterAttempt: 1, unit: 0.999_999) == 120)
        #expect(policy.delay(afterAttempt: 10, unit: 1) == 1200)
    }

    @Test func commandIDsMapBackToTheirSaga() {
        #expect(SagaCommandID.sagaID(in: "s1/0/action") == "s1")
        #expect(SagaCommandID.sagaID(in: "a/b/3/compensation/r2") == "a/b")
        #expect(SagaCommandID.sagaID(in: "run-7/complete/1") == "run-7")
        #expect(SagaCommandID.sagaID(in: "run-7/x/action") == nil)
        #expect(SagaCommandID.sagaID(in: "manual-command") == nil)
        #expect(SagaCommandID.sagaID(in: "/0/action") == nil)
    }

    @Test func commandIDsAreBuiltAndParsedAsOne() {
        let ids = [
            SagaCommandID(sagaID: "s1", role: .action(step: 0)),
            SagaCommandID(sagaID: "a/b", role: .compensation(step: 3), round: 2),
            SagaCommandID(sagaID: "run-7", role: .completion(index: 1)),
            SagaCommandID(sagaID: "x/1/action", role: .action(step: 12), round: 1),
        ]
        for id in ids { #expect(SagaCommandID(parsing: id.description) == id) }
        #expect(ids.map(\.description) == ["s1/0/action", "a/b/3/compensation/r2", "run-7/complete/1", "x/1/action/12/action/r1"])
        #expect(SagaCommandID(parsing: "s1/0/undo") == nil)
        #expect(SagaCommandID(parsing: "s1/complete/x") == nil)
        #expect(SagaCommandID(parsing: "s1/0/action/rx") == nil)
    }

    @Test func theRecoveryFenceLastsWhileTheStepRetriesAndEndsWhenItMoves() {
        var run = SagaRun()
        run.outcome("s1/0/action", .ok([:]))
        run.recover()
        #expect(run.state.mayHaveRunAhead == [2])
        run.outcome("s1/1/action", .timedOut, attempt: 1)
        #expect(run.state.mayHaveRunAhead == [2])
        run.outcome("s1/1/action", .ok([:]))
        #expect(run.state.mayHaveRunAhead.isEmpty)
        // A saga waiting for its last step's action has nothing after it to fence.
        run.outcome("s1/2/action", .ok([:]))
        run.recover()
        #expect(run.state.mayHaveRunAhead.isEmpty)
    }
}
