import BuiltInSagas
import Foundation
import SagaCore
import SagaEngine
import SagaSimulation
import SagaWire
import Testing

/// A compensation may name the events that report it (`compensation_ok_events`), as an action
/// names its `ok_events`: when the reply is lost, the event settles the compensation, with no
/// timeout.
@Suite struct CompensationEventTests {
    static let definition = try! SagaDefinition.parseFile(Array("""
        {"type": "undoable", "steps": [
          {"name": "reserve", "service": "stock", "action": "Reserve", "compensation": "Release",
           "ok_events": ["ReserveDone"], "compensation_ok_events": ["ReleaseDone"]},
          {"name": "charge", "service": "bank", "action": "Charge"}]}
        """.utf8))[0]

    @Test func aCompensationsEventSettlesItWithoutItsReply() throws {
        let s = try Scripted(definitions: [.order, Self.definition])
        try s.start()
        let (_, first) = try s.batch(requests: [Scripted.start("u", type: "undoable")])
        #expect(first == ["u/0/action"])
        let (_, second) = try s.batch()   // the reserve's reply: the charge goes out
        #expect(second == ["u/1/action"])
        // The charge is refused: the reserve is compensated.
        s.replies = [("bank", .reply(Reply(inReplyTo: "u/1/action", outcome: .rejected, reason: "declined", message: "declined")))]
        let (_, third) = try s.batch()
        #expect(third == ["u/0/compensation"])
        // Its reply is lost; its event arrives.
        s.replies = []
        try s.batch(withReplies: false, events: s.pendingEvents(["stock"]))
        #expect(s.status("u") == .compensated, "settled by the event, no reply handed over")
    }

    @Test func onlyAStepWithACompensationNamesItsEvents() {
        #expect(throws: WireError.self) {
            try SagaDefinition.parseFile(Array("""
                {"type": "x", "steps": [{"name": "a", "service": "s", "action": "A", "compensation_ok_events": ["Undone"]}]}
                """.utf8))
        }
        // A definition that names none is written as before (its fingerprint unchanged).
        #expect(SagaDefinition.order.json["steps"]?.arrayValue?.allSatisfy { $0["compensation_ok_events"] == nil } == true)
    }
}
