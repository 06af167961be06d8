import BuiltInSagas
import SagaCore
import SagaEngine
import SagaSimulation
import SagaWire
import HostCore
import Testing

/// The orchestrator engine in process, among simulated participants, on virtual time: no
/// sockets, no timing, no sleeps.
@Suite struct SendAheadRecoveryTests {
    /// The recovery bug of docs/FAULTS.md's "One step ahead, at most", step by step (k = 1):
    /// a restart whose first batch holds step k's recorded reply and step k+1's replayed event
    /// must not send step k+2's action ahead of its commit; if it crashes before that commit and
    /// step k then runs out of attempts, every effect the saga had is compensated.
    @Test func aSagaThatMovesTwiceInOneBatchAfterARestartGoesOnlyOneStepAheadOfItsLog() throws {
        let s = try Scripted()
        try s.start()
        #expect(try s.batch(requests: [Scripted.start("s")]).sent == ["s/0/action"])
        #expect(try s.batch(events: s.pendingEvents()).sent == ["s/1/action"])
        // Incarnation 1: step 1 succeeds, step 2's action goes ahead, the engine dies before its
        // commit. Payment charges; its reply is lost with the engine.
        let first = try s.batch(crash: .afterSendAhead)
        #expect(first.crash == InjectedCrash(point: .afterSendAhead))
        #expect(first.sent == ["s/2/action"])
        #expect(s.record("s", step: 2).isLive)

        // Incarnation 2: the log is at step 1. It re-sends step 1; the recorded reply and
        // payment's replayed PaymentCharged land in its first batch, which dies before its commit.
        #expect(try s.start() == ["s/1/action"])
        let events = s.pendingEvents()
        #expect(events.map(\.type).contains("PaymentCharged"))
        let second = try s.batch(events: events, crash: .beforeCommit)
        #expect(second.crash == InjectedCrash(point: .beforeCommit))
        // The saga moved twice in that batch (steps 1 and 2); only the first move went ahead.
        #expect(second.sent == ["s/2/action"])
        #expect(!s.record("s", step: 3).isLive, "shipping's step went ahead two steps past the log")

        // Incarnation 3: inventory answers nothing, so step 1 runs out of attempts. The recovery
        // fence compensates from step 2, which may have gone ahead.
        s.frozen = ["inventory"]
        #expect(try s.start() == ["s/1/action"])
        #expect(s.engine.sagas.active["s"]?.mayHaveRunAhead == [2])
        for _ in 0..<20 where s.status("s") == .running { try s.fireNextTimer() }
        #expect(s.status("s") == .compensating)
        #expect(s.engine.sagas.active["s"]?.pendingRoles(.order) == [.compensation(step: 2)])
        s.frozen = []
        for _ in 0..<20 where s.status("s") != .compensated {
            if s.replies.isEmpty { try s.fireNextTimer() } else { try s.batch() }
        }
        #expect(s.status("s") == .compensated)
        for step in 0..<4 {
            #expect(!s.record("s", step: step).isLive, "step \(step) is still in force")
            #expect(s.record("s", step: step).appliedBy.count <= 1)
        }
    }

    /// The rule without a restart: when a saga moves twice in one batch, only its first move's
    /// command goes ahead of the commit; a crash at `after-send-ahead` leaves only that one sent.
    @Test func aSecondMoveInOneBatchWaitsForTheCommit() throws {
        let s = try Scripted()
        try s.start()
        try s.batch(requests: [Scripted.start("t")])
        try s.batch()
        // Step 1's reply, and step 2's outcome already in payment's stream (as if an earlier
        // incarnation had sent it ahead), in one batch.
        let step2 = Command(id: "t/2/action", type: "payment.ChargePayment", correlationID: "t", body: ["saga_id": "t"])
        _ = s.participants["payment"]!.process(step2, now: 0, unit: 1)
        let (crash, sent) = try s.batch(events: s.pendingEvents(["payment"]), crash: .afterSendAhead)
        #expect(crash == InjectedCrash(point: .afterSendAhead))
        #expect(sent == ["t/2/action"])
        #expect(!s.record("t", step: 3).isLive)
        // Without the crash both moves commit, and step 3's action follows the commit.
        let again = try Scripted()
        try again.start()
        try again.batch(requests: [Scripted.start("t")])
        try again.batch()
        _ = again.participants["payment"]!.process(step2, now: 0, unit: 1)
        #expect(try again.batch(events: again.pendingEvents(["payment"])).sent == ["t/2/action", "t/3/action"])
        #expect(again.engine.sagas.active["t"]?.pendingRoles(.order) == [.action(step: 3)])
    }
}
