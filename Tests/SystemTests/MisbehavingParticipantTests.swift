import Foundation
import SagaClient
import SagaHarness
import SagaWire
import ServiceKit
import Testing
import TestSupport

/// A participant that misbehaves on purpose (clients/python/tests/fixtures/rogue_participant.py)
/// runs a step after a real one (the saga's context, rule `any`, tells it how to misbehave;
/// the `order` rule would keep only an order's members): it replies garbage, a reply with no valid outcome, a reply to
/// another command id, or nothing, or it vanishes. Each saga retries the step, then
/// compensates (the real step undone too), or goes `stuck` with its reason when even the
/// compensation cannot be had; none hangs, and the orchestrator keeps serving. The vanished
/// participant restarted (it answers what was queued for it), an operator retry settles its saga.
@Suite(.serialized) struct MisbehavingParticipantTests {
    static let definitions = """
        [{"type": "rogue_order", "context": "any",
          "steps": [
            {"name": "create_order", "service": "order", "action": "CreateOrder", "compensation": "CancelOrder", "ok_events": ["OrderCreated"]},
            {"name": "rogue_step", "service": "rogue", "action": "Do", "compensation": "Undo",
             "retry": {"timeout_ms": 400, "max_attempts": 2, "backoff_ms": 50, "max_backoff_ms": 100}}],
          "compensation_retry": {"timeout_ms": 400, "max_attempts": 3, "backoff_ms": 50, "max_backoff_ms": 100}}]
        """

    @Test(.enabled(if: PythonProcesses.available, "python3 with pyzmq is needed (./scripts/bootstrap.sh installs it)"))
    func aMisbehavingParticipantMakesTheSagaRetryThenCompensateOrGoStuckNeverHang() throws {
        let bin = try PythonProcesses.binDirectory(scripts: ["rogue-py": "tests/fixtures/rogue_participant.py"])
        defer { bin.remove() }
        let rogue = ProcessSpec(name: "rogue", role: .service, executable: "rogue-py", ports: (1, 2))
        let cluster = try LocalCluster(topology: try Topology.builtIn.adding([rogue]), binDirectory: bin.url)
        defer { cluster.destroy() }
        try cluster.addDefinitions(Self.definitions)
        try cluster.start()
        let client = try cluster.client()
        let saga = cluster.router("saga")

        func start(_ mode: String) throws {
            _ = try client.command(saga, "saga.StartSaga", ["type": "rogue_order", "saga_id": .string("rogue-\(mode)"), "context": [
                "order_id": .string("rogue-\(mode)"), "user_id": "u1", "misbehave": .string(mode), "items": [["item_id": "item1", "quantity": 1, "price_cents": 500]],
            ]])
        }
        /// Waits until each saga is settled or stuck, and returns their states.
        func settle(_ modes: [String]) throws -> [String: JSON] {
            var states: [String: JSON] = [:]
            let deadline = Date().addingTimeInterval(60)
            while states.count < modes.count && Date() < deadline {
                for mode in modes where states[mode] == nil {
                    let state = try client.query(saga, "saga.GetSaga", ["saga_id": .string("rogue-\(mode)")])["saga"]
                    if let status = state?["status"]?.stringValue, ["completed", "compensated", "stuck"].contains(status) {
                        states[mode] = state
                    }
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            try #require(states.count == modes.count, "sagas that neither settled nor went stuck: \(modes.filter { states[$0] == nil })")
            return states
        }
        func orderStatus(_ mode: String) throws -> JSON? {
            try client.query(cluster.router("order"), "order.GetOrder", ["order_id": .string("rogue-\(mode)")])["order"]?["status"]
        }

        let modes = ["none", "garbage", "bad-outcome", "wrong-id", "silent", "garbage-always"]
        for mode in modes { try start(mode) }
        let states = try settle(modes)
        #expect(states["none"]?["status"] == "completed")
        #expect(try orderStatus("none") == "created")
        let seen = try client.query(cluster.router("rogue"), "rogue.Stats")
        for mode in ["garbage", "bad-outcome", "wrong-id", "silent"] {
            // Tried as often as the step's retry allows, then compensated: the rogue's step and
            // the order before it undone.
            #expect(states[mode]?["status"] == "compensated", "\(mode): \(states[mode] ?? .null)")
            #expect(states[mode]?["failure"] != nil, "\(mode): no failure recorded")
            #expect(seen["rogue.Do:\(mode)"] == 2, "\(mode): \(seen)")
            #expect((seen["rogue.Undo:\(mode)"]?.intValue ?? 0) >= 1, "\(mode): \(seen)")
            #expect(try orderStatus(mode) == "cancelled", "\(mode)")
        }
        // Its compensation never answered either: stuck, with the reason, after the
        // compensation's attempts.
        #expect(states["garbage-always"]?["status"] == "stuck")
        #expect(states["garbage-always"]?["stuck_reason"]?.stringValue?.isEmpty == false)
        #expect(seen["rogue.Undo:garbage-always"] == 3, "\(seen)")

        // The participant vanishes with the action: the saga cannot compensate its step and
        // goes stuck; the participant back, an operator retry compensates it.
        try start("vanish")
        let vanished = try settle(["vanish"])["vanish"]
        #expect(vanished?["status"] == "stuck", "\(vanished ?? .null)")
        #expect(vanished?["stuck_reason"]?.stringValue?.isEmpty == false)
        try cluster.start("rogue")
        try cluster.managed.waitUntilUp()
        _ = try client.command(saga, "saga.RetrySaga", ["saga_id": "rogue-vanish"])
        var retried: JSON?
        let deadline = Date().addingTimeInterval(30)
        while retried?["status"] != "compensated" && Date() < deadline {
            retried = try client.query(saga, "saga.GetSaga", ["saga_id": "rogue-vanish"])["saga"]
            Thread.sleep(forTimeInterval: 0.1)
        }
        let timeline = try client.query(saga, "saga.GetSaga", ["saga_id": "rogue-vanish"])["timeline"] ?? .null
        #expect(retried?["status"] == "compensated", "\(timeline)")
        #expect(try orderStatus("vanish") == "cancelled")
        // The orchestrator served throughout, and still does.
        #expect(try client.query(saga, "saga.Stats")["total"] == 7)
        // The check finds the one saga an operator must still see to, and nothing else.
        let check = try cluster.sagactl(["check", "--json"])
        let report = try JSONParser.parse(try #require(check.stdout.last))
        #expect(report["violations"] == [["saga_id": "rogue-garbage-always", "check": "terminal", "detail": "saga is stuck"]],
                "\(check.stdout.suffix(5))")
        // The rogue keeps no log and records no commands: named as unchecked, not a violation.
        #expect(report["figures"]?["unchecked_logs"] == ["rogue"] && report["figures"]?["unchecked_commands"] == ["rogue"])
    }
}
